#!/usr/bin/env bash
# Installs the Debian packages gocaffe's tests use to check its files against the real
# libraries and tools: lmdb-utils (mdb_dump, mdb_load, mdb_stat), python3-lmdb (the
# LMDB binding Caffe's users script with), python3-plyvel (C++ LevelDB, the library
# Caffe writes its LevelDBs with), graphviz (dot, for gocaffe draw) and
# protobuf-compiler (protoc: C++ TextFormat, the judge of our prototxt reader and printer).
# It does nothing when they are all present.
set -euo pipefail

packages=(lmdb-utils python3-lmdb python3-plyvel graphviz protobuf-compiler)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
	echo "install-test-deps: no apt-get here; install ${missing[*]} by hand (the tests that need them will fail)" >&2
	exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-test-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
