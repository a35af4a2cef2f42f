#!/usr/bin/env bash
# Soak: 200,000 calls on ONE HTTP/2 connection must all succeed, with no GOAWAY and no reconnect
# (Bun's node:http2 has had bugs with long-lived connections and stream-id exhaustion paths).
# A script rather than a test: it takes about a minute on a small shared machine.
#
# usage: scripts/bench-soak.sh [CALLS=200000] [IN_FLIGHT=32]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh
calls=${1:-200000}
inflight=${2:-32}
command -v jq >/dev/null || { echo "missing jq" >&2; exit 1; }
[ -x dist/grpcperf ] || npm run --silent build
bin=$(pwd)/dist/grpcperf
tmp=$(mktemp -d)
"$bin" serve --addr 127.0.0.1:0 2>"$tmp/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
addr=$(wait_ready "$tmp/serve.log" "$server") || exit 1

echo "soak: $calls calls, one connection, $inflight in flight, against $addr"
"$bin" bench --server "$addr" --connections 1 --concurrency "$inflight" --threads 1 --requests "$calls" \
  --json --quiet >"$tmp/report.json" || true
jq -c '{ok: .total.ok, failed: .total.failed, errors: [.services[].errors[]], rate: .total.requests_per_second,
  connection: .connections[0], aborted: .aborted}' "$tmp/report.json"
jq -e --argjson n "$calls" '.total.ok == $n and .total.failed == 0 and (.connections | length) == 1
  and .connections[0].goaways == 0 and .connections[0].connects == 1 and .aborted == null' "$tmp/report.json" >/dev/null \
  && echo "soak: PASS" || { echo "soak: FAIL"; exit 1; }
