package protofile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"

	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// MaxBinarySize is the largest binary proto file Caffe reads (its
// kProtoReadBytesLimit, INT_MAX bytes); larger files are refused as Caffe refuses them.
const MaxBinarySize = math.MaxInt32

// A BinaryError is a problem in a binary proto file: at byte Offset (-1 when not
// known), while reading the field path What (for example
// `layer[3] "conv2" > blobs[0] > data`).
type BinaryError struct {
	File   string
	Offset int64
	What   string
	Msg    string
}

func (e *BinaryError) Error() string {
	s := e.File + ": "
	if e.Offset >= 0 {
		s += fmt.Sprintf("byte %d: ", e.Offset)
	}
	if e.What != "" {
		s += "reading " + e.What + ": "
	}
	return s + e.Msg
}

// ReadNetBinary reads a binary NetParameter (.caffemodel) and upgrades it as Caffe's
// ReadNetParamsFromBinaryFileOrDie does: V0/V1 layers, input fields and so on.
func ReadNetBinary(path string) (*caffepb.NetParameter, error) {
	p := &caffepb.NetParameter{}
	if err := ReadBinary(path, p); err != nil {
		if werr := notWeights(path); werr != nil {
			return nil, werr
		}
		return nil, err
	}
	if len(p.Layer)+len(p.Layers) == 0 {
		// Another kind of file can parse as a net of no layers.
		if werr := notWeights(path); werr != nil {
			return nil, werr
		}
	}
	if _, err := UpgradeNet(p, path); err != nil && !errors.Is(err, ErrPartialUpgrade) {
		return nil, err
	}
	return p, nil
}

// ReadBlobProto reads a binary BlobProto, such as a mean .binaryproto file.
func ReadBlobProto(path string) (*caffepb.BlobProto, error) {
	p := &caffepb.BlobProto{}
	if err := ReadBinary(path, p); err != nil {
		return nil, err
	}
	return p, nil
}

// ReadSolverState reads a binary SolverState (.solverstate).
func ReadSolverState(path string) (*caffepb.SolverState, error) {
	p := &caffepb.SolverState{}
	if err := ReadBinary(path, p); err != nil {
		if serr := notSolverState(path); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	if len(p.ProtoReflect().GetUnknown()) > 0 || (p.Iter == nil && p.LearnedNet == nil) {
		// A .caffemodel parses as a solver state of unknown fields.
		if serr := notSolverState(path); serr != nil {
			return nil, serr
		}
	}
	return p, nil
}

// ReadBinary reads the binary proto file at path into m. The file is mapped into
// memory rather than copied where the system allows, so a large .caffemodel costs
// little more than its decoded floats. Errors are *BinaryError values (or the
// error of opening the file).
func ReadBinary(path string, m proto.Message) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		return &BinaryError{File: path, Offset: -1, Msg: "is a directory, not a file"}
	case fi.Size() == 0:
		return &BinaryError{File: path, Offset: -1, Msg: fmt.Sprintf("the file is empty (want a binary %s)", m.ProtoReflect().Descriptor().Name())}
	case fi.Size() > MaxBinarySize:
		return &BinaryError{File: path, Offset: -1,
			Msg: fmt.Sprintf("the file has %d bytes, more than the 2 GB (%d bytes) Caffe reads in a binary proto", fi.Size(), int64(MaxBinarySize))}
	}
	data, release, err := mapFile(f, int(fi.Size()))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer release()
	// A mapped file cut short by another process while it is read faults; make
	// that an error rather than a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			proto.Reset(m)
			err = &BinaryError{File: path, Offset: -1, Msg: fmt.Sprintf("the file changed while it was read: %v", r)}
		}
	}()
	return UnmarshalBinary(path, data, m)
}

// UnmarshalBinary decodes data, a binary m, into m. name is the file name used in
// errors. A malformed input gives a *BinaryError saying at which byte and in which
// field the encoding breaks.
func UnmarshalBinary(name string, data []byte, m proto.Message) error {
	err := proto.UnmarshalOptions{}.Unmarshal(data, m)
	if err == nil {
		return nil
	}
	proto.Reset(m)
	if be := diagnoseWire(data, m.ProtoReflect().Descriptor()); be != nil {
		be.File = name
		return be
	}
	return &BinaryError{File: name, Offset: -1, Msg: fmt.Sprintf("not a binary %s: %v", m.ProtoReflect().Descriptor().Name(), err)}
}

// MarshalBinary encodes m in the binary wire format with fields in field-number
// order, as Caffe writes them; the same message always gives the same bytes.
func MarshalBinary(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// WriteBinary writes m in the binary wire format to path, through a temporary file
// renamed into place.
func WriteBinary(path string, m proto.Message) error {
	data, err := MarshalBinary(m)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return writeFileAtomic(path, data)
}

// readAll reads the n bytes of f into one buffer of exactly that size.
func readAll(f *os.File, n int) ([]byte, func(), error) {
	data := make([]byte, n)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, err
	}
	return data, func() {}, nil
}
