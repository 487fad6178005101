#!/usr/bin/env bash
# mpi_throughput.sh: README's data-parallel throughput. Trains LeNet (batch 64) and
# cifar10_quick (batch 100) on the fixture databases as one process on 2 threads
# (GOMAXPROCS=2 bin/gocaffe) and as 2 MPI ranks on 1 thread each with half the batch
# (mpirun -np 2, GOMAXPROCS=1, bin/gocaffe-mpi), the two interleaved, ROUNDS times,
# and prints images per second (median over the rounds) from the log's timestamps
# between the display lines of iterations SKIP and ITERS (the first SKIP iterations
# are warm-up; ITERS a multiple of SKIP).
#
#   scripts/mpi_throughput.sh [ROUNDS [ITERS [SKIP]]]     (default 3 200 50)
#
# Needs Open MPI (apt-get install openmpi-bin libopenmpi-dev); builds bin/gocaffe and
# bin/gocaffe-mpi.
set -euo pipefail
rounds=${1:-3}
iters=${2:-200}
skip=${3:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
(cd "$root" && make -s build mpi)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/testdata/fixtures/nets/lenet_mnist" "$root/testdata/fixtures/nets/cifar10_synth" "$work/"
chmod -R u+w "$work"
mpirun=(mpirun --bind-to none -x GOMAXPROCS=1)
[ "$(id -u)" -ne 0 ] || mpirun+=(--allow-run-as-root)

# solver DIR NET BATCH: a solver for NET with train batches of BATCH (no tests, no
# snapshots; a small fixed rate: the speed is what is measured).
solver() {
  local dir=$1 net=$2 batch=$3
  sed "0,/batch_size: [0-9]*/s//batch_size: $batch/" "$dir/$net" >"$dir/b$batch.prototxt"
  cat >"$dir/b$batch.solver" <<EOF
net: "b$batch.prototxt"
base_lr: 0.0001 momentum: 0.9 lr_policy: "fixed"
display: $skip max_iter: $((iters + 1)) snapshot: 0 snapshot_after_train: false
random_seed: 1701
EOF
  echo "b$batch.solver"
}

# seconds LOG ITER: the time of the display line of iteration ITER, in seconds of the day.
seconds() {
  grep -m1 "] Iteration $2 (" "$1" | awk '{split($2, t, ":"); printf "%.6f\n", t[1]*3600 + t[2]*60 + t[3]}'
}

# rate LOG BATCH: images per second between iterations skip and iters.
rate() {
  local a b
  a=$(seconds "$1" "$skip")
  b=$(seconds "$1" "$iters")
  awk -v a="$a" -v b="$b" -v n=$((iters - skip)) -v batch="$2" 'BEGIN { printf "%.0f", n * batch / (b - a) }'
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

printf "%-14s %6s %22s %22s %7s\n" net batch "1 rank x 2 threads" "2 ranks x 1 thread" ratio
for spec in lenet_mnist:lenet_train_test.prototxt:64 cifar10_synth:cifar10_quick_train_test.prototxt:100; do
  IFS=: read -r dir net batch <<<"$spec"
  d=$work/$dir
  one=$(solver "$d" "$net" "$batch")
  two=$(solver "$d" "$net" $((batch / 2)))
  ones=() twos=()
  for ((r = 0; r < rounds; r++)); do
    (cd "$d" && GOMAXPROCS=2 "$root/bin/gocaffe" train --solver="$one" 2>"$work/one.log")
    ones+=("$(rate "$work/one.log" "$batch")")
    (cd "$d" && "${mpirun[@]}" -np 2 "$root/bin/gocaffe-mpi" train --solver="$two" 2>"$work/two.log")
    twos+=("$(rate "$work/two.log" "$batch")")
  done
  a=$(printf "%s\n" "${ones[@]}" | median)
  b=$(printf "%s\n" "${twos[@]}" | median)
  printf "%-14s %6s %16s img/s %16s img/s %7s   (runs: %s | %s)\n" "${net%_train_test.prototxt}" "$batch" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')" "${ones[*]}" "${twos[*]}"
done
