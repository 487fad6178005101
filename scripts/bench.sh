#!/usr/bin/env bash
# bench.sh: gocaffe's speed against PyTorch and against Caffe, measured in one run.
#
# Runs `gocaffe time` in both numerics (fast and caffe), PyTorch (bench/torch_nets.py,
# the same nets built layer for layer or from torchvision) and, as a second anchor,
# gocaffe at commit a4718d4, on LeNet (64), cifar10_quick (100), AlexNet (10),
# SqueezeNet 1.1 (8) and ResNet-50 (1), at each thread count, interleaved, several
# rounds; prints the minimum and median of each and the ratios.
#
# Caffe itself is not built here (its build needs files these machines cannot
# fetch). Its times come in through the anchors, whose ratios to Caffe were measured
# in one run on a quiet machine of this kind (../shared/bench/README.md, 2026-12-07):
# gocaffe/Caffe = (gocaffe/PyTorch) · (PyTorch/Caffe) = (gocaffe/a4718d4) · (a4718d4/Caffe).
#
#   scripts/bench.sh [-r ROUNDS] [-t "1 2"] [-n "lenet cifar10_quick ..."] [--no-torch] [--no-anchor]
#
# PyTorch comes from Debian (python3-torch, python3-torchvision), installed if missing,
# with libopenblas0-pthread: Debian's default reference BLAS makes PyTorch's
# fallbacks three times slower, where the anchors' machine had OpenBLAS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=5 threads="1 2" nets="lenet cifar10_quick alexnet squeezenet resnet50" torch=1 anchor=a4718d4
while [[ $# -gt 0 ]]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	-t) threads=$2; shift 2 ;;
	-n) nets=$2; shift 2 ;;
	--no-torch) torch=0; shift ;;
	--no-anchor) anchor=""; shift ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n ${anchor_tree:-} ]] && git -C "$root" worktree remove --force "$anchor_tree" >/dev/null 2>&1 || true' EXIT

echo "# building gocaffe" >&2
(cd "$root" && go build -o "$work/gocaffe" ./cmd/gocaffe)
if [[ -n $anchor ]]; then
	anchor_tree=$work/anchor-src
	if git -C "$root" worktree add --detach "$anchor_tree" "$anchor" >/dev/null 2>&1; then
		(cd "$anchor_tree" && go build -o "$work/anchor" ./cmd/gocaffe)
	else
		echo "# no commit $anchor in this clone: no anchor" >&2
		anchor="" anchor_tree=""
	fi
fi
if [[ $torch == 1 ]] && ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
	echo "# installing python3-torch, python3-torchvision, libopenblas0-pthread" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		python3-torch python3-torchvision libopenblas0-pthread >/dev/null
fi

# The nets: gocaffe prototxt, iterations, PyTorch's name for it (- where it has none).
timing=$root/testdata/fixtures/nets/timing
declare -A model iters tname
model[lenet]=$root/scripts/bench/lenet_time.prototxt iters[lenet]=50 tname[lenet]=lenet_time
model[cifar10_quick]=$root/scripts/bench/cifar10_quick_time.prototxt iters[cifar10_quick]=20 tname[cifar10_quick]=cifar10_quick_time
model[alexnet]=$timing/alexnet_deploy_b10_fb.prototxt iters[alexnet]=10 tname[alexnet]=-
model[squeezenet]=$timing/squeezenet_deploy_b8_fb.prototxt iters[squeezenet]=10 tname[squeezenet]=squeezenet_deploy_b8_fb
model[resnet50]=$timing/resnet50_deploy_b1_fb.prototxt iters[resnet50]=10 tname[resnet50]=resnet50_deploy_b1_fb

# Caffe's ratios to the anchors, from ../shared/bench/README.md (2026-12-07, one run,
# minimum of 5 rounds): PyTorch/Caffe and a4718d4/Caffe per net and thread count,
# e.g. LeNet at 2 threads 16.1/16.6 and 14.5/16.6 ms.
declare -A torch_caffe anchor_caffe
torch_caffe[lenet,2]=0.9699 torch_caffe[lenet,1]=1.0802
torch_caffe[cifar10_quick,2]=0.5473 torch_caffe[cifar10_quick,1]=0.5238
torch_caffe[squeezenet,2]=0.7273 torch_caffe[squeezenet,1]=1.0970
torch_caffe[resnet50,2]=0.9775 torch_caffe[resnet50,1]=1.0360
anchor_caffe[lenet,2]=0.8735 anchor_caffe[lenet,1]=0.8396
anchor_caffe[cifar10_quick,2]=0.5900 anchor_caffe[cifar10_quick,1]=0.7148
anchor_caffe[alexnet,2]=0.7751 anchor_caffe[alexnet,1]=1.0907
anchor_caffe[squeezenet,2]=0.9127 anchor_caffe[squeezenet,1]=1.0667
anchor_caffe[resnet50,2]=1.2322 anchor_caffe[resnet50,1]=1.1468

# gocaffe_ms BIN NET THREADS [ARGS]: ms a forward-backward pass (Total Time / iterations).
gocaffe_ms() {
	local bin=$1 net=$2 t=$3
	shift 3
	GOMAXPROCS=$t OMP_NUM_THREADS=$t "$bin" time --model="${model[$net]}" --iterations="${iters[$net]}" "$@" 2>&1 |
		awk -v n="${iters[$net]}" '/Total Time:/ {print $(NF-1)/n}'
}

results=$work/results
for r in $(seq "$rounds"); do
	for t in $threads; do
		for net in $nets; do
			echo "# round $r, $t threads, $net" >&2
			echo "fast $net $t $(gocaffe_ms "$work/gocaffe" "$net" "$t" --numerics=fast)" >>"$results"
			echo "caffe $net $t $(gocaffe_ms "$work/gocaffe" "$net" "$t" --numerics=caffe)" >>"$results"
			if [[ -n $anchor ]]; then
				echo "anchor $net $t $(gocaffe_ms "$work/anchor" "$net" "$t")" >>"$results"
			fi
			if [[ $torch == 1 && ${tname[$net]} != - ]]; then
				ms=$(/usr/bin/python3 "$root/scripts/bench/torch_nets.py" -t "$t" -n "${iters[$net]}" --nets "${tname[$net]}" |
					sed -n 's/.*fwd_bwd_ms=//p')
				echo "torch $net $t $ms" >>"$results"
			fi
		done
	done
done

cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "$(date -u +%Y-%m-%d\ %H:%M) UTC, $cpu, $(nproc) cores; $rounds rounds, interleaved; ms a forward-backward pass, min (median)"
echo "command: scripts/bench.sh -r $rounds -t \"$threads\"; Caffe's ratios through ../shared/bench/README.md's anchors"
echo
# The table, in the order the nets were given.
for net in $nets; do
	for t in $threads; do
		awk -v net="$net" -v t="$t" -v tc="${torch_caffe[$net,$t]:-}" -v ac="${anchor_caffe[$net,$t]:-}" '
			function mm(tool,   n, i, j, v, a, s) {
				s = ""
				for (i = 1; i <= cnt; i++) if (tools[i] == tool && v0[i] != "") s = s " " v0[i]
				n = split(s, a, " ")
				if (n == 0) { mn = ""; md = ""; return }
				for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > v + 0; j--) a[j+1] = a[j]; a[j+1] = v }
				mn = a[1]; md = (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
			}
			$2 == net && $3 == t { cnt++; tools[cnt] = $1; v0[cnt] = $4 }
			END {
				mm("fast"); fmin = mn; fmed = md
				mm("caffe"); cmin = mn; cmed = md
				mm("torch"); tmin = mn; tmed = md
				mm("anchor"); amin = mn; amed = md
				out = sprintf("| %s | %s | %s (%s) | %s (%s) |", net, t, fmin, fmed, cmin, cmed)
				out = out sprintf(" %s |", tmin == "" ? "—" : tmin " (" tmed ")")
				out = out sprintf(" %s |", amin == "" ? "—" : amin " (" amed ")")
				out = out sprintf(" %s |", tmin == "" ? "—" : sprintf("%.2f", fmin / tmin))
				# gocaffe/Caffe through each anchor there is, PyTorch first.
				f = ""; c = ""
				if (tmin != "" && tc != "") { f = f sprintf("%.2f", fmin / tmin * tc); c = c sprintf("%.2f", cmin / tmin * tc) }
				if (amin != "" && ac != "") {
					f = f (f == "" ? "" : " / ") sprintf("%.2f", fmin / amin * ac)
					c = c (c == "" ? "" : " / ") sprintf("%.2f", cmin / amin * ac)
				}
				out = out sprintf(" %s | %s |", f == "" ? "—" : f, c == "" ? "—" : c)
				print out
			}
		' "$results"
	done
done | { printf "| net | threads | fast | caffe | PyTorch | a4718d4 | fast/PyTorch | fast/Caffe | caffe/Caffe |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n"; cat; }
echo
echo "fast/Caffe and caffe/Caffe: through PyTorch / through a4718d4, where both ran."
