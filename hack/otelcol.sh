#!/usr/bin/env bash
# Builds the demo's OpenTelemetry Collector (hack/otelcol: the prometheus receiver and the otlphttp exporter) from Go
# modules into a cache directory and prints that directory on stdout; the binary is <dir>/otelcol. Idempotent:
# when the binary for the pinned versions is already there, it prints the directory at once. Progress goes to
# stderr. The same pattern as hack/control-plane.sh.
# Usage: hack/otelcol.sh            (env OTELCOL_CACHE overrides the cache root)
#        hack/otelcol.sh --if-cached    prints the directory only if the binary is there, else exits 1 without building
set -euo pipefail
HACK=$(cd "$(dirname "$0")" && pwd)
MOD="$HACK/otelcol"
CACHE_ROOT=${OTELCOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otelcol-operator/otelcol}
# The key changes whenever the pinned versions (go.sum), the collector's source or this script's flags change.
KEY=$(cat "$MOD/go.sum" "$MOD/main.go" "$0" | sha256sum | cut -c1-12)
CORE_VERSION=$(awk '$1=="go.opentelemetry.io/collector/otelcol"{print $2; exit}' "$MOD/go.mod")
BIN="$CACHE_ROOT/$CORE_VERSION-$KEY"
if [ -x "$BIN/otelcol" ] && [ -f "$BIN/.complete" ]; then
  echo "$BIN"; exit 0
fi
if [ "${1:-}" = --if-cached ]; then
  exit 1
fi
mkdir -p "$BIN"
export CGO_ENABLED=0
cd "$MOD"
start=$SECONDS
step() { echo "otelcol: $* ($((SECONDS - start))s elapsed; a cold build takes minutes, later runs seconds)" >&2; }
step "building the collector $CORE_VERSION (prometheus receiver, otlphttp exporter)"
# A cold compile (and the module download before it) is silent for minutes; a heartbeat shows it is alive.
( while sleep 15; do echo "otelcol: still building the collector ($((SECONDS - start))s)" >&2; done ) &
heartbeat=$!
status=0
go build -trimpath -buildvcs=false -ldflags="-s -w" -o "$BIN/otelcol" . || status=$?
kill "$heartbeat" 2>/dev/null; wait "$heartbeat" 2>/dev/null || true
[ "$status" -eq 0 ] || exit "$status"
"$BIN/otelcol" --version >&2
touch "$BIN/.complete"
step "done"
echo "$BIN"
