#!/usr/bin/env bash
# cifar10_time.sh: the wall time of cifar10_quick's first 1,000 training iterations
# and its 3 tests (Caffe's models/cifar10_quick solver with max_iter 1000), the run
# ../shared/bench/README.md times Caffe on (293 s on the real CIFAR-10). The real
# archives cannot be fetched on these machines, so it trains on data of CIFAR-10's
# size and format with pseudo-random pixels (scripts/synthcifar): the time is a
# training run's, the accuracy (about 0.1) means nothing.
#
#   scripts/cifar10_time.sh [path/to/gocaffe]     (default: bin/gocaffe, built if missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gocaffe=${1:-$root/bin/gocaffe}
if [[ ! -x $gocaffe ]]; then
	(cd "$root" && go build -o bin/gocaffe ./cmd/gocaffe)
fi
gocaffe=$(cd "$(dirname "$gocaffe")" && pwd)/$(basename "$gocaffe")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && go run ./scripts/synthcifar "$work/cifar-10-batches-bin")
"$gocaffe" convert cifar10 -q "$work/cifar-10-batches-bin" "$work/cifar10"
"$gocaffe" mean -q "$work/cifar10/cifar10_train_lmdb" "$work/cifar10/mean.binaryproto"
sed -e "s|data/cifar10/|$work/cifar10/|g" "$root/models/cifar10_quick/cifar10_quick_train_test.prototxt" >"$work/net.prototxt"
sed -e "s|^net: .*|net: \"$work/net.prototxt\"|" -e 's|^max_iter: .*|max_iter: 1000|' \
	-e "s|^snapshot_prefix: .*|snapshot_prefix: \"$work/cifar10_quick\"|" \
	"$root/models/cifar10_quick/cifar10_quick_solver.prototxt" >"$work/solver.prototxt"

start=${EPOCHREALTIME:-$(date +%s)}
"$gocaffe" train -q --solver="$work/solver.prototxt" 2>"$work/train.log"
end=${EPOCHREALTIME:-$(date +%s)}
tests=$(grep -c 'Testing net' "$work/train.log" || true)
awk -v a="$start" -v b="$end" -v t="$tests" -v c="$(git -C "$root" describe --always --dirty)" 'BEGIN {
	s = b - a
	printf "cifar10_quick, 1000 iterations and %d tests on synthetic CIFAR-10: %.1f s (commit %s, %s)\n", t, s, c, strftime("%Y-%m-%d %H:%M UTC", systime(), 1)
	printf "against Caffe 1.0 on the real CIFAR-10, 293 s (../shared/bench/README.md): %.2f\n", s / 293
}'
