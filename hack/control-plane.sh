#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from Go modules (hack/envtest-bins) into a cache directory and prints
# that directory on stdout, for use as KUBEBUILDER_ASSETS. Idempotent: when the binaries for the pinned versions
# are already there, it prints the directory at once. Progress goes to stderr.
# Usage: hack/control-plane.sh            (env CONTROL_PLANE_CACHE overrides the cache root)
set -euo pipefail
HACK=$(cd "$(dirname "$0")" && pwd)
MOD="$HACK/envtest-bins"
CACHE_ROOT=${CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otelcol-operator/control-plane}
# The key changes whenever the pinned versions (go.sum) or this script's build flags change.
KEY=$(cat "$MOD/go.sum" "$0" | sha256sum | cut -c1-12)
K8S_VERSION=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$MOD/go.mod")
BIN="$CACHE_ROOT/$K8S_VERSION-$KEY"
if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ] && [ -x "$BIN/kubectl" ] && [ -f "$BIN/.complete" ]; then
  echo "$BIN"; exit 0
fi
mkdir -p "$BIN"
MINOR=${K8S_VERSION#v1.}; MINOR=${MINOR%%.*}
# Version stamping as kubernetes' own release build does; without it the binaries report v0.0.0-master.
X=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  X+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$MINOR"
  X+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
export CGO_ENABLED=0
FLAGS=(-trimpath -buildvcs=false)
TAGS=notest,grpcnotrace
cd "$MOD"
start=$SECONDS
step() { echo "control-plane: $* ($((SECONDS - start))s elapsed; a cold build takes 4-8 minutes, later runs seconds)" >&2; }
# A cold compile is silent for minutes; a heartbeat shows it is alive.
build() {
  local what=$1; shift
  step "building $what"
  ( while sleep 15; do echo "control-plane: still building $what ($((SECONDS - start))s)" >&2; done ) &
  local heartbeat=$!
  local status=0
  go build "$@" || status=$?
  kill "$heartbeat" 2>/dev/null; wait "$heartbeat" 2>/dev/null || true
  return $status
}
build "kube-apiserver $K8S_VERSION" "${FLAGS[@]}" -tags="$TAGS" -ldflags="-s -w$X" -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
build etcd "${FLAGS[@]}" -ldflags="-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
build kubectl "${FLAGS[@]}" -tags="$TAGS" -ldflags="-s -w$X" -o "$BIN/kubectl" k8s.io/kubernetes/cmd/kubectl
"$BIN/kube-apiserver" --version >&2
"$BIN/etcd" --version | sed -n 1p >&2
touch "$BIN/.complete"
step "done"
echo "$BIN"
