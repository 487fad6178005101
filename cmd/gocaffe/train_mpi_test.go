package main

import (
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/mpi"
)

// TestTrainWithoutMPIUnderLauncher: the gocaffe built without MPI, started by an MPI
// launcher, stops before it reads anything, saying what to run instead.
func TestTrainWithoutMPIUnderLauncher(t *testing.T) {
	if mpi.Available {
		t.Skip("this test binary was built with MPI")
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"mpirun", map[string]string{"OMPI_COMM_WORLD_SIZE": "4"}, "started by mpirun (OMPI_COMM_WORLD_SIZE=4)"},
		{"mpirun -np 1", map[string]string{"OMPI_COMM_WORLD_SIZE": "1"}, "mpirun -np 1 bin/gocaffe-mpi"},
		{"srun --mpi=pmix", map[string]string{"PMIX_RANK": "0", "SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "0"}, "a PMIx launcher"},
		{"srun", map[string]string{"SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "1"}, "srun (SLURM_STEP_NUM_TASKS=2)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID"} {
				t.Setenv(v, tc.env[v])
			}
			// The solver does not exist: the refusal must come first.
			_, err := gocaffe(t, "train", "--solver=no/such/solver.prototxt")
			if err == nil {
				t.Fatal("trained under an MPI launcher without MPI")
			}
			for _, want := range []string{tc.want, "built without MPI", "make mpi"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v\nsays nothing of %q", err, want)
				}
			}
		})
	}
}
