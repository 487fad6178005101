# gocaffe: build, test and regenerate.
GO      ?= go
PROTOC  ?= protoc
BIN     ?= bin/gocaffe

.PHONY: build mpi test proto bench bench-nets lint lenet demo cifar-data cifar10 cifar100

build:
	$(GO) build -o $(BIN) ./cmd/gocaffe

# gocaffe with MPI, for data-parallel training (mpirun -np N bin/gocaffe-mpi train ...):
# cgo against Open MPI's libmpi (Debian's openmpi-bin and libopenmpi-dev, found through
# pkg-config's ompi-c). The binary runs alone, as bin/gocaffe, when mpirun did not start it.
MPI_BIN ?= bin/gocaffe-mpi
mpi:
	CGO_ENABLED=1 $(GO) build -tags mpi -o $(MPI_BIN) ./cmd/gocaffe

# The tests check gocaffe's files against the real LMDB library and tools and render
# graphs with Graphviz: install those Debian packages first (a no-op when present).
test:
	scripts/install-test-deps.sh
	$(GO) test ./...

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
