//go:build !mpi || !cgo

package mpi

import "errors"

// Available reports whether this binary was built with MPI (the mpi build tag, with
// cgo, against Open MPI's libmpi: `make mpi`).
const Available = false

// ErrNoMPI is returned by Init in a binary built without MPI.
var ErrNoMPI = errors.New("this gocaffe was built without MPI: build gocaffe-mpi with `make mpi` " +
	"(Go's mpi build tag and cgo against Open MPI: apt-get install openmpi-bin libopenmpi-dev) " +
	"and start that binary with mpirun")

// Init joins the MPI job this process was started in. Without MPI it returns ErrNoMPI.
func Init() (*Group, error) { return nil, ErrNoMPI }

// Finalize leaves the MPI job after a run that ended well.
func Finalize() error { return ErrNoMPI }

// Library names the MPI library this binary calls.
func Library() string { return "none" }
