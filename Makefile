# gocaffe: build, test and regenerate.
GO      ?= go
PROTOC  ?= protoc
BIN     ?= bin/gocaffe

.PHONY: build test fuzz proto bench lint lenet demo cifar-data cifar10 cifar100

build:
	$(GO) build -o $(BIN) ./cmd/gocaffe

# The tests check gocaffe's files against the real LMDB library and tools and render
# graphs with Graphviz: install those Debian packages first (a no-op when present).
test:
	scripts/install-test-deps.sh
	$(GO) test ./...

# Fuzz every reader of a user's bytes for FUZZTIME each (go test -fuzz takes one
# target at a time). `make test` runs their seed corpora only; a finding is written
# to the package's testdata/fuzz/, where plain `go test` then replays it.
FUZZTIME ?= 5s
FUZZ_TARGETS = \
	internal/io/protofile:FuzzNetText internal/io/protofile:FuzzSolverText \
	internal/io/protofile:FuzzBinaryProto internal/io/datum:FuzzMNIST \
	internal/io/datum:FuzzCIFAR internal/io/datum:FuzzImageList internal/io/datum:FuzzDecode \
	internal/io/lmdb:FuzzOpen internal/io/db:FuzzLevelDB internal/layers:FuzzDatumToBlob \
	internal/net:FuzzNetForwardBackward
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

# Regenerate proto/caffepb from proto/caffe.proto. Needs Debian's protobuf-compiler;
# protoc-gen-go is built from the version in go.mod.
proto:
	$(GO) build -o bin/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(PROTOC) --plugin=protoc-gen-go=bin/protoc-gen-go --proto_path=proto \
		--go_out=proto/caffepb --go_opt=paths=source_relative caffe.proto

# The Go benchmarks (GEMM on every product of the reference nets, the layers' loops).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
