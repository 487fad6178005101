//go:build unix

package main

// The fault suite: gocaffe run as a process of its own (the test binary
// re-executed, see TestMain) and killed with SIGKILL in the middle of snapshots,
// signalled, given a full disk, a read-only folder, a database removed or cut short
// under it. Whatever happens, no Go stack trace, no half-written file, nothing the
// user had is lost.

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
)

// proc is a gocaffe process whose log (standard error) the test reads line by line.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	cond  *sync.Cond
	lines []string
	ended bool
	seen  int // lines already matched by next
}

// start runs gocaffe with args in dir.
func start(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asGocaffe+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd}
	p.cond = sync.NewCond(&p.mu)
	go func() {
		s := bufio.NewScanner(stderr)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, s.Text())
			p.cond.Broadcast()
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.ended = true
		p.cond.Broadcast()
		p.mu.Unlock()
	}()
	return p
}

// next waits for a log line after the last one matched that contains substr and
// reports whether one came before the log ended. It has no time limit: the process
// either logs the line or ends.
func (p *proc) next(substr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for ; p.seen < len(p.lines); p.seen++ {
			if strings.Contains(p.lines[p.seen], substr) {
				p.seen++
				return true
			}
		}
		if p.ended {
			return false
		}
		p.cond.Wait()
	}
}

// wait waits for the process and returns its exit status and its log.
func (p *proc) wait() (int, string) {
	p.mu.Lock()
	for !p.ended {
		p.cond.Wait()
	}
	log := strings.Join(p.lines, "\n")
	p.mu.Unlock()
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, log
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal()), log
		}
		return ee.ExitCode(), log
	}
	return -1, log + "\n" + err.Error()
}

func (p *proc) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

// noStackTrace fails if a log shows a Go panic or runtime error.
func noStackTrace(t *testing.T, log string) {
	t.Helper()
	for _, bad := range []string{"goroutine ", "panic:", "fatal error:", "SIGSEGV", "SIGBUS"} {
		if strings.Contains(log, bad) {
			t.Fatalf("the log shows %q:\n%s", bad, log)
		}
	}
}

// checkSnapshots loads every snapshot in dir: each .caffemodel and each
// .solverstate with the weights it names (relative to cwd, the run's working
// folder). It returns the staging files it saw.
func checkSnapshots(t *testing.T, cwd, dir string) (staging []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
			staging = append(staging, e.Name())
		case strings.HasSuffix(e.Name(), ".caffemodel"):
			if _, err := protofile.ReadNetBinary(p); err != nil {
				t.Fatalf("a snapshot left does not load: %v", err)
			}
		case strings.HasSuffix(e.Name(), ".solverstate"):
			st, err := protofile.ReadSolverState(p)
			if err != nil {
				t.Fatalf("a snapshot left does not load: %v", err)
			}
			w := st.GetLearnedNet()
			if !filepath.IsAbs(w) {
				w = filepath.Join(cwd, w)
			}
			if _, err := protofile.ReadNetBinary(w); err != nil {
				t.Fatalf("%s names weights that do not load: %v", p, err)
			}
		}
	}
	return staging
}

// bigSolver trains a net of a million weights (4 MB, and 4 MB of momentum) and
// snapshots after every iteration, so that most of its time is spent writing
// snapshots.
const bigSolver = `net_param {
  name: "big"
  layer { name: "data" type: "DummyData" top: "x" top: "y"
    dummy_data_param { shape { dim: 2 dim: 1000 } shape { dim: 2 dim: 1000 } data_filler { type: "gaussian" } data_filler { type: "gaussian" } } }
  layer { name: "ip" type: "InnerProduct" bottom: "x" top: "ip" inner_product_param { num_output: 1000 bias_term: false weight_filler { type: "gaussian" std: 0.001 } } }
  layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "y" top: "loss" }
}
base_lr: 0.001 momentum: 0.9 lr_policy: "fixed" display: 1 max_iter: 100000000
snapshot: 1 snapshot_prefix: "snap/big"
`

var stagingPID = regexp.MustCompile(`\.tmp-?(\d+)-`)

// TestFaultKillDuringSnapshots kills training with SIGKILL at random moments while
// it writes a snapshot every iteration: every snapshot left loads, and the next
// start removes the staging files the killed run left.
func TestFaultKillDuringSnapshots(t *testing.T) {
	testutil.SkipShort(t, "training killed at random moments while it writes snapshots")
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "snap"), 0o755)
	os.WriteFile(filepath.Join(dir, "solver.prototxt"), []byte(bigSolver), 0o644)
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 11))
	t.Logf("seed %d", seed)
	killed := map[string]bool{} // pids of killed runs
	orphans := 0
	const rounds = 10
	for round := 0; round <= rounds; round++ {
		p := start(t, dir, "train", "--solver=solver.prototxt")
		if !p.next("Snapshotting to binary proto file") {
			_, log := p.wait()
			t.Fatalf("round %d: no snapshot:\n%s", round, log)
		}
		// The start has cleaned up: no staging file of a killed run is left.
		for _, name := range checkSnapshots(t, dir, filepath.Join(dir, "snap")) {
			if m := stagingPID.FindStringSubmatch(name); m != nil && killed[m[1]] {
				t.Fatalf("round %d: %s, left by a killed run, is still there after the next start", round, name)
			}
		}
		if round == rounds {
			// The last run stops as a user would, and leaves nothing but snapshots.
			p.signal(t, syscall.SIGINT)
			code, log := p.wait()
			noStackTrace(t, log)
			if code != 0 {
				t.Fatalf("stopped with SIGINT: exit status %d\n%s", code, log)
			}
			if left := checkSnapshots(t, dir, filepath.Join(dir, "snap")); len(left) > 0 {
				t.Fatalf("staging files left after a clean stop: %v", left)
			}
			break
		}
		time.Sleep(time.Duration(r.IntN(200)) * time.Millisecond)
		p.cmd.Process.Kill()
		if code, _ := p.wait(); code != -int(syscall.SIGKILL) {
			t.Fatalf("round %d: exit status %d, want death by SIGKILL", round, code)
		}
		killed[strconv.Itoa(p.cmd.Process.Pid)] = true
		if left := checkSnapshots(t, dir, filepath.Join(dir, "snap")); len(left) > 0 {
			orphans++
		}
	}
	t.Logf("%d of %d kills left a snapshot half-written (its staging file)", orphans, rounds)
}

// TestFaultSignals sends SIGINT, SIGTERM and SIGHUP to training processes: each
// does what its effect flag says, and every run ends with exit status 0 and a
// snapshot that loads.
func TestFaultSignals(t *testing.T) {
	// Each signal is sent after an iteration; then the test waits for the line that
	// shows its effect (for the last one, the end of the run).
	type step struct {
		signal syscall.Signal
		then   string
	}
	const snap, iter = "Snapshotting solver state", "] Iteration "
	for _, tc := range []struct {
		name      string
		flags     []string
		steps     []step
		snapshots int
	}{
		{"SIGINT stops", nil, []step{{syscall.SIGINT, ""}}, 1},
		{"SIGTERM stops", nil, []step{{syscall.SIGTERM, ""}}, 1},
		{"SIGHUP snapshots", nil, []step{{syscall.SIGHUP, snap}, {syscall.SIGTERM, ""}}, 2},
		{"SIGTERM ignored", []string{"--sigterm_effect=none"}, []step{{syscall.SIGTERM, iter}, {syscall.SIGINT, ""}}, 1},
		{"SIGINT snapshots", []string{"--sigint_effect=snapshot"}, []step{{syscall.SIGINT, snap}, {syscall.SIGTERM, ""}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "solver.prototxt"), []byte(tinySolver), 0o644)
			p := start(t, dir, append([]string{"train", "--solver=solver.prototxt"}, tc.flags...)...)
			for _, st := range tc.steps {
				if !p.next(iter) {
					break
				}
				p.signal(t, st.signal)
				if st.then != "" && !p.next(st.then) {
					break
				}
			}
			code, log := p.wait()
			noStackTrace(t, log)
			if code != 0 {
				t.Fatalf("exit status %d:\n%s", code, log)
			}
			if n := strings.Count(log, "Snapshotting solver state to"); n != tc.snapshots {
				t.Fatalf("%d snapshots, want %d:\n%s", n, tc.snapshots, log)
			}
			if left := checkSnapshots(t, dir, dir); len(left) > 0 {
				t.Fatalf("staging files left: %v", left)
			}
		})
	}
}

// mountTmpfs mounts a tmpfs of the given size (and options) at a new folder, or
// skips the test when it cannot (not root, or no mount in this container).
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs: skipped")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(dir, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): skipped", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// TestFaultFullDisk: a conversion and a snapshot that find the disk full fail with
// an error naming the file and "no space left", leave no partial file, and keep
// what was there (the snapshot before).
func TestFaultFullDisk(t *testing.T) {
	full := mountTmpfs(t, "size=1200k")
	// 2000 images: 1.6 MB of records.
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	images, labels := filepath.Join(fix, "train-images-2000-idx3-ubyte.gz"), filepath.Join(fix, "train-labels-2000-idx1-ubyte.gz")
	dir := t.TempDir()

	p := start(t, dir, "convert", "mnist", images, labels, filepath.Join(full, "mnist_lmdb"))
	code, log := p.wait()
	noStackTrace(t, log)
	if code == 0 || !strings.Contains(log, "no space left") || !strings.Contains(log, filepath.Join(full, "mnist_lmdb")) {
		t.Fatalf("convert on a full disk: exit status %d:\n%s", code, log)
	}
	if names := testdb.Entries(t, full); len(names) != 0 {
		t.Fatalf("a failed conversion left %v", names)
	}
	t.Log(lastLine(log))

	// 400 kB of weights and 400 kB of momentum a snapshot: the first fits, the
	// second does not.
	solver := strings.NewReplacer("shape { dim: 2 dim: 1000 } shape", "shape { dim: 2 dim: 100 } shape", "snap/big", filepath.Join(full, "big"),
		"max_iter: 100000000", "max_iter: 2").Replace(bigSolver)
	os.WriteFile(filepath.Join(dir, "solver.prototxt"), []byte(solver), 0o644)
	p = start(t, dir, "train", "--solver=solver.prototxt")
	code, log = p.wait()
	noStackTrace(t, log)
	if code == 0 || !strings.Contains(log, "no space left") || !strings.Contains(log, "big_iter_2") {
		t.Fatalf("train on a full disk: exit status %d:\n%s", code, log)
	}
	if left := checkSnapshots(t, dir, full); len(left) > 0 {
		t.Fatalf("staging files left: %v", left)
	}
	t.Log(lastLine(log))
	for _, name := range []string{"big_iter_1.caffemodel", "big_iter_1.solverstate"} {
		if _, err := os.Stat(filepath.Join(full, name)); err != nil {
			t.Errorf("the snapshot before the disk filled: %v", err)
		}
	}
}

// TestFaultReadOnlyFolder: writing into a read-only folder — a database, a
// snapshot, a mean — fails at once with an error naming the place, and writes
// nothing.
func TestFaultReadOnlyFolder(t *testing.T) {
	var ro string
	if os.Geteuid() == 0 {
		ro = mountTmpfs(t, "ro,size=64k") // root writes into any folder a mode forbids
	} else {
		ro = filepath.Join(t.TempDir(), "ro")
		os.Mkdir(ro, 0o555)
	}
	images, labels := mnistFixtures()
	dir := t.TempDir()
	solver := strings.Replace(tinySolver, `snapshot_prefix: "tiny"`, `snapshot_prefix: "`+filepath.Join(ro, "tiny")+`" snapshot: 10`, 1)
	os.WriteFile(filepath.Join(dir, "solver.prototxt"), []byte(solver), 0o644)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"convert", "mnist", images, labels, filepath.Join(ro, "mnist_lmdb")}, filepath.Join(ro, "mnist_lmdb")},
		{[]string{"train", "--solver=solver.prototxt"}, filepath.Join(ro, "tiny")},
		{[]string{"mean", testutil.Path("fixtures/nets/lenet_mnist/mnist_test_lmdb"), filepath.Join(ro, "mean.binaryproto")}, filepath.Join(ro, "mean.binaryproto")},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			code, log := start(t, dir, tc.args...).wait()
			noStackTrace(t, log)
			if code == 0 || !strings.Contains(log, tc.says) || !strings.Contains(log, "read-only") && !strings.Contains(log, "permission denied") {
				t.Fatalf("exit status %d:\n%s", code, log)
			}
			if names := testdb.Entries(t, ro); len(names) != 0 {
				t.Fatalf("wrote %v", names)
			}
			t.Log(lastLine(log))
		})
	}
}

// TestFaultDatabaseGone removes, or cuts short, the database a run is training from:
// the run goes on from what it had open, or stops with an error naming the
// database — never a crash.
func TestFaultDatabaseGone(t *testing.T) {
	for _, tc := range []struct {
		name, fixture, backend string
		damage                 func(db string) error
	}{
		{"lmdb removed", "mnist_train_lmdb", "LMDB", os.RemoveAll},
		{"leveldb removed", "mnist_test_leveldb", "LEVELDB", os.RemoveAll},
		{"lmdb cut short", "mnist_train_lmdb", "LMDB", func(db string) error { return os.Truncate(filepath.Join(db, "data.mdb"), 8192) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := testutil.CopyDir(t, "fixtures/nets/lenet_mnist/"+tc.fixture)
			net := strings.NewReplacer("backend: LMDB batch_size: 1", "backend: "+tc.backend+" batch_size: 64",
				"num_output: 2", "num_output: 10").Replace(tinyDataNet(db))
			os.WriteFile(filepath.Join(dir, "net.prototxt"), []byte(net), 0o644)
			os.WriteFile(filepath.Join(dir, "solver.prototxt"), []byte(`net: "net.prototxt" base_lr: 0.01 lr_policy: "fixed"
display: 1 max_iter: 100000000 snapshot_prefix: "tiny"`), 0o644)
			p := start(t, dir, "train", "--solver=solver.prototxt")
			if !p.next("] Iteration 2 ") {
				_, log := p.wait()
				t.Fatalf("no iteration 2:\n%s", log)
			}
			if err := tc.damage(db); err != nil {
				t.Fatal(err)
			}
			// Past a pass over the database (2000 records, or 1000, in batches of 64).
			if p.next("] Iteration 40 ") {
				p.signal(t, syscall.SIGINT)
			}
			code, log := p.wait()
			noStackTrace(t, log)
			switch {
			case code == 0 && strings.Contains(log, "Optimization stopped early."):
				// The run read on from what it had open.
			case code == 1 && strings.Contains(log, "gocaffe: train: ") && strings.Contains(log, db):
				// Stopped, naming the database.
			default:
				t.Fatalf("exit status %d:\n%s", code, log)
			}
			t.Logf("%s: %s", tc.name, lastLine(log))
		})
	}
}

func lastLine(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	return fmt.Sprint(lines[len(lines)-1])
}
