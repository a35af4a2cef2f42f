#!/usr/bin/env bash
# The main job, end to end: build the binary, start a server on a free port, call it (echo, then the
# replaced client's smoke sequence), load it, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh
[ -x node_modules/.bin/bun ] || npm ci
npm run --silent build
bin=dist/grpcperf
log=$(mktemp)
"$bin" serve --addr 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; rm -f "$log"' EXIT
addr=$(wait_ready "$log" "$pid") || exit 1
echo "== grpcperf serve is listening on $addr"
echo "== grpcperf call echo --server $addr"
"$bin" call echo --server "$addr"
echo "== grpcperf call smoke --server $addr   (echo, RSA and ECDSA signing, public key)"
"$bin" call smoke --server "$addr"
echo "== grpcperf bench --server $addr --duration 3s --connections 4"
"$bin" bench --server "$addr" --duration 3s --connections 4
kill -TERM $pid
wait $pid
echo "== server stopped cleanly"
