#!/usr/bin/env bash
# What a call costs the loader: calls per loader CPU-second of h2load (nghttp2, C, pre-encoded gRPC
# frames), of a baseline grpcperf binary and of this tree's binary, side by side in one go against one
# server (grpc-go's echo server from ../shared/anchors, else `grpcperf serve`). Server on CPU 0, loaders on
# CPU 1. Shapes: 16 B x 100 in flight (10 connections x 10), 16 B x 1 in flight, 64 KiB x 10 in flight
# (1 connection), and bidi EchoStream messages per loader CPU-second (grpcperf binaries only: h2load
# cannot stream).
#
# Two figures per grpcperf run: the load thread's CPU over the measured phase (from its JSON report,
# what h2load's process CPU compares with) and the whole process's (start-up, JIT, warm-up and the
# coordinating thread included). Only ratios within one run mean anything on a shared machine.
#
# usage: scripts/bench-loader-cost.sh [--base BIN] [--server-bin PATH|serve] [--duration SECONDS]
#          [--rounds N] [--rows FILE]
#   --base        a grpcperf binary to compare with (e.g. main's); omitted: this tree's only
#   --server-bin  echo_server_go from ../shared/anchors/build.sh (default /tmp/anchors/bin/echo_server_go
#                 when present), or `serve` for this tree's grpcperf serve --workers 1
#   --rounds      rounds in this run (default 1); each round runs every loader once per shape, in turn
#   --rows        a file the rows are appended to, and the summary computed over: several runs (each
#                 under its own short exclusive hold of the CPU lock) add up to one table
#
# The summary gives, per shape and loader, the median over rounds of the per-round ratio to h2load (and
# for bidi to the base binary), with the lowest and highest round in brackets.
# needs: h2load (nghttp2-client), jq, taskset, 2+ cores
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh

base=""
server_bin=/tmp/anchors/bin/echo_server_go
[ -x "$server_bin" ] || server_bin=serve
secs=5
rounds=1
rows_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --rows) rows_file=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --server-bin) server_bin=$2; shift 2 ;;
    --duration) secs=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in h2load jq taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs at least 2 cores (server and loader on separate cores)" >&2; exit 1; }
[ -x dist/grpcperf ] || npm run --silent build
ours=$(pwd)/dist/grpcperf
tmp=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill -TERM "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

if [ "$server_bin" = serve ]; then
  taskset -c 0 "$ours" serve --addr 127.0.0.1:0 --workers 1 2>"$tmp/serve.log" &
  server=$!
  addr=$(wait_ready "$tmp/serve.log" "$server") || exit 1
  server_name="grpcperf serve"
else
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  taskset -c 0 "$server_bin" -port "$port" >"$tmp/serve.log" 2>&1 &
  server=$!
  addr=127.0.0.1:$port
  for _ in $(seq 50); do "$ours" call echo --server "$addr" --count 1 >/dev/null 2>&1 && break; sleep 0.1; done
  server_name="grpc-go ($(basename "$server_bin"))"
fi
"$ours" call echo --server "$addr" --count 1 >/dev/null # h2load counts HTTP 200s only: check calls succeed
node_modules/.bin/bun scripts/make-body.ts 16 "$tmp/body16.bin"
node_modules/.bin/bun scripts/make-body.ts 65536 "$tmp/body64k.bin"

cpu_of() { # CPU seconds (user + sys) of a command and its children
  local TIMEFORMAT='%U %S'
  { time "$@" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"
  awk '{printf "%.3f", $1 + $2}' "$tmp/time"
}

rows=()
round=0
# Rounds already in the rows file continue the numbering, so each round's ratios stay apart.
[ -n "$rows_file" ] && [ -s "$rows_file" ] && round=$(cut -f1 "$rows_file" | sort -n | tail -1)
h2load_row() { # label conns per-conn body
  local cpu calls
  cpu=$(cpu_of taskset -c 1 h2load -D "$secs" -c "$2" -m "$3" -d "$4" \
    -H 'content-type: application/grpc' -H 'te: trailers' "http://$addr/grpcperf.v1.Echo/Echo")
  calls=$(grep -oE '[0-9]+ succeeded' "$tmp/out" | awk '{print $1}')
  rows+=("$round	$1	h2load	$calls	$cpu	$cpu")
}
bench_row() { # label name bin conns per-conn payload [extra...]
  local label=$1 name=$2 bin=$3 c=$4 m=$5 size=$6 cpu calls thread
  shift 6
  cpu=$(cpu_of taskset -c 1 "$bin" bench --server "$addr" --duration "${secs}s" --warmup 1s --connections "$c" \
    --concurrency $((c * m)) --threads 1 --payload-size "$size" --json --quiet "$@")
  calls=$(jq 'if .streams then .streams.messages.received else .total.ok end' "$tmp/out")
  thread=$(jq '[.loader.threads[].cpu_s // 0] | add' "$tmp/out")
  rows+=("$round	$label	$name	$calls	$thread	$cpu")
}
shape() { # label conns per-conn size body
  h2load_row "$1" "$2" "$3" "$5"
  [ -n "$base" ] && bench_row "$1" base "$base" "$2" "$3" "$4"
  bench_row "$1" this "$ours" "$2" "$3" "$4"
}
# Each binary warms the server once, so no loader meets a cold one.
"$ours" bench --server "$addr" --duration 2s --connections 10 --concurrency 100 --threads 1 --quiet >/dev/null
for _ in $(seq "$rounds"); do
  round=$((round + 1))
  shape "16 B x 100" 10 10 16 "$tmp/body16.bin"
  shape "16 B x 1" 1 1 16 "$tmp/body16.bin"
  shape "64 KiB x 10" 1 10 65536 "$tmp/body64k.bin"
  [ -n "$base" ] && bench_row "bidi x 100" base "$base" 10 10 16 --service echo-stream
  bench_row "bidi x 100" this "$ours" 10 10 16 --service echo-stream
done

echo "server: $server_name on CPU 0; loaders on CPU 1; ${secs}s measured; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD)"
printf '%s\n' "${rows[@]}" >&2 # raw rows on stderr, in case the table fails
all="$tmp/rows.tsv"
if [ -n "$rows_file" ]; then
  printf '%s\n' "${rows[@]}" >>"$rows_file"
  cp "$rows_file" "$all"
else
  printf '%s\n' "${rows[@]}" >"$all"
fi
python3 - "$all" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
# Per round: h2load's calls per process CPU-second, each grpcperf binary's per load-thread CPU-second.
per = {}
for rnd, shape, loader, calls, thread, proc in rows:
    calls, thread, proc = float(calls), float(thread), float(proc)
    per[(rnd, shape, loader)] = calls / (proc if loader == "h2load" else thread) if (proc if loader == "h2load" else thread) else 0
shapes = list(dict.fromkeys(r[1] for r in rows))
loaders = list(dict.fromkeys(r[2] for r in rows))
rounds = sorted(set(r[0] for r in rows), key=int)
print(f"{len(rounds)} rounds; per CPU-second: h2load per process CPU-s, grpcperf per load-thread CPU-s")
print("{:<12} {:<7} {:>16} {:>22} {:>22}".format("shape", "loader", "median per CPU-s", "vs h2load [min-max]", "vs base [min-max]"))
def cell(vals):
    return f"{statistics.median(vals):.2f}x [{min(vals):.2f}-{max(vals):.2f}]" if vals else ""
for shape in shapes:
    for loader in loaders:
        mine = [per[(r, shape, loader)] for r in rounds if (r, shape, loader) in per]
        if not mine:
            continue
        vs_h2 = [per[(r, shape, loader)] / per[(r, shape, "h2load")] for r in rounds
                 if (r, shape, loader) in per and per.get((r, shape, "h2load"))] if loader != "h2load" else []
        vs_base = [per[(r, shape, loader)] / per[(r, shape, "base")] for r in rounds
                   if (r, shape, loader) in per and per.get((r, shape, "base"))] if loader == "this" else []
        print(f"{shape:<12} {loader:<7} {statistics.median(mine):>16.0f} {cell(vs_h2):>22} {cell(vs_base):>22}")
print("(bidi: EchoStream messages received)")
PY
