#!/usr/bin/env bash
# Downloads the CIFAR-10 and CIFAR-100 binary archives, checks their MD5 sums, unpacks
# them, converts them into LMDBs with gocaffe and computes their mean images — what
# Caffe's data/cifar10/get_cifar10.sh and examples/cifar10/create_cifar10.sh do, for
# both datasets. Run it from the repository's top folder:
#
#   scripts/get_cifar.sh [DATA_DIR]            # DATA_DIR defaults to data
#
# It writes
#   DATA_DIR/cifar10/{cifar10_train_lmdb, cifar10_test_lmdb, mean.binaryproto}
#   DATA_DIR/cifar100/{cifar100_train_lmdb, cifar100_test_lmdb, mean.binaryproto}
# which models/cifar100 reads (with the default DATA_DIR). Archives already in
# DATA_DIR with the right MD5 are not downloaded again, so on a machine without
# internet access copy them there first.
#
# Environment: GOCAFFE, the gocaffe binary (default: gocaffe on PATH, else bin/gocaffe,
# built with `make build` if missing); CIFAR100_LABEL=fine|coarse, the label stored for
# CIFAR-100 (default fine); BACKEND=lmdb|leveldb (default lmdb).
set -euo pipefail

data=${1:-data}
label=${CIFAR100_LABEL:-fine}
backend=${BACKEND:-lmdb}
base_url=https://www.cs.toronto.edu/~kriz

die() {
	echo "get_cifar.sh: $*" >&2
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

# fetch NAME MD5: makes sure $data/NAME is the archive with that MD5.
fetch() {
	local name=$1 want=$2 file="$data/$1"
	if [ -f "$file" ] && [ "$(md5_of "$file")" = "$want" ]; then
		echo "get_cifar.sh: $file is already here" >&2
		return
	fi
	echo "get_cifar.sh: downloading $base_url/$name" >&2
	local tmp="$file.part"
	rm -f "$tmp"
	local ok=0
	if command -v curl >/dev/null; then
		curl -fL --retry 2 --connect-timeout 20 -o "$tmp" "$base_url/$name" && ok=1
	elif command -v wget >/dev/null; then
		wget -q -O "$tmp" "$base_url/$name" && ok=1
	else
		die "neither curl nor wget is installed: download $base_url/$name into $data/ yourself and run this script again"
	fi
	if [ $ok -ne 1 ]; then
		rm -f "$tmp"
		die "could not download $base_url/$name (is the internet reachable from here?). Download it elsewhere, copy it to $file and run this script again."
	fi
	local got
	got=$(md5_of "$tmp")
	if [ "$got" != "$want" ]; then
		rm -f "$tmp"
		die "$name has MD5 $got, want $want: the download is damaged or not the CIFAR archive; try again"
	fi
	mv "$tmp" "$file"
}

mkdir -p "$data"
fetch cifar-10-binary.tar.gz c32a1d4ab5d03f1284b67883e8d87530
fetch cifar-100-binary.tar.gz 03b5dce01913d631647c71ecec9e9cb8

echo "get_cifar.sh: unpacking" >&2
tar -xzf "$data/cifar-10-binary.tar.gz" -C "$data"  # cifar-10-batches-bin/
tar -xzf "$data/cifar-100-binary.tar.gz" -C "$data" # cifar-100-binary/

"$gocaffe" convert cifar10 --backend="$backend" --overwrite "$data/cifar-10-batches-bin" "$data/cifar10"
"$gocaffe" mean --backend="$backend" "$data/cifar10/cifar10_train_$backend" "$data/cifar10/mean.binaryproto"

"$gocaffe" convert cifar100 --backend="$backend" --overwrite --label="$label" "$data/cifar-100-binary" "$data/cifar100"
"$gocaffe" mean --backend="$backend" "$data/cifar100/cifar100_train_$backend" "$data/cifar100/mean.binaryproto"

echo "get_cifar.sh: done; train with: gocaffe train --solver=models/cifar100/cifar100_quick_solver.prototxt" >&2
