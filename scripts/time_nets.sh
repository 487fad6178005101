#!/usr/bin/env bash
# time_nets.sh: the README's speed table. Runs `gocaffe time` on the reference nets
# with GOMAXPROCS=1 and 2, three times each, and prints the median beside Caffe's
# figures from its logs in testdata/fixtures.
#
#   scripts/time_nets.sh [path/to/gocaffe]     (default: bin/gocaffe, built if missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gocaffe=${1:-$root/bin/gocaffe}
if [[ ! -x $gocaffe ]]; then
  (cd "$root" && go build -o bin/gocaffe ./cmd/gocaffe)
fi
gocaffe=$(cd "$(dirname "$gocaffe")" && pwd)/$(basename "$gocaffe")

# The nets read their databases by relative paths; copy them where running them
# cannot touch the repository.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/testdata/fixtures/nets/lenet_mnist" "$root/testdata/fixtures/nets/cifar10_synth" \
  "$root/testdata/fixtures/nets/timing" "$work/"
chmod -R u+w "$work"

# caffe_ms LOG: the "Average Forward-Backward" of one of Caffe's time logs.
caffe_ms() { grep -o 'Average Forward-Backward: [0-9.]*' "$1" | awk '{print $3}'; }

# median_ms PROCS MODEL ITERATIONS: the median of three gocaffe runs.
median_ms() {
  for _ in 1 2 3; do
    GOMAXPROCS=$1 "$gocaffe" time --model="$2" --iterations="$3" 2>&1 |
      grep -o 'Average Forward-Backward: [0-9.]*' | awk '{print $3}'
  done | sort -g | sed -n 2p
}

printf '%-28s %10s %10s %14s %13s\n' net gocaffe/1 gocaffe/2 caffe/1thread caffe/2threads
row() { # NAME DIR MODEL ITERATIONS CAFFE_LOG_STEM
  local dir=$work/$2
  local one two
  one=$(cd "$dir" && median_ms 1 "$3" "$4")
  two=$(cd "$dir" && median_ms 2 "$3" "$4")
  printf '%-28s %10s %10s %14s %13s\n' "$1" "$one" "$two" \
    "$(caffe_ms "$dir/${5}_1thread.log")" "$(caffe_ms "$dir/${5}_2threads.log")"
}
row "LeNet (64)" lenet_mnist lenet_train_test.prototxt 50 time
row "cifar10_quick (100)" cifar10_synth cifar10_quick_train_test.prototxt 20 time
row "cifar10_full (100)" timing cifar10_full_train_test.prototxt 20 cifar10_full_time
row "AlexNet (10), fb" timing alexnet_deploy_b10_fb.prototxt 10 alexnet_b10_forcebackward_time
row "SqueezeNet 1.1 (8), fb" timing squeezenet_deploy_b8_fb.prototxt 10 squeezenet_b8_forcebackward_time
row "ResNet-50 (1), fb" timing resnet50_deploy_b1_fb.prototxt 10 resnet50_b1_forcebackward_time
