//go:build linux

// The MPI tests find ranks through /proc and make network namespaces: Linux only.

package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// The tests of gocaffe-mpi under Open MPI's mpirun: they build bin/gocaffe-mpi (the
// mpi build tag) themselves, and are skipped where mpirun or Open MPI's library
// is missing (scripts/install-test-deps.sh installs both).

// mpiGuard is how long an mpirun may run before the deadlock guard kills it: far
// beyond what any of these runs takes (seconds), so that a hang is reported rather
// than left to the test binary's own timeout.
const mpiGuard = 5 * time.Minute

var (
	mpiOnce sync.Once
	mpiBin  string
	mpiSkip string
	mpiErr  error
)

// mpiBinary builds gocaffe-mpi once per test binary, or skips the test saying why.
func mpiBinary(t *testing.T) string {
	t.Helper()
	mpiOnce.Do(func() {
		if _, err := exec.LookPath("mpirun"); err != nil {
			mpiSkip = "mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev; scripts/install-test-deps.sh does)"
			return
		}
		if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
			mpiSkip = "Open MPI's library is not installed (pkg-config ompi-c: " + err.Error() + "): apt-get install libopenmpi-dev"
			return
		}
		if _, err := exec.LookPath("gcc"); err != nil {
			mpiSkip = "no C compiler for cgo (gcc): the mpi build cannot be made"
			return
		}
		dir, err := os.MkdirTemp("", "gocaffe-mpi-test")
		if err != nil {
			mpiErr = err
			return
		}
		mpiBin = filepath.Join(dir, "gocaffe-mpi")
		build := exec.Command("go", "build", "-tags", "mpi", "-o", mpiBin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := build.CombinedOutput(); err != nil {
			mpiErr = fmt.Errorf("go build -tags mpi: %v\n%s", err, out)
		}
	})
	if mpiSkip != "" {
		t.Skip(mpiSkip)
	}
	if mpiErr != nil {
		t.Fatal(mpiErr)
	}
	return mpiBin
}

// syncBuffer is a bytes.Buffer that two goroutines may use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mpiJob is an mpirun running gocaffe-mpi.
type mpiJob struct {
	cmd   *exec.Cmd
	out   syncBuffer
	done  chan struct{}
	err   error
	tag   string
	guard *time.Timer
}

// startMPI starts `[wrap...] mpirun [mpiArgs...] -np np gocaffe-mpi train args...`
// in dir, each rank on one thread, with the deadlock guard armed.
func startMPI(t *testing.T, dir string, np int, wrap, mpiArgs []string, args ...string) *mpiJob {
	t.Helper()
	bin := mpiBinary(t)
	j := &mpiJob{done: make(chan struct{}), tag: fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())}
	argv := append([]string{}, wrap...)
	argv = append(argv, "mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
		"-x", "GOMAXPROCS=1", "-x", "GOCAFFE_MPI_TEST="+j.tag)
	argv = append(argv, mpiArgs...)
	argv = append(argv, "-np", strconv.Itoa(np), bin, "train")
	argv = append(argv, args...)
	j.cmd = exec.Command(argv[0], argv[1:]...)
	j.cmd.Dir = dir
	// Containers often forbid the cross-process reads of Open MPI's single-copy
	// shared memory; the copy-in/copy-out path works everywhere.
	j.cmd.Env = append(os.Environ(), "OMPI_MCA_btl_vader_single_copy_mechanism=none")
	j.cmd.Stdout, j.cmd.Stderr = &j.out, &j.out
	j.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := j.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	j.guard = time.AfterFunc(mpiGuard, func() { syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL) })
	go func() {
		j.err = j.cmd.Wait()
		close(j.done)
	}()
	t.Cleanup(func() {
		syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
		<-j.done
	})
	return j
}

// wait returns the job's output and exit error, failing the test if the deadlock
// guard had to kill it.
func (j *mpiJob) wait(t *testing.T) (string, error) {
	t.Helper()
	<-j.done
	if !j.guard.Stop() {
		t.Fatalf("deadlock guard: mpirun still ran after %v and was killed; its output:\n%s", mpiGuard, j.out.String())
	}
	return j.out.String(), j.err
}

// waitFor returns once the job's output holds s; it fails the test if the job ends
// first.
func (j *mpiJob) waitFor(t *testing.T, s string) {
	t.Helper()
	for !strings.Contains(j.out.String(), s) {
		select {
		case <-j.done:
			t.Fatalf("mpirun ended before its output held %q:\n%s", s, j.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// rankPID finds the process of the job's given rank by its environment (Linux).
func (j *mpiJob) rankPID(t *testing.T, rank int) int {
	t.Helper()
	want := [][]byte{[]byte("GOCAFFE_MPI_TEST=" + j.tag + "\x00"), []byte("OMPI_COMM_WORLD_RANK=" + strconv.Itoa(rank) + "\x00")}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want[0]) || !bytes.Contains(env, want[1]) {
			continue
		}
		if exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); filepath.Base(exe) == "gocaffe-mpi" {
			return pid
		}
	}
	t.Fatalf("no process of rank %d found", rank)
	return 0
}

// lenetRun writes into dir the fixture's LeNet with train batches of batch and a
// solver of maxIter iterations that snapshots every snapshot under prefix (a path,
// or a name in dir), and returns the solver's file name.
func lenetRun(t *testing.T, dir string, batch, maxIter, snapshot int, prefix string) string {
	t.Helper()
	net, err := os.ReadFile(filepath.Join(dir, "lenet_train_test.prototxt"))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("lenet_b%d.prototxt", batch)
	if err := os.WriteFile(filepath.Join(dir, name), bytes.Replace(net, []byte("batch_size: 64"), []byte(fmt.Sprintf("batch_size: %d", batch)), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	solver := fmt.Sprintf(`net: %q
test_iter: 10 test_interval: 50
base_lr: 0.01 momentum: 0.9 weight_decay: 0.0005
lr_policy: "inv" gamma: 0.0001 power: 0.75
display: 1 max_iter: %d snapshot: %d snapshot_prefix: %q
random_seed: 1701
`, name, maxIter, snapshot, prefix)
	file := filepath.Base(prefix) + "_solver.prototxt"
	if err := os.WriteFile(filepath.Join(dir, file), []byte(solver), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// losses returns the loss of every display line of a log.
func losses(t *testing.T, log string) []float64 {
	t.Helper()
	var out []float64
	for _, p := range parseLog(t, log).Loss {
		out = append(out, p.Value)
	}
	return out
}

// weightsWithin compares two .caffemodel files value by value to atol.
func weightsWithin(t *testing.T, a, b string, atol float64) {
	t.Helper()
	na, nb := readModels(t, a, b)
	for i, la := range na.Layer {
		for k, ba := range la.Blobs {
			if err := testutil.CompareSlices(nb.Layer[i].Blobs[k].Data, ba.Data, atol, 0); err != nil {
				t.Errorf("layer %s, blob %d: %v", la.GetName(), k, err)
			}
		}
	}
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("%s and %s differ", a, b)
	}
}

// TestMPI trains the fixture LeNet with gocaffe-mpi under mpirun: 2 ranks with batch
// 32 against one process with batch 64, an exact resume, the same run between two
// network namespaces over TCP, and a rank that dies or is signalled.
func TestMPI(t *testing.T) {
	testutil.SkipShort(t, "training under mpirun: 2 ranks against one process, exact resume, two hosts over TCP, dying ranks")
	mpiBinary(t)
	work := testutil.CopyDir(t, "fixtures/nets/lenet_mnist")
	t.Chdir(work)
	straight := lenetRun(t, work, 32, 100, 50, "mpi")

	t.Run("two_ranks_match_one_process", func(t *testing.T) {
		one := lenetRun(t, work, 64, 100, 0, "one")
		want, err := gocaffe(t, "train", "--solver="+one)
		if err != nil {
			t.Fatal(err)
		}
		got, err := startMPI(t, work, 2, nil, nil, "--solver="+straight).wait(t)
		if err != nil {
			t.Fatalf("mpirun: %v\n%s", err, got)
		}
		g, w := losses(t, got), losses(t, want)
		if len(g) < 20 || len(w) < 20 {
			t.Fatalf("%d and %d loss lines", len(g), len(w))
		}
		worst := 0.0
		for i := 0; i < 20; i++ {
			d := math.Abs(g[i]-w[i]) / math.Abs(w[i])
			worst = max(worst, d)
			if d > 1e-3 {
				t.Errorf("iteration %d: loss %v on 2 ranks, %v in one process", i, g[i], w[i])
			}
		}
		t.Logf("losses of the first 20 iterations within %.2g (relative)", worst)
		weightsWithin(t, "mpi_iter_100.caffemodel", "one_iter_100.caffemodel", 1e-2)
	})

	t.Run("resume", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(work, "mpi_iter_50.solverstate")); err != nil {
			t.Skip("needs two_ranks_match_one_process's snapshots")
		}
		again := testutil.CopyDir(t, "fixtures/nets/lenet_mnist")
		solver := lenetRun(t, again, 32, 100, 50, "mpi")
		for _, f := range []string{"mpi_iter_50.caffemodel", "mpi_iter_50.solverstate"} {
			data, err := os.ReadFile(filepath.Join(work, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(again, f), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := startMPI(t, again, 2, nil, nil, "--solver="+solver, "--snapshot=mpi_iter_50.solverstate").wait(t)
		if err != nil {
			t.Fatalf("mpirun: %v\n%s", err, out)
		}
		for _, f := range []string{"mpi_iter_100.caffemodel", "mpi_iter_100.solverstate"} {
			sameFiles(t, filepath.Join(work, f), filepath.Join(again, f))
		}
		out, err = startMPI(t, again, 3, nil, nil, "--solver="+solver, "--snapshot=mpi_iter_50.solverstate").wait(t)
		if err == nil || !strings.Contains(out, "made by a run of 2 rank(s) and this run has 3") {
			t.Errorf("resuming on 3 ranks: %v\n%s", err, out)
		}
	})

	t.Run("two_hosts", func(t *testing.T) {
		h := twoHosts(t)
		dir := testutil.CopyDir(t, "fixtures/nets/lenet_mnist")
		solver := lenetRun(t, dir, 32, 100, 0, "mpi")
		out, err := startMPI(t, dir, 2, h.wrap, h.mpiArgs, "--solver="+solver).wait(t)
		if err != nil {
			t.Fatalf("mpirun: %v\n%s", err, out)
		}
		if launched := string(mustRead(t, h.agentLog)); !strings.Contains(launched, "launched on "+h.addrs[1]) {
			t.Errorf("the launch agent did not start the second host's daemon: %q", launched)
		}
		// The sums' order depends on the number of ranks alone: over TCP between two
		// hosts the weights are those of the run over shared memory, bit for bit.
		if _, err := os.Stat(filepath.Join(work, "mpi_iter_100.caffemodel")); err == nil {
			sameFiles(t, filepath.Join(work, "mpi_iter_100.caffemodel"), filepath.Join(dir, "mpi_iter_100.caffemodel"))
		}
	})

	t.Run("dead_rank", func(t *testing.T) {
		long := lenetRun(t, work, 32, 1000000, 0, "dead")
		tests := []struct {
			name   string
			rank   int
			sig    syscall.Signal
			expect string
		}{
			{"rank 1 killed", 1, syscall.SIGKILL, "rank 1 died"},
			{"rank 0 killed", 0, syscall.SIGKILL, "rank 0 died"},
			{"rank 1 stopped", 1, syscall.SIGSTOP, "rank 1 has sent nothing for 2s"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				j := startMPI(t, work, 3, nil, nil, "--solver="+long, "--mpi_timeout=2s")
				j.waitFor(t, "] Iteration 3 (")
				syscall.Kill(j.rankPID(t, tc.rank), tc.sig)
				out, err := j.wait(t)
				if err == nil {
					t.Errorf("mpirun exited 0 after %s", tc.name)
				}
				if !strings.Contains(out, tc.expect) {
					t.Errorf("no %q in the output:\n%s", tc.expect, out)
				}
			})
		}
	})

	t.Run("signals", func(t *testing.T) {
		tests := []struct {
			rank int
			sig  syscall.Signal
		}{
			{1, syscall.SIGTERM},
			{0, syscall.SIGINT},
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%v_to_rank_%d", tc.sig, tc.rank), func(t *testing.T) {
				prefix := filepath.Join(t.TempDir(), "sig")
				long := lenetRun(t, work, 32, 1000000, 0, prefix)
				j := startMPI(t, work, 2, nil, nil, "--solver="+long)
				j.waitFor(t, "] Iteration 3 (")
				syscall.Kill(j.rankPID(t, tc.rank), tc.sig)
				out, err := j.wait(t)
				if err != nil {
					t.Fatalf("mpirun: %v\n%s", err, out)
				}
				if !strings.Contains(out, "Optimization stopped early.") {
					t.Errorf("no early stop:\n%s", out)
				}
				snaps, _ := filepath.Glob(prefix + "_iter_*.solverstate")
				if len(snaps) != 1 {
					t.Fatalf("snapshots %v, want the one at the stop", snaps)
				}
				st, err := protofile.ReadSolverState(snaps[0])
				if err != nil {
					t.Fatal(err)
				}
				if r := st.GetGocaffeResume(); r.GetRanks() != 2 || len(r.RankState) != 1 {
					t.Errorf("the snapshot at the stop holds %d ranks' states", 1+len(r.GetRankState()))
				}
			})
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostPair is two "hosts" on this machine: network namespaces joined by a veth pair
// with private addresses, mpirun started in the first, and Open MPI's launch agent
// entering the second's namespace where ssh would log in to another machine.
type hostPair struct {
	addrs    [2]string
	wrap     []string // runs mpirun in the first host
	mpiArgs  []string // the hostfile, the agent, TCP between the hosts
	agentLog string   // the hosts the agent launched on
}

// twoHosts makes a hostPair, removed after the test, or skips the test where
// network namespaces cannot be made (not root, no ip, no permission).
func twoHosts(t *testing.T) hostPair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command (iproute2) to make network namespaces")
	}
	id := strconv.Itoa(os.Getpid() % 100000)
	ns := [2]string{"gocaffe-mpi-" + id + "-a", "gocaffe-mpi-" + id + "-b"}
	veth := [2]string{"gcm" + id + "a", "gcm" + id + "b"}
	h := hostPair{addrs: [2]string{"10.241.0.1", "10.241.0.2"}}
	ipCmd := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ipCmd("netns", "add", ns[0]); err != nil {
		t.Skipf("cannot make network namespaces here: %v", err)
	}
	t.Cleanup(func() { ipCmd("netns", "del", ns[0]) })
	if err := ipCmd("netns", "add", ns[1]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ipCmd("netns", "del", ns[1]) })
	steps := [][]string{{"link", "add", veth[0], "type", "veth", "peer", "name", veth[1]}}
	for i := range ns {
		steps = append(steps,
			[]string{"link", "set", veth[i], "netns", ns[i]},
			[]string{"-n", ns[i], "addr", "add", h.addrs[i] + "/24", "dev", veth[i]},
			[]string{"-n", ns[i], "link", "set", veth[i], "up"},
			[]string{"-n", ns[i], "link", "set", "lo", "up"})
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	h.agentLog = filepath.Join(dir, "agent.log")
	agent := filepath.Join(dir, "agent")
	script := fmt.Sprintf(`#!/bin/sh
# Open MPI's launch agent for two "hosts" that are network namespaces of this
# machine: it runs the command it is given (Open MPI's daemon) inside the host's
# namespace, where ssh would log in to another machine.
echo "launched on $1" >> %[1]q
case "$1" in
%[2]s) ns=%[3]s ;;
%[4]s) ns=%[5]s ;;
*) echo "agent: no such host: $1" >&2; exit 1 ;;
esac
shift
exec ip netns exec "$ns" /bin/sh -c "$*"
`, h.agentLog, h.addrs[0], ns[0], h.addrs[1], ns[1])
	if err := os.WriteFile(agent, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	hostfile := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hostfile, []byte(h.addrs[0]+" slots=1\n"+h.addrs[1]+" slots=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.wrap = []string{"ip", "netns", "exec", ns[0]}
	h.mpiArgs = []string{"--hostfile", hostfile, "--mca", "plm_rsh_agent", agent,
		"--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "10.241.0.0/24", "--mca", "oob_tcp_if_include", "10.241.0.0/24"}
	return h
}
