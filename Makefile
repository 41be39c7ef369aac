# Everything a developer or CI runs. Needs only Go (and bash); the local control plane for the integration
# tests is built from Go modules by hack/control-plane.sh and cached under ~/.cache/otelcol-operator.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c

# The release is the git tag on HEAD (v stripped); an untagged build is "dev" and defaults to dev images.
VERSION ?= $(shell git describe --tags --exact-match 2>/dev/null | sed 's/^v//' || true)
ifeq ($(VERSION),)
VERSION := dev
endif
GO_PACKAGES := ./...
BIN := bin
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
LDFLAGS := -s -w -X github.com/otelcol-operator/otelcol-operator/pkg/version.Version=$(VERSION) \
	-X github.com/otelcol-operator/otelcol-operator/pkg/version.Commit=$(COMMIT)
PLATFORMS := linux/amd64 linux/arm64

.PHONY: all generate verify build test unit-test lint control-plane otelcol demo demo-once images clean

all: lint build test

## generate: regenerate deepcopy, clientset, listers, informers, applyconfigurations and the CRD manifest
generate:
	hack/update-codegen.sh

## verify: fail when generated code or the CRD manifest is stale
verify:
	hack/verify-codegen.sh

## build: build the operator and target allocator binaries into bin/
build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## control-plane: build kube-apiserver, etcd and kubectl from Go modules (cached; seconds when present)
control-plane:
	@hack/control-plane.sh >/dev/null

## otelcol: build the demo's collector (prometheus receiver, otlphttp exporter) from Go modules (cached)
otelcol:
	@hack/otelcol.sh >/dev/null

## test: unit and integration tests with the race detector (builds the control plane first when missing; an
## existing KUBEBUILDER_ASSETS is used as is)
test:
	KUBEBUILDER_ASSETS="$${KUBEBUILDER_ASSETS:-$$(hack/control-plane.sh)}" go test -race -count=1 -timeout 30m $(GO_PACKAGES)

## demo: the whole system on a local control plane (operator, target allocators, stand-in pods, real targets,
## one real collector per pod; the first run builds the collector with hack/otelcol.sh)
demo: build
	otelcol="$$(hack/otelcol.sh)/otelcol"; go run ./test/demo -bin $(BIN) -otelcol "$$otelcol"

## demo-once: the same, one round and exit (what the tests run)
demo-once: build
	otelcol="$$(hack/otelcol.sh)/otelcol"; go run ./test/demo -bin $(BIN) -otelcol "$$otelcol" -once

## unit-test: tests that need no control plane
unit-test:
	go test -count=1 $$(go list ./... | grep -v /test/)

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^generated/')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet $(GO_PACKAGES)
	@# apis/ and generated/ are modules of their own (importers get only client-go's dependencies), outside ./...
	cd apis && go vet ./...
	cd generated && go vet ./...
	@# hack/render (helm, kustomize) is a module of its own, outside ./...
	cd hack/render && go vet ./...
	@# hack/otelcol (the demo's collector) is left out: vetting it type-checks the whole collector and contrib
	@# dependency tree, minutes of compiling on every fresh CI machine (6 min measured with a warm build cache).
	@# Vet it by hand after changing it: cd hack/otelcol && go vet ./...

## images: static binaries for every platform, then one OCI image layout per binary in bin/oci/<binary>
## (multi-platform index, non-root, no docker needed; publish with 'crane push' or 'skopeo copy oci:...')
images:
	for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; \
	  for b in operator target-allocator; do \
	    CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/$$os-$$arch/$$b ./cmd/$$b; \
	  done; \
	done
	go run ./hack/image -bin $(BIN) -out $(BIN)/oci -version $(VERSION) -platforms $$(echo $(PLATFORMS) | tr ' ' ,)

clean:
	rm -rf $(BIN)
