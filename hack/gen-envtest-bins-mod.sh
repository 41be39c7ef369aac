#!/usr/bin/env bash
# Regenerates hack/envtest-bins/: a separate Go module that builds kube-apiserver, etcd and kubectl from the
# module proxy. It lives apart from the project's go.mod so the project never inherits kubernetes' dependency
# graph. kubernetes requires its staging modules at v0.0.0 and replaces them with local paths, which a dependency
# cannot see, so each replace is re-created against the published staging version.
# Run only to bump versions; the result (go.mod, go.sum, tools.go) is committed.
# Usage: hack/gen-envtest-bins-mod.sh [kubernetes version, default v1.37.2]
set -euo pipefail
K8S_VERSION=${1:-v1.37.2}
OUT="$(cd "$(dirname "$0")" && pwd)/envtest-bins"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
mkdir -p "$OUT"; cd "$OUT"
MODFILE=$(GOFLAGS=-mod=mod go list -m -f '{{.GoMod}}' "k8s.io/kubernetes@${K8S_VERSION}")
GOVER=$(awk '$1=="go"{print $2; exit}' "$MODFILE")
ETCD_VERSION=$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2; exit}' "$MODFILE")
STAGING=$(awk '$2=="=>" && $3 ~ /^\.\/staging\// {print $1}
               $1=="replace" && $3=="=>" && $4 ~ /^\.\/staging\// {print $2}' "$MODFILE")
[ -n "$STAGING" ] && [ -n "$ETCD_VERSION" ] || { echo "unexpected go.mod: $MODFILE" >&2; exit 1; }
rm -f go.mod go.sum
go mod init github.com/otelcol-operator/otelcol-operator/hack/envtest-bins >/dev/null 2>&1
args=(-go="$GOVER" -require="k8s.io/kubernetes@${K8S_VERSION}" -require="go.etcd.io/etcd/server/v3@${ETCD_VERSION}")
for m in $STAGING; do args+=("-replace=${m}=${m}@${STAGING_VERSION}"); done
go mod edit "${args[@]}"
cat > tools.go <<'GO'
//go:build tools

// Package tools pins the main packages of the local control plane so go mod tidy records their dependencies.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
go mod tidy
echo "$OUT: kubernetes ${K8S_VERSION}, staging ${STAGING_VERSION} ($(wc -w <<<"$STAGING") replaces), etcd ${ETCD_VERSION}, go ${GOVER}"
