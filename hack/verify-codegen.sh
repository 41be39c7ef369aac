#!/usr/bin/env bash
# Fails when the generated code, the CRD manifest or the test CRDs differ from what hack/update-codegen.sh produces now.
# It regenerates into a copy of the tree, so the working tree is never touched.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"
tar --exclude=./.git --exclude=./bin -cf - . | tar -C "$TMP" -xf -
"$TMP/hack/update-codegen.sh" >/dev/null 2>"$TMP/.codegen.log" || { cat "$TMP/.codegen.log" >&2; exit 1; }
status=0
for d in apis generated manifests/crd charts/otelcol-operator/files test/crds; do
  if ! diff -ruN "$ROOT/$d" "$TMP/$d" >"$TMP/.diff" 2>&1; then
    echo "verify-codegen: $d is out of date; run hack/update-codegen.sh" >&2
    head -50 "$TMP/.diff" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "verify-codegen: generated code and CRD manifest are up to date"
exit $status
