#!/usr/bin/env bash
# Builds gocaffe's release binaries: static (CGO_ENABLED=0), with -trimpath, for
# linux/amd64, linux/arm64, darwin/arm64 and windows/amd64, the version and commit
# stamped in, into dist/ with their SHA-256 sums in dist/SHA256SUMS. Run it from the
# repository's top folder (`make release` does):
#
#   scripts/release.sh
#
# Environment: VERSION (default: git describe --tags --always --dirty), COMMIT
# (default: git rev-parse HEAD), GO (default go), PLATFORMS (default the four above),
# DIST (default dist).
set -euo pipefail

go=${GO:-go}
version=${VERSION:-$(git describe --tags --always --dirty)}
commit=${COMMIT:-$(git rev-parse HEAD)}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/arm64 windows/amd64}
dist=${DIST:-dist}

rm -rf "$dist"
mkdir -p "$dist"
names=()
for p in $platforms; do
	os=${p%/*}
	arch=${p#*/}
	ext=
	[ "$os" = windows ] && ext=.exe
	name=gocaffe-$version-$os-$arch$ext
	echo "release.sh: building $dist/$name" >&2
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$go" build -trimpath \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
		-o "$dist/$name" ./cmd/gocaffe
	names+=("$name")
done

cd "$dist"
if command -v sha256sum >/dev/null; then
	sha256sum "${names[@]}" >SHA256SUMS
else
	shasum -a 256 "${names[@]}" >SHA256SUMS # macOS
fi
cat SHA256SUMS
