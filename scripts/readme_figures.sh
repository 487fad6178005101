#!/usr/bin/env bash
# Runs `make demo` or `make lenet` and writes what README.md says of it: the run's
# log (quiet: GLOG_minloglevel=1, the lines parse_log.py reads) to docs/runs/NAME.log,
# its wall time, commit and machine to docs/runs/NAME.txt, and then README.md's
# results block from every recorded run (TestReadmeFigures, which otherwise checks
# that the README and docs/runs agree). Run it from the repository's top folder, on
# a committed tree, when the numbers may have changed:
#
#   scripts/readme_figures.sh demo     # seconds
#   scripts/readme_figures.sh lenet    # a minute or two on two cores
#
# Environment: GO (default go).
set -euo pipefail

target=${1:-}
case "$target" in
demo | lenet) ;;
*)
	echo "usage: scripts/readme_figures.sh demo|lenet" >&2
	exit 2
	;;
esac
go=${GO:-go}
[ -f Makefile ] && [ -d cmd/gocaffe ] || {
	echo "readme_figures.sh: run it from the repository's top folder" >&2
	exit 1
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2>/dev/null || uname -m)
cores=$(nproc 2>/dev/null || sysctl -n hw.ncpu)
commit=$(git describe --tags --always --dirty)

mkdir -p docs/runs
log=docs/runs/$target.log
now() { echo "${EPOCHREALTIME:-$(date +%s)}"; } # bash 5's clock, else whole seconds
start=$(now)
GLOG_minloglevel=1 make "$target" >/dev/null 2>"$log.tmp"
end=$(now)
mv "$log.tmp" "$log"
{
	echo "command: make $target"
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit: $commit"
	echo "cpu: $cpu"
	echo "cores: $cores"
	echo "niceness: $(nice)"
	echo "wall_seconds: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
} >"docs/runs/$target.txt"
bin/gocaffe version >"docs/runs/$target.version"

"$go" test ./cmd/gocaffe -run '^TestReadmeFigures$' -count=1 -args -update-readme
"$go" test ./cmd/gocaffe -run '^TestReadmeFigures$' -count=1
grep -A12 -F '<!-- figures:' README.md
