// Package convert does the work of Caffe's data tools, for the gocaffe commands that
// stand in for them: convert_mnist_data (MNIST), convert_cifar_data (CIFAR10, and
// CIFAR100 in the same layout), convert_imageset (Imageset), compute_image_mean
// (Mean) and upgrade_net_proto_text, upgrade_net_proto_binary and
// upgrade_solver_proto_text (UpgradeNet, UpgradeSolver).
//
// They write what Caffe's tools write — the same records under the same keys, the
// same files — and log what they log. A database appears only once it is complete:
// bad input stops a conversion with an error and leaves nothing behind.
package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Options are what every conversion into a database takes.
type Options struct {
	// Backend is the format of the databases written.
	Backend db.Backend
	// Overwrite replaces databases that exist; without it a conversion refuses to
	// start when one of its outputs exists.
	Overwrite bool
	// NewBar, when not nil, starts a progress bar labelled label counting to total,
	// or returns nil when no bar is to be drawn (standard error is no terminal).
	// Without a bar the log gets Caffe's "Processed N files." lines instead.
	NewBar func(label string, total int) Bar
}

// Bar is a progress bar a conversion moves as it writes records.
type Bar interface {
	// Set moves the bar to count records.
	Set(count int)
	// Finish draws the bar's last state and ends it.
	Finish()
}

// checkTargets refuses to start when an output database exists and o.Overwrite is
// not set, before anything is written.
func (o Options) checkTargets(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil && !o.Overwrite {
			return fmt.Errorf("%s exists: remove it or use --overwrite to replace it", p)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// dbWriter writes Datum records into a new database, with a progress display.
type dbWriter struct {
	w        *db.Writer
	path     string
	prog     *progress
	buf      []byte
	finished bool
}

// createDB starts a database of total records at path.
func (o Options) createDB(path string, total int, what string) (*dbWriter, error) {
	w, err := db.Create(path, o.Backend, o.Overwrite)
	if err != nil {
		return nil, err
	}
	p := &progress{total: total}
	if o.NewBar != nil {
		p.bar = o.NewBar(what, total)
	}
	return &dbWriter{w: w, path: path, prog: p}, nil
}

// put adds a record.
func (w *dbWriter) put(key string, d *caffepb.Datum) error {
	var err error
	w.buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(w.buf[:0], d)
	if err != nil {
		return err
	}
	if err := w.w.Put([]byte(key), w.buf); err != nil {
		return err
	}
	w.prog.add()
	return nil
}

// commit completes the database.
func (w *dbWriter) commit() error {
	w.finished = true
	w.prog.finish()
	return w.w.Commit()
}

// abort discards the database unless it was committed; deferred by every converter.
func (w *dbWriter) abort() {
	if !w.finished {
		w.prog.finish()
		w.w.Abort()
	}
}

// progress shows how a conversion advances: a bar with the count and the time left
// when standard error is a terminal, Caffe's "Processed N files." every 1000 records
// otherwise.
type progress struct {
	bar   Bar
	n     int
	total int
}

func (p *progress) add() {
	p.n++
	if p.bar != nil {
		p.bar.Set(p.n)
	} else if p.n%1000 == 0 {
		glog.InfoDepthf(1, "Processed %d files.", p.n)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
		glog.InfoDepthf(1, "Processed %d files.", p.n)
	} else if p.n%1000 != 0 {
		glog.InfoDepthf(1, "Processed %d files.", p.n)
	}
}
