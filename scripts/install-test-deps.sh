#!/usr/bin/env bash
# Installs what gocaffe's tests use to check its files against the real libraries and
# tools. Debian packages: lmdb-utils (mdb_dump, mdb_load, mdb_stat), python3-lmdb (the
# LMDB binding Caffe's users script with), python3-plyvel (C++ LevelDB, the library
# Caffe writes its LevelDBs with), graphviz (dot, for gocaffe draw), protobuf-compiler
# (protoc: C++ TextFormat, the judge of our prototxt reader and printer), python3-numpy
# (numpy.load reads the .npy files extract_features writes), python3-h5py and hdf5-tools
# (h5py writes the HDF5 files our reader is checked on; h5dump reads the ones we write),
# openmpi-bin and libopenmpi-dev (mpirun and Open MPI's library: the MPI tests build
# gocaffe-mpi with cgo, hence gcc and pkg-config, and run it under mpirun) and iproute2
# (ip: the two-host MPI test joins two network namespaces).
# Then, with npm (Debian's nodejs and npm when the machine has no npm), onnxruntime-node:
# the runtime the ONNX export is checked in, into testdata/.cache/onnxruntime (ignored
# by git), with --ignore-scripts: its install script fetches GPU providers from a host
# these machines cannot reach, while the CPU runtime is in the package itself.
# It does nothing when they are all present.
set -euo pipefail

ONNXRUNTIME_VERSION=1.30.0
root=$(cd "$(dirname "$0")/.." && pwd)
ort_dir="$root/testdata/.cache/onnxruntime"

packages=(lmdb-utils python3-lmdb python3-plyvel graphviz protobuf-compiler python3-numpy python3-h5py hdf5-tools
	openmpi-bin libopenmpi-dev gcc pkg-config iproute2)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
	if ! command -v apt-get >/dev/null; then
		echo "install-test-deps: no apt-get here; install ${missing[*]} by hand (the tests that need them will fail)" >&2
		exit 1
	fi
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "install-test-deps: installing ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ] ||
	! grep -q "\"version\": \"$ONNXRUNTIME_VERSION\"" "$ort_dir/node_modules/onnxruntime-node/package.json"; then
	echo "install-test-deps: installing onnxruntime-node $ONNXRUNTIME_VERSION into $ort_dir" >&2
	mkdir -p "$ort_dir"
	(cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund --no-save --loglevel=error \
		"onnxruntime-node@$ONNXRUNTIME_VERSION" >/dev/null)
fi
