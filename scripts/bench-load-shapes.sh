#!/usr/bin/env bash
# Issue 16's accuracy bars for load shapes and the capacity search, measured the same way each time:
#  1. a staged open loop (--stages): each measured interval's achieved rate against the schedule's target
#     (bar: within 2% at rates the loader holds; the last, partial interval is left out);
#  2. the loader's calls per CPU-second with stages and in a capacity search against a flat --rate run
#     (bar: within 10%). CPU is the load thread's own over the measured phase (loader.threads[].cpu_s), so
#     neither a fresh process's start-up nor the warm-up counts: a search's steps run in a warm process;
#  3. --find-max --slo 'p99<20ms' against a server of known speed (--server-busy 200us on one core)
#     against the highest closed-loop throughput measured at several concurrencies (bar: within 10%).
# Server on CPU 0 (one event loop), loader on CPU 1.
#
# usage: scripts/bench-load-shapes.sh [SECONDS=10]
# needs: jq, taskset
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh
secs=${1:-10}
[ -x dist/grpcperf ] || npm run --silent build
bin=$(pwd)/dist/grpcperf
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

taskset -c 0 "$bin" serve --addr 127.0.0.1:0 --workers 1 2>"$tmp/serve.log" &
pids+=($!)
addr=$(wait_ready "$tmp/serve.log" "${pids[0]}") || exit 1
load() { taskset -c 1 "$bin" bench --server "$addr" --threads 1 --connections 10 --quiet "$@"; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); server CPU 0, loader CPU 1"
load -z 2s --rate 2000 --json >/dev/null # warm the server's JIT

half=$((secs / 2))
echo "== 1. --stages ${half}s:1000-1000,${secs}s:1000-8000,${half}s:8000-8000: achieved rate per 1s interval"
load --stages "${half}s:1000-1000,${secs}s:1000-8000,${half}s:8000-8000" --concurrency 200 --json >"$tmp/stages.json"
jq -r '.timeline.points | map(select(.warmup | not)) | .[:-1]
  | map(((.achieved_rps - .target_rps) / .target_rps * 100) | fabs) as $d
  | "intervals \($d | length)   worst \($d | max | . * 100 | round / 100)%   mean \(($d | add) / ($d | length) | . * 100 | round / 100)%   (bar: 2%)"' "$tmp/stages.json"
jq -r '"late sends \(.rate.late_sends) of \(.total.requests)   loader thread busy \(.loader.threads[0].utilization * 100 | round)%"' "$tmp/stages.json"

echo "== 2. loader calls per CPU-second: flat --rate 4500 vs the same as a stage vs a ramp of that mean"
per_cpu() { jq -r '.total.ok / ([.loader.threads[].cpu_s] | add)'; }
flat=$(load --rate 4500 -z "${secs}s" --warmup 1s --concurrency 200 --json | per_cpu)
stage=$(load --stages "${secs}s:4500-4500" --warmup 1s --concurrency 200 --json | per_cpu)
ramp=$(load --stages "${secs}s:1000-8000" --warmup 1s --concurrency 200 --json | per_cpu)
awk -v f="$flat" -v s="$stage" -v r="$ramp" 'BEGIN {
  printf "flat %8.0f calls/CPU-s   stage %8.0f (%.0f%%)   ramp %8.0f (%.0f%%)   (bar: 90-110%%)\n", f, s, 100 * s / f, r, 100 * r / f }'

echo "== 3. --server-busy 200us: closed-loop maximum vs --find-max --slo 'p99<20ms'"
best=0
for c in 1 4 16 64; do
  conn=$((c < 10 ? c : 10))
  rps=$(load --server-busy 200us -z "${half}s" --connections "$conn" --concurrency "$c" --json | jq -r '.total.requests_per_second')
  echo "closed loop, $c in flight: $rps calls/s"
  best=$(awk -v a="$best" -v b="$rps" 'BEGIN { print (b > a ? b : a) }')
done
load --server-busy 200us --find-max --slo 'p99<20ms' --start-rate 500 --json -o "$tmp/search.json" 2>"$tmp/search.log" || true
cat "$tmp/search.log"
answer=$(jq -r '.answer.rps // 0' "$tmp/search.json")
jq -r '.steps[] | "step \(.step) \(.phase) \(.target_rps)/s: sent \(.achieved_rps)/s, p99 \(.latency_us.p99 // "-") us, \(if .pass then "pass" else "FAIL" end)"' "$tmp/search.json"
answer_cpu=$(jq -r '.answer.report' "$tmp/search.json" | per_cpu)
awk -v a="$answer" -v b="$best" 'BEGIN { printf "find-max %d/s   closed-loop max %.0f/s   ratio %.0f%% (bar: 90-110%%)\n", a, b, 100 * a / b }'
flat_at=$(load --rate "$answer" -z 5s --warmup 1s --concurrency 1000 --json | per_cpu)
awk -v f="$flat_at" -v s="$answer_cpu" -v a="$answer" 'BEGIN {
  printf "calls/CPU-s at %d/s: flat --rate %8.0f   search step %8.0f   ratio %.0f%% (bar: 90-110%%)\n", a, f, s, 100 * s / f }'
