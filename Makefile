# gocaffe: build, test and regenerate.
GO      ?= go
PROTOC  ?= protoc
BIN     ?= bin/gocaffe

# The version and commit stamped into the binary (`gocaffe version`).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  = -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: build mpi release cross test fuzz proto bench bench-nets lint lenet demo cifar-data cifar10 cifar100

# One static binary: no cgo, so no libc to match on the machine it is copied to.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gocaffe

# Static binaries for linux/amd64, linux/arm64, darwin/arm64 and windows/amd64 in
# dist/, named gocaffe-VERSION-OS-ARCH, with their SHA-256 sums in dist/SHA256SUMS.
release:
	VERSION='$(VERSION)' COMMIT='$(COMMIT)' GO='$(GO)' scripts/release.sh

# gocaffe with MPI, for data-parallel training (mpirun -np N bin/gocaffe-mpi train ...):
# cgo against Open MPI's libmpi (Debian's openmpi-bin and libopenmpi-dev, found through
# pkg-config's ompi-c). The binary runs alone, as bin/gocaffe, when mpirun did not start it.
MPI_BIN ?= bin/gocaffe-mpi
mpi:
	CGO_ENABLED=1 $(GO) build -tags mpi -o $(MPI_BIN) ./cmd/gocaffe

# The tests check gocaffe's files against the real LMDB library and tools and render
# graphs with Graphviz: install those Debian packages first (a no-op when present).
# Then every fuzz target runs 1,000 inputs beyond its seed corpus: a count, not a
# time, since Go 1.26's fuzzing coordinator can report its own -fuzztime deadline as
# a failure ("context deadline exceeded", no input written; golang/go#75804, fixed
# in Go 1.27), which a loaded machine makes likelier.
test:
	scripts/install-test-deps.sh
	$(GO) test ./...
	$(MAKE) fuzz FUZZTIME=1000x

# The portable builds compile, tests included: the release's other platforms (no
# assembly on arm64; Windows and macOS system calls) and the purego tag.
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) vet ./...
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet -tags purego ./...

# Fuzz every reader of a user's bytes for FUZZTIME each, a time or a count of
# inputs such as 1000x (go test -fuzz takes one target at a time). `make test` runs their seed corpora only; a finding is written
# to the package's testdata/fuzz/, where plain `go test` then replays it.
FUZZTIME ?= 5s
FUZZ_TARGETS = \
	internal/io/protofile:FuzzNetText internal/io/protofile:FuzzSolverText \
	internal/io/protofile:FuzzBinaryProto internal/io/datum:FuzzMNIST \
	internal/io/datum:FuzzCIFAR internal/io/datum:FuzzImageList internal/io/datum:FuzzDecode \
	internal/io/lmdb:FuzzOpen internal/io/db:FuzzLevelDB internal/io/hdf5:FuzzParse \
	internal/layers:FuzzDatumToBlob internal/network:FuzzNetForwardBackward
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s; \
	done

# The main job: Caffe's LeNet example on the full MNIST — fetch the four original
# files (through the Go module proxy), convert them to LMDB, train Caffe's 10,000
# iterations; the last test prints the accuracy on the 10,000 test images.
lenet: build
	GOCAFFE=$(BIN) scripts/get_mnist.sh
	$(BIN) train --solver=models/lenet/lenet_solver.prototxt

# A short LeNet run (500 iterations, under a minute) for a first look.
demo: build
	GOCAFFE=$(BIN) scripts/get_mnist.sh
	$(BIN) train --solver=models/lenet/lenet_demo_solver.prototxt

# CIFAR-10 and CIFAR-100 need the internet (or the archives copied into data/cifar).
cifar-data: build
	GOCAFFE=$(BIN) scripts/get_cifar.sh

cifar10: cifar-data
	$(BIN) train --solver=models/cifar10_quick/cifar10_quick_solver.prototxt

cifar100: cifar-data
	$(BIN) train --solver=models/cifar100/cifar100_quick_solver.prototxt

# Regenerate proto/caffepb from proto/caffe.proto and proto/onnxpb from proto/onnx.proto.
# Needs Debian's protobuf-compiler; protoc-gen-go is built from the version in go.mod.
proto:
	$(GO) build -o bin/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(PROTOC) --plugin=protoc-gen-go=bin/protoc-gen-go --proto_path=proto \
		--go_out=proto/caffepb --go_opt=paths=source_relative caffe.proto
	$(PROTOC) --plugin=protoc-gen-go=bin/protoc-gen-go --proto_path=proto \
		--go_out=proto/onnxpb --go_opt=paths=source_relative onnx.proto

# The Go benchmarks (GEMM on every product of the reference nets, the layers' loops).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

# The speed table of README: gocaffe time in both numerics beside PyTorch (installed
# from Debian if missing) and gocaffe a4718d4, interleaved, five rounds.
bench-nets:
	scripts/bench.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	! pkg-config --exists ompi-c || CGO_ENABLED=1 $(GO) vet -tags mpi ./...
