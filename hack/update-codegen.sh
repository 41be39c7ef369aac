#!/usr/bin/env bash
# Regenerates everything derived from the Go types in apis/: deepcopy functions, the typed clientset (with fake),
# listers, informers and applyconfigurations in generated/, and the CRD manifest in manifests/crd/.
# The generators are pinned in go.mod (k8s.io/code-generator, sigs.k8s.io/controller-tools), so a fresh machine
# needs only Go. Never edit the outputs by hand; run this instead.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MODULE=$(go list -m)
BOILERPLATE="$ROOT/hack/boilerplate.go.txt"

# kube_codegen.sh installs the generator binaries with 'go install' from the code-generator module that go.mod
# pins; keep them inside the project instead of the user's GOPATH.
export GOBIN="$ROOT/bin/codegen"
mkdir -p "$GOBIN"
CODEGEN_DIR=$(go list -m -f '{{.Dir}}' k8s.io/code-generator)
if [ -z "$CODEGEN_DIR" ] || [ ! -f "$CODEGEN_DIR/kube_codegen.sh" ]; then
  go mod download k8s.io/code-generator
  CODEGEN_DIR=$(go list -m -f '{{.Dir}}' k8s.io/code-generator)
fi
# shellcheck disable=SC1091
source "$CODEGEN_DIR/kube_codegen.sh"

kube::codegen::gen_helpers --boilerplate "$BOILERPLATE" "$ROOT/apis"

rm -rf "$ROOT/generated"
mkdir -p "$ROOT"/generated/{applyconfiguration,clientset,listers,informers}
kube::codegen::gen_client \
  --with-watch \
  --with-applyconfig \
  --output-dir "$ROOT/generated" \
  --output-pkg "$MODULE/generated" \
  --boilerplate "$BOILERPLATE" \
  "$ROOT/apis"

rm -rf "$ROOT/manifests/crd"
go tool controller-gen crd:crdVersions=v1,maxDescLen=400 paths=./apis/... output:crd:artifacts:config=manifests/crd
echo "generated: apis/**/zz_generated.deepcopy.go, generated/, manifests/crd/" >&2
