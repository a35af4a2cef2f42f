#!/usr/bin/env bash
# Issue 14's speed bars, measured the same way each time:
#  1. `bench --call grpcperf.v1.Echo/Echo -d …` (the generic path: schema by reflection, request from JSON)
#     against `bench --service echo`, calls per loader CPU-second, at 16 B and at 64 KiB;
#  2. bidi messages/s of `bench --service echo-stream` against grpcperf's own server and against grpc-go's
#     (../shared/anchors, built into /tmp/anchors/bin by its build.sh), loaded the same way.
# Server on CPU 0, loader on CPU 1; runs alternate and the medians are printed (a shared machine drifts).
#
# usage: scripts/bench-generic.sh [ROUNDS=5] [SECONDS=5]
# needs: jq, taskset; for part 2, /tmp/anchors/bin/echo_server_go (skipped when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh
rounds=${1:-5}
secs=${2:-5}
[ -x dist/grpcperf ] || npm run --silent build
bin=$(pwd)/dist/grpcperf
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

taskset -c 0 "$bin" serve --addr 127.0.0.1:0 --workers 1 2>"$tmp/serve.log" &
pids+=($!)
addr=$(wait_ready "$tmp/serve.log" "${pids[0]}") || exit 1

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
# Calls per CPU-second of the whole loader process (the per-thread figure counts in 10 ms ticks), from the
# JSON report on stdin; $1 is the jq path of the count.
# Issue 31 asks per load-thread CPU-second (what the loop itself costs, start-up and reflection aside): the
# second figure.
per_cpu() { jq -r "(($1) / .loader.process_cpu_s | tostring) + \" \" + (($1) / ([.loader.threads[].cpu_s // 0] | add) | tostring)"; }

load() {
  taskset -c 1 "$bin" bench --server "$1" --duration "${secs}s" --connections 10 --concurrency 100 --threads 1 \
    --json --quiet "${@:2}"
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); server CPU 0, loader CPU 1"
echo "== 1. --call grpcperf.v1.Echo/Echo vs --service echo ($rounds rounds of ${secs}s each, 10 x 10 in flight)"
for size in 16 65536; do
  node_modules/.bin/bun -e "process.stdout.write(JSON.stringify({payload: require('node:crypto').randomBytes($size).toString('base64')}))" >"$tmp/req.json"
  load "$addr" --service echo --payload-size "$size" --duration 2s >/dev/null # warm the server's JIT
  : >"$tmp/echo"
  : >"$tmp/call"
  for _ in $(seq 1 "$rounds"); do
    load "$addr" --service echo --payload-size "$size" | per_cpu '.total.ok' >>"$tmp/echo"
    load "$addr" --call grpcperf.v1.Echo/Echo -d "@$tmp/req.json" | per_cpu '.total.ok' >>"$tmp/call"
  done
  e=$(cut -d' ' -f1 "$tmp/echo" | median)
  c=$(cut -d' ' -f1 "$tmp/call" | median)
  et=$(cut -d' ' -f2 "$tmp/echo" | median)
  ct=$(cut -d' ' -f2 "$tmp/call" | median)
  awk -v s="$size" -v e="$e" -v c="$c" -v et="$et" -v ct="$ct" 'BEGIN {
    printf "%6d B: per process CPU-s: --service echo %8.0f  --call %8.0f  ratio %.0f%%\n", s, e, c, 100 * c / e
    printf "%6d B: per load-thread CPU-s: --service echo %8.0f  --call %8.0f  ratio %.0f%% (bar: 90%%)\n", s, et, ct, 100 * ct / et }'
done

echo "== 2. bidi EchoStream messages/s: grpcperf serve vs grpc-go ($rounds rounds, --stream-messages 1000)"
go_server=/tmp/anchors/bin/echo_server_go
if [ ! -x "$go_server" ]; then
  echo "(skipped: $go_server is missing; cd ../shared/anchors && bash deps.sh && bash build.sh)"
  exit 0
fi
go_port=$((40000 + RANDOM % 20000))
taskset -c 0 "$go_server" -port "$go_port" >"$tmp/go.log" 2>&1 &
pids+=($!)
sleep 1
: >"$tmp/ours"
: >"$tmp/go"
stream() { load "$1" --service echo-stream --stream-messages 1000 | jq -r '.streams.messages.received_per_second'; }
for _ in $(seq 1 "$rounds"); do
  stream "$addr" >>"$tmp/ours"
  stream "127.0.0.1:$go_port" >>"$tmp/go"
done
o=$(median <"$tmp/ours")
g=$(median <"$tmp/go")
awk -v o="$o" -v g="$g" 'BEGIN {
  printf "grpcperf serve %8.0f msg/s   grpc-go %8.0f msg/s   ratio %.0f%% (bar: 100%%)\n", o, g, 100 * o / g }'
