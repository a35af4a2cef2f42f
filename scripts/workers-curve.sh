#!/usr/bin/env bash
# Throughput of `grpcperf serve --workers N` for N = 1, 2, 4, … up to the CPU count (or --max): unary
# echo loaded by h2load on the same machine, rounds alternating over N so drift and neighbours hit every
# N alike; prints each run and the median per N, with the speed-up over N = 1.
#
# usage: scripts/workers-curve.sh [--max N] [--rounds R] [--duration SECONDS] [--connections C]
#          [--streams M] [--loader-threads T] [--payload BYTES] [--server-cpus LIST] [--loader-cpus LIST]
#   defaults: max = nproc, 3 rounds, 5 s, 32 connections × 10 streams, loader threads = min(nproc, 8),
#   16-byte payload, nothing pinned. On a big machine give server and loader their own cores, e.g.
#   --server-cpus 0-15 --loader-cpus 16-31 --max 16.
# Needs: h2load (Debian nghttp2-client), python3; builds dist/grpcperf if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh

max=$(nproc)
rounds=3
duration=5
connections=32
streams=10
loader_threads=$(( $(nproc) < 8 ? $(nproc) : 8 ))
payload=16
server_cpus=""
loader_cpus=""
while [ $# -gt 0 ]; do
  case "$1" in
    --max) max=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --loader-threads) loader_threads=$2; shift 2 ;;
    --payload) payload=$2; shift 2 ;;
    --server-cpus) server_cpus=$2; shift 2 ;;
    --loader-cpus) loader_cpus=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; }
[ -x dist/grpcperf ] || npm run --silent build

counts=()
for ((n = 1; n <= max; n *= 2)); do counts+=("$n"); done
[ "${counts[-1]}" = "$max" ] || counts+=("$max")

# taskset prefixes, empty when nothing is pinned (taskset execs, so $! is still the server itself)
server_pin=()
loader_pin=()
[ -n "$server_cpus" ] && server_pin=(taskset -c "$server_cpus")
[ -n "$loader_cpus" ] && loader_pin=(taskset -c "$loader_cpus")

work=$(mktemp -d)
serve_pid=""
trap '[ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null; rm -rf "$work"' EXIT
node_modules/.bin/bun scripts/make-body.ts "$payload" "$work/body.bin"

run_one() { # workers: appends "N calls/s" to the results (no $(...): the EXIT trap would run in it)
  local n=$1 addr
  "${server_pin[@]}" dist/grpcperf serve --addr 127.0.0.1:0 --workers "$n" 2>"$work/serve.log" &
  serve_pid=$!
  addr=$(wait_ready "$work/serve.log" "$serve_pid" 30) || exit 1
  "${loader_pin[@]}" h2load -D "$duration" --warm-up-time 1 -t "$loader_threads" -c "$connections" -m "$streams" \
    -d "$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://$addr/grpcperf.v1.Echo/Echo" >"$work/h2load.out" 2>&1
  kill -TERM "$serve_pid"
  wait "$serve_pid" || true
  serve_pid=""
  grep -q " 0 failed, 0 errored" "$work/h2load.out" || { echo "h2load saw failures at --workers $n:" >&2; cat "$work/h2load.out" >&2; exit 1; }
  rps=$(sed -nE 's/^finished in [0-9.]+s, ([0-9.]+) req\/s.*/\1/p' "$work/h2load.out")
  echo "round $r  --workers $n  $rps calls/s" >&2
  echo "$n $rps" >>"$work/results"
}

: >"$work/results"
for ((r = 1; r <= rounds; r++)); do
  for n in "${counts[@]}"; do
    run_one "$n"
  done
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F); commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "h2load -t $loader_threads -c $connections -m $streams, ${payload}-byte payload, ${duration}s after 1s warm-up, $rounds rounds;" \
  "server CPUs: ${server_cpus:-any}, loader CPUs: ${loader_cpus:-any}"
python3 - "$work/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    n, rps = line.split()
    runs.setdefault(int(n), []).append(float(rps))
base = statistics.median(runs[min(runs)])
print(f"{'workers':>7}  {'median calls/s':>14}  {'x N=1':>6}  runs")
for n in sorted(runs):
    med = statistics.median(runs[n])
    print(f"{n:>7}  {med:>14.0f}  {med / base:>6.2f}  {', '.join(f'{v:.0f}' for v in runs[n])}")
PY
