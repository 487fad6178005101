package mpi

import "testing"

// TestLaunched reads the launchers' environments.
func TestLaunched(t *testing.T) {
	vars := []string{"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID"}
	tests := []struct {
		name     string
		env      map[string]string
		launched bool
		size     int
	}{
		{"alone", nil, false, 0},
		{"mpirun", map[string]string{"OMPI_COMM_WORLD_SIZE": "4"}, true, 4},
		{"mpirun -np 1", map[string]string{"OMPI_COMM_WORLD_SIZE": "1"}, true, 1},
		{"srun --mpi=pmix", map[string]string{"PMIX_RANK": "1", "SLURM_STEP_NUM_TASKS": "8", "SLURM_PROCID": "1"}, true, 8},
		{"hydra", map[string]string{"PMI_SIZE": "3"}, true, 3},
		{"srun without MPI", map[string]string{"SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "0"}, true, 2},
		{"a batch script's one task", map[string]string{"SLURM_STEP_NUM_TASKS": "1", "SLURM_PROCID": "0"}, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, tc.env[v])
			}
			launched, size, how := Launched()
			if launched != tc.launched || size != tc.size {
				t.Errorf("Launched() = %v, %d (%s), want %v, %d", launched, size, how, tc.launched, tc.size)
			}
		})
	}
}
