# gocaffe: build, test and regenerate.
GO      ?= go
PROTOC  ?= protoc
BIN     ?= bin/gocaffe

.PHONY: build test proto bench lint lenet

build:
	$(GO) build -o $(BIN) ./cmd/gocaffe

# The tests check gocaffe's files against the real LMDB library and tools and render
# graphs with Graphviz: install those Debian packages first (a no-op when present).
test:
	scripts/install-test-deps.sh
	$(GO) test ./...

# The main job: LeNet on MNIST. Training is being built; until then this shows the net
# gocaffe builds from Caffe's example, with Caffe's shapes.
lenet: build
	$(BIN) summary --model=testdata/caffe-examples/examples/mnist/lenet_train_test.prototxt \
		--phase=TRAIN --shape=data=64,1,28,28 --shape=label=64

# Needs Debian's protobuf-compiler; protoc-gen-go is built from the version in go.mod.
proto:
	$(GO) build -o bin/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(PROTOC) --plugin=protoc-gen-go=bin/protoc-gen-go --proto_path=proto \
		--go_out=proto/caffepb --go_opt=paths=source_relative caffe.proto

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
