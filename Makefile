# gocaffe: build, test and regenerate.
GO      ?= go
PROTOC  ?= protoc
BIN     ?= bin/gocaffe

.PHONY: build test proto bench lint

build:
	$(GO) build -o $(BIN) ./cmd/gocaffe

test:
	$(GO) test ./...

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
