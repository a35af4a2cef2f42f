#!/usr/bin/env bash
# What the gRPC family's protocols cost, side by side in one go (issue 32's speed goals):
#   A. bench's loader CPU per call in Connect and gRPC-Web against gRPC's (goal: Connect unary <= 1.2x),
#      the same load (--protocols) against this tree's `grpcperf serve --workers 1`, twice;
#   B. Connect unary calls/s served on one core: `grpcperf serve --workers 1` against connect-node's server
#      (goal: at least as fast), gRPC for reference, the same loader;
#   C. gRPC unchanged: a base binary's serve and bench against this tree's (--base, e.g. main's).
#   With --http1, B only, over HTTP/1.1: Connect unary (`bench --http1`, keep-alive, one call in flight per
#   connection) served by `grpcperf serve` and by connect-node's handler on node:http, PASSES times
#   alternating (--passes, default 3); then the server's CPU per Connect call over HTTP/2 and HTTP/1.1.
# Servers on CPU 0, loaders on CPU 1. Only ratios within one run mean anything on a shared machine.
#
# usage: scripts/bench-protocols.sh [--base BIN] [--duration SECONDS] [--http1 [--passes N]]
# needs: jq, taskset, 2+ cores
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh

base=""
secs=5
http1=""
passes=3
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --duration) secs=$2; shift 2 ;;
    --http1) http1=1; shift ;;
    --passes) passes=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in jq taskset; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done
[ "$(nproc)" -ge 2 ] || { echo "needs at least 2 cores" >&2; exit 1; }
[ -x dist/grpcperf ] || npm run --silent build
ours=$(pwd)/dist/grpcperf
tmp=$(mktemp -d)
server=""
stop_server() { [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null; server=""; }
trap 'stop_server; rm -rf "$tmp"' EXIT
load=(-t 1 -c 10 --concurrency 100 --warmup 1s -z "${secs}s" -q)

# start_connect_node [--http1]: connect-node's server on CPU 0; sets $server and $addr.
start_connect_node() {
  taskset -c 0 node_modules/.bin/bun scripts/connect-node-server.ts "$@" 2>"$tmp/serve.log" &
  server=$!
  addr=$(wait_ready "$tmp/serve.log" "$server") || exit 1
}

# start_serve BIN: grpcperf serve --workers 1 on CPU 0; sets $server and $addr.
start_serve() {
  taskset -c 0 "$1" serve --addr 127.0.0.1:0 --workers 1 2>"$tmp/serve.log" &
  server=$!
  addr=$(wait_ready "$tmp/serve.log" "$server") || exit 1
}
# per_cpu FILE: calls per load-thread CPU-second, and calls/s.
per_cpu() { jq -r '"\(.total.requests / ([.loader.threads[].cpu_s] | add) | floor) \(.total.requests_per_second | floor)"' "$1"; }

if [ -n "$http1" ]; then
  echo "== B over HTTP/1.1: Connect unary served on one core (CPU 0), loader on CPU 1, 32 connections x 1 call in flight"
  : >"$tmp/h1"
  for pass in $(seq "$passes"); do
    for srv in grpcperf connect-node; do
      if [ "$srv" = grpcperf ]; then start_serve "$ours"; else start_connect_node --http1; fi
      taskset -c 1 "$ours" bench -s "$addr" --protocol connect --http1 -t 1 -c 32 --concurrency 32 --warmup 1s \
        -z "${secs}s" -q --json >"$tmp/b.json"
      rps=$(jq '.total.requests_per_second | floor' "$tmp/b.json")
      failed=$(jq '.total.failed' "$tmp/b.json")
      echo "$pass $srv $rps" >>"$tmp/h1"
      printf 'pass %s  %-12s %8s calls/s  (%s failed)\n' "$pass" "$srv" "$rps" "$failed"
      stop_server
    done
  done
  awk '{v[$1" "$2]=$3} END {for (p = 1; v[p" grpcperf"] != ""; p++) printf "pass %d  grpcperf / connect-node %.2fx\n", p, v[p" grpcperf"] / v[p" connect-node"]}' "$tmp/h1"
  echo "== the server's CPU per Connect call, HTTP/2 against HTTP/1.1 (one grpcperf serve, 32 calls in flight)"
  start_serve "$ours"
  tick=$(getconf CLK_TCK)
  for pass in $(seq "$passes"); do
    for mode in h2 http1; do
      extra=(); [ "$mode" = http1 ] && extra=(--http1)
      c0=$(awk '{print $14 + $15}' "/proc/$server/stat")
      taskset -c 1 "$ours" bench -s "$addr" --protocol connect "${extra[@]}" -t 1 -c 32 --concurrency 32 --warmup 0s \
        -z "${secs}s" -q --json >"$tmp/b.json"
      c1=$(awk '{print $14 + $15}' "/proc/$server/stat")
      printf 'pass %s  %-6s %8s calls/s  server %s us CPU per call\n' "$pass" "$mode" \
        "$(jq '.total.requests_per_second | floor' "$tmp/b.json")" \
        "$(jq -r --arg c "$((c1 - c0))" --arg t "$tick" '($c | tonumber) * 1e6 / ($t | tonumber) / .total.requests * 10 | floor / 10' "$tmp/b.json")"
    done
  done
  stop_server
  exit 0
fi

echo "== A. loader calls per CPU-second, by protocol (grpcperf serve --workers 1 on CPU 0, 10 x 10 in flight, 16 B)"
start_serve "$ours"
: >"$tmp/ratios"
for pass in 1 2 3; do
  taskset -c 1 "$ours" bench -s "$addr" --protocols grpc,connect,grpc-web "${load[@]}" -o "$tmp/a$pass.json" >/dev/null
  g=$(per_cpu "$tmp/a$pass.grpc.json" | cut -d' ' -f1)
  for p in grpc connect grpc-web; do
    read -r c r < <(per_cpu "$tmp/a$pass.$p.json")
    ratio=$(jq -n "$g / $c * 100 | floor / 100")
    echo "$p $ratio" >>"$tmp/ratios"
    printf 'pass %s  %-9s %8s calls/CPU-s  %7s calls/s  loader CPU per call %sx gRPC\n' "$pass" "$p" "$c" "$r" "$ratio"
  done
done
for p in connect grpc-web; do
  printf 'median   %-9s loader CPU per call %sx gRPC\n' "$p" "$(awk -v p="$p" '$1 == p {print $2}' "$tmp/ratios" | sort -n | sed -n 2p)"
done
stop_server

echo "== B. Connect unary served on one core (CPU 0), loader on CPU 1"
for srv in grpcperf connect-node; do
  if [ "$srv" = grpcperf ]; then start_serve "$ours"; else start_connect_node; fi
  for p in connect grpc; do
    taskset -c 1 "$ours" bench -s "$addr" --protocol "$p" "${load[@]}" --json >"$tmp/b.json"
    printf '%-12s %-8s %8s calls/s\n' "$srv" "$p" "$(jq '.total.requests_per_second | floor' "$tmp/b.json")"
  done
  stop_server
done

if [ -n "$base" ]; then
  echo "== C. gRPC unchanged: base $base against this tree"
  for side in base ours; do
    bin=$ours; [ "$side" = base ] && bin=$base
    start_serve "$bin"
    taskset -c 1 "$ours" bench -s "$addr" "${load[@]}" --json >"$tmp/c.json"
    printf 'serve %-5s %8s calls/s (this tree loading)\n' "$side" "$(jq '.total.requests_per_second | floor' "$tmp/c.json")"
    stop_server
  done
  start_serve "$ours"
  for side in base ours ours2 base2; do
    bin=$ours; case $side in base*) bin=$base ;; esac
    taskset -c 1 "$bin" bench -s "$addr" "${load[@]}" --json >"$tmp/c.json"
    printf 'bench %-5s %8s calls/CPU-s (this tree serving)\n' "$side" "$(per_cpu "$tmp/c.json" | cut -d' ' -f1)"
  done
  stop_server
fi
