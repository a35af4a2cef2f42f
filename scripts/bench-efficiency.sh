#!/usr/bin/env bash
# Calls per CPU-second of the loader: grpcperf bench against h2load (nghttp2, C), both driving the same
# `grpcperf serve` with the same connections, calls in flight and 16-byte Echo request. The server is
# pinned to CPU 0 and the loader to CPU 1, so the loader's CPU time is its own. Only the ratio matters:
# on a shared machine absolute figures move from run to run.
#
# usage: scripts/bench-efficiency.sh [SECONDS=5] [CONNECTIONS=10] [IN_FLIGHT_PER_CONNECTION=10]
# needs: h2load (Debian package nghttp2-client), jq, taskset
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh
secs=${1:-5}
conns=${2:-10}
per=${3:-10}
for tool in h2load jq taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nghttp2-client jq util-linux)" >&2; exit 1; }
done
[ -x dist/grpcperf ] || npm run --silent build
bin=$(pwd)/dist/grpcperf
tmp=$(mktemp -d)
log="$tmp/serve.log"
taskset -c 0 "$bin" serve --addr 127.0.0.1:0 --workers 1 2>"$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
addr=$(wait_ready "$log" "$server") || exit 1
node_modules/.bin/bun scripts/make-body.ts 16 "$tmp/body.bin"
"$bin" call echo --server "$addr" --count 1 >/dev/null # h2load counts HTTP 200s only: check calls succeed
# Warm the server's JIT first, so neither loader is measured against a cold server.
"$bin" bench --server "$addr" --duration 2s --connections "$conns" --concurrency $((conns * per)) --quiet >/dev/null

# CPU seconds (user + sys) of a command and its children, from bash's own accounting.
cpu_of() {
  local TIMEFORMAT='%U %S'
  { time "$@" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"
  awk '{printf "%.3f", $1 + $2}' "$tmp/time"
}

echo "server $addr on CPU 0; loaders on CPU 1; ${secs}s, $conns connections x $per in flight, 16-byte echo"

h2cpu=$(cpu_of taskset -c 1 h2load -D "$secs" -c "$conns" -m "$per" -d "$tmp/body.bin" \
  -H 'content-type: application/grpc' -H 'te: trailers' "http://$addr/grpcperf.v1.Echo/Echo")
h2calls=$(grep -oE '[0-9]+ succeeded' "$tmp/out" | awk '{print $1}')
h2rate=$(grep -oE 'finished in [^,]+, [0-9.]+ req/s' "$tmp/out" | grep -oE '[0-9.]+ req/s' | awk '{print $1}')

gpcpu=$(cpu_of taskset -c 1 "$bin" bench --server "$addr" --duration "${secs}s" --connections "$conns" \
  --concurrency $((conns * per)) --threads 1 --json --quiet)
gpcalls=$(jq '.total.ok' "$tmp/out")
gpfailed=$(jq '.total.failed' "$tmp/out")
gprate=$(jq '.total.requests_per_second' "$tmp/out")
gpp99=$(jq '.services[0].latency_us.p99' "$tmp/out")
gpthread=$(jq '[.loader.threads[].cpu_s // 0] | add' "$tmp/out")

awk -v hc="$h2calls" -v hcpu="$h2cpu" -v hr="$h2rate" -v gc="$gpcalls" -v gcpu="$gpcpu" -v gr="$gprate" \
  -v gf="$gpfailed" -v gp="$gpp99" -v gt="$gpthread" 'BEGIN {
  he = hc / hcpu; ge = gc / gcpu
  printf "h2load:         %8d calls  %9.0f calls/s  %6.2f CPU-s  %9.0f calls per CPU-second\n", hc, hr, hcpu, he
  printf "grpcperf bench: %8d calls  %9.0f calls/s  %6.2f CPU-s  %9.0f calls per CPU-second  (failed %d, p99 %d us)\n", gc, gr, gcpu, ge, gf, gp
  printf "  of which its load thread: %.2f CPU-s (%.0f calls per CPU-second); the rest is start-up, JIT, GC\n", gt, gc / gt
  printf "ratio (grpcperf / h2load, calls per CPU-second): %.0f%%\n", 100 * ge / he
}'
