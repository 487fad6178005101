package mpi

import (
	"fmt"
	"os"
	"strconv"
)

// Launched reports whether this process was started as one of several by an MPI
// launcher — Open MPI's mpirun (which sets OMPI_COMM_WORLD_SIZE), a PMIx or PMI
// launcher such as Slurm's srun --mpi=pmix, or srun on its own — with the number of
// processes the launcher started (0 when it does not say) and how that is known,
// for messages.
func Launched() (launched bool, size int, how string) {
	if v := os.Getenv("OMPI_COMM_WORLD_SIZE"); v != "" {
		n, _ := strconv.Atoi(v)
		return true, n, "mpirun (OMPI_COMM_WORLD_SIZE=" + v + ")"
	}
	slurm, _ := strconv.Atoi(os.Getenv("SLURM_STEP_NUM_TASKS"))
	if v := os.Getenv("PMIX_RANK"); v != "" {
		return true, slurm, "a PMIx launcher (PMIX_RANK=" + v + ")"
	}
	if v := os.Getenv("PMI_SIZE"); v != "" {
		n, _ := strconv.Atoi(v)
		return true, n, "a PMI launcher (PMI_SIZE=" + v + ")"
	}
	if slurm > 1 && os.Getenv("SLURM_PROCID") != "" {
		return true, slurm, fmt.Sprintf("srun (SLURM_STEP_NUM_TASKS=%d)", slurm)
	}
	return false, 0, ""
}
