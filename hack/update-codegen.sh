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

# apis/ and generated/ are modules of their own. The generators load the types by directory, which the go command
# resolves only inside the main module or a workspace: generate inside a throwaway workspace of the three modules.
WORK_DIR=$(mktemp -d)
trap 'rm -rf "$WORK_DIR"' EXIT
printf 'go %s\n\nuse (\n\t%s\n\t%s/apis\n\t%s/generated\n)\n' "$(go mod edit -json | sed -n 's/.*"Go": "\(.*\)".*/\1/p')" \
  "$ROOT" "$ROOT" "$ROOT" >"$WORK_DIR/go.work"
export GOWORK="$WORK_DIR/go.work"

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

# generated/ is a module of its own (so importers of the clientset do not get this module's dependencies): its
# go.mod and go.sum are kept, the code is regenerated.
rm -rf "$ROOT"/generated/{applyconfiguration,clientset,listers,informers}
mkdir -p "$ROOT"/generated/{applyconfiguration,clientset,listers,informers}
kube::codegen::gen_client \
  --with-watch \
  --with-applyconfig \
  --output-dir "$ROOT/generated" \
  --output-pkg "$MODULE/generated" \
  --boilerplate "$BOILERPLATE" \
  "$ROOT/apis"

rm -rf "$ROOT/manifests/crd"
go tool controller-gen crd:crdVersions=v1,maxDescLen=400 paths="$MODULE/apis/..." output:crd:artifacts:config=manifests/crd
# Selectors refuse the reference's v1alpha1 plain label maps instead of pruning them to {} (see the command).
go run ./hack/crdselectors manifests/crd/opentelemetry.io_opentelemetrycollectors.yaml
# The Helm chart installs the same CRD from its files/ (a chart cannot read outside its directory).
cp manifests/crd/opentelemetry.io_opentelemetrycollectors.yaml charts/otelcol-operator/files/

# Test data for the Prometheus CR suites: the monitoring.coreos.com CRDs, generated from the Prometheus Operator's
# Go types at the version go.mod pins (not copied YAML), so the API server validates monitors exactly as a cluster
# running that version would. Only the kinds the target allocator watches are kept; the Prometheus, Alertmanager
# and ThanosRuler CRDs are megabytes the tests never use.
rm -rf "$ROOT/test/crds/monitoring"
go tool controller-gen crd paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1/... \
  output:crd:artifacts:config=test/crds/monitoring
rm -f "$ROOT"/test/crds/monitoring/monitoring.coreos.com_{alertmanagers,prometheuses,prometheusrules,thanosrulers}.yaml
# ScrapeConfig is the only v1alpha1 kind the target allocator watches.
V1ALPHA1_CRDS="$WORK_DIR/v1alpha1-crds"
go tool controller-gen crd paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1/... \
  output:crd:artifacts:config="$V1ALPHA1_CRDS"
cp "$V1ALPHA1_CRDS/monitoring.coreos.com_scrapeconfigs.yaml" "$ROOT/test/crds/monitoring/"
echo "generated: apis/**/zz_generated.deepcopy.go, generated/, manifests/crd/, test/crds/" >&2
