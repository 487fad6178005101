//go:build mpi && cgo

package mpi

/*
#cgo pkg-config: ompi-c
#include <sched.h>
#include <stdlib.h>
#include <mpi.h>

// The communicator gocaffe's messages travel on: a duplicate of MPI_COMM_WORLD, so
// that nothing else's messages can match ours, whose errors return to the caller
// (MPI_ERRORS_RETURN) instead of aborting the job, so that they reach the user with
// what gocaffe was doing.
static MPI_Comm gc_comm = MPI_COMM_NULL;

// The requests of the one exchange under way: [0] the send, [1] the receive. MPI is
// called from one goroutine at a time (MPI_THREAD_SERIALIZED).
static MPI_Request gc_req[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};

static int gc_init(int *rank, int *size, int *provided) {
	// Open MPI would catch SIGSEGV, SIGBUS, SIGFPE and SIGABRT to print its own
	// backtrace, taking them from the Go runtime (which turns a nil dereference
	// into a panic). A user's own setting of opal_signal is kept.
	setenv("OMPI_MCA_opal_signal", "", 0);
	int err = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
	if (err != MPI_SUCCESS) return err;
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	if ((err = MPI_Comm_dup(MPI_COMM_WORLD, &gc_comm)) != MPI_SUCCESS) return err;
	MPI_Comm_set_errhandler(gc_comm, MPI_ERRORS_RETURN);
	if ((err = MPI_Comm_rank(gc_comm, rank)) != MPI_SUCCESS) return err;
	return MPI_Comm_size(gc_comm, size);
}

static int gc_start(int to, void *send, int nsend, int from, void *recv, int nrecv) {
	int err;
	gc_req[0] = gc_req[1] = MPI_REQUEST_NULL;
	if (from >= 0 && (err = MPI_Irecv(recv, nrecv, MPI_BYTE, from, 1, gc_comm, &gc_req[1])) != MPI_SUCCESS) return err;
	if (to >= 0 && (err = MPI_Isend(send, nsend, MPI_BYTE, to, 1, gc_comm, &gc_req[0])) != MPI_SUCCESS) return err;
	return MPI_SUCCESS;
}

// gc_test reports whether both requests are done, and then the bytes received.
static int gc_test(int *done, int *count) {
	MPI_Status st[2];
	int err = MPI_Testall(2, gc_req, done, st);
	if (err == MPI_ERR_IN_STATUS) {
		err = st[0].MPI_ERROR != MPI_SUCCESS ? st[0].MPI_ERROR : st[1].MPI_ERROR;
	}
	if (err != MPI_SUCCESS) return err;
	*count = 0;
	if (*done) MPI_Get_count(&st[1], MPI_BYTE, count);
	return MPI_SUCCESS;
}

static void gc_cancel(void) {
	for (int i = 0; i < 2; i++) {
		if (gc_req[i] != MPI_REQUEST_NULL) {
			MPI_Cancel(&gc_req[i]);
			MPI_Request_free(&gc_req[i]);
		}
	}
}

static int gc_error_string(int err, char *buf) {
	int len = 0;
	if (MPI_Error_string(err, buf, &len) != MPI_SUCCESS) len = 0;
	buf[len] = 0;
	return len;
}

static int gc_finalize(void) {
	MPI_Comm_free(&gc_comm);
	return MPI_Finalize();
}

static void gc_library(char *buf) {
	int len = 0;
	MPI_Get_library_version(buf, &len);
	buf[len] = 0;
}

static int gc_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static int gc_max_library_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// Available reports whether this binary was built with MPI (the mpi build tag, with
// cgo, against Open MPI's libmpi: `make mpi`).
const Available = true

// maxMessage is the largest message one MPI call carries here (its count is an int).
const maxMessage = 1 << 30

// mpiError is an error code of an MPI call, with its text.
type mpiError struct {
	call string
	code C.int
}

func (e mpiError) Error() string {
	buf := (*C.char)(C.malloc(C.size_t(C.gc_max_error_string() + 1)))
	defer C.free(unsafe.Pointer(buf))
	C.gc_error_string(e.code, buf)
	return fmt.Sprintf("%s: %s (MPI error %d)", e.call, C.GoString(buf), int(e.code))
}

// Init joins the MPI job this process was started in (MPI_Init_thread, serialized
// calls) and returns its Group, on a communicator of its own whose errors come back
// as errors.
func Init() (*Group, error) {
	var rank, size, provided C.int
	if code := C.gc_init(&rank, &size, &provided); code != 0 {
		return nil, mpiError{"MPI_Init_thread", code}
	}
	if provided < C.MPI_THREAD_SERIALIZED {
		return nil, fmt.Errorf("the MPI library gives thread level %d; gocaffe needs MPI_THREAD_SERIALIZED (%d): Go may call it from any thread", int(provided), int(C.MPI_THREAD_SERIALIZED))
	}
	return NewGroup(&mpiTransport{rank: int(rank), size: int(size)}), nil
}

// Finalize leaves the MPI job after a run that ended well. After a failure, leave
// without it: MPI_Finalize waits for every rank, and one may be gone.
func Finalize() error {
	if code := C.gc_finalize(); code != 0 {
		return mpiError{"MPI_Finalize", code}
	}
	return nil
}

// Library names the MPI library this binary calls (MPI_Get_library_version's first
// line).
func Library() string {
	buf := (*C.char)(C.malloc(C.size_t(C.gc_max_library_string() + 1)))
	defer C.free(unsafe.Pointer(buf))
	C.gc_library(buf)
	s := C.GoString(buf)
	if i := strings.IndexAny(s, ",\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// mpiTransport exchanges messages with MPI_Isend and MPI_Irecv on gocaffe's
// communicator and waits for them with MPI_Testall, so that it can stop waiting
// when the Group has failed.
type mpiTransport struct {
	rank, size int
	// pins keeps the buffers of the exchange under way where MPI was told they are.
	// After a failed exchange they stay pinned: MPI may still hold them, and the
	// process is on its way out.
	pins runtime.Pinner
}

func (m *mpiTransport) Rank() int { return m.rank }
func (m *mpiTransport) Size() int { return m.size }

func (m *mpiTransport) Exchange(to int, send []byte, from int, recv []byte, stop func() error) error {
	// Messages above maxMessage go in pieces: a send and a receive of one call may
	// have different lengths, so piece i of each goes with piece i of the other.
	pieces := func(n int) int { return (n + maxMessage - 1) / maxMessage }
	ns, nr := 0, 0
	if to >= 0 {
		ns = max(pieces(len(send)), 1)
	}
	if from >= 0 {
		nr = max(pieces(len(recv)), 1)
	}
	for i := 0; i < max(ns, nr); i++ {
		pto, pfrom := to, from
		var s, r []byte
		if i < ns {
			s = send[min(i*maxMessage, len(send)):min((i+1)*maxMessage, len(send))]
		} else {
			pto = -1
		}
		if i < nr {
			r = recv[min(i*maxMessage, len(recv)):min((i+1)*maxMessage, len(recv))]
		} else {
			pfrom = -1
		}
		if err := m.exchange(pto, s, pfrom, r, stop); err != nil {
			return err
		}
	}
	return nil
}

func (m *mpiTransport) exchange(to int, send []byte, from int, recv []byte, stop func() error) error {
	var sp, rp unsafe.Pointer
	if len(send) > 0 {
		m.pins.Pin(&send[0])
		sp = unsafe.Pointer(&send[0])
	}
	if len(recv) > 0 {
		m.pins.Pin(&recv[0])
		rp = unsafe.Pointer(&recv[0])
	}
	if code := C.gc_start(C.int(to), sp, C.int(len(send)), C.int(from), rp, C.int(len(recv))); code != 0 {
		C.gc_cancel()
		return mpiError{"MPI_Isend/MPI_Irecv", code}
	}
	// Wait. Open MPI moves a large message one fragment per call of MPI_Testall on
	// either side, so the test is repeated without pause: a rank waiting for a
	// slower one spins, as Open MPI's own MPI_Wait does, and after the first
	// thousand tries yields its core between tries (sched_yield), as Open MPI does
	// when the job has more processes than cores.
	for spin := 0; ; spin++ {
		var done, count C.int
		if code := C.gc_test(&done, &count); code != 0 {
			C.gc_cancel()
			return mpiError{"MPI_Testall", code}
		}
		if done != 0 {
			m.pins.Unpin()
			if from >= 0 && int(count) != len(recv) {
				return fmt.Errorf("message truncated: %d bytes came, %d expected (do all ranks train the same net?)", int(count), len(recv))
			}
			return nil
		}
		if err := stop(); err != nil {
			C.gc_cancel()
			return err
		}
		if spin < 1000 {
			runtime.Gosched()
		} else {
			C.sched_yield()
		}
	}
}
