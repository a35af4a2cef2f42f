#!/usr/bin/env bash
# Did a change move the hot paths? Two builds, A (a commit, built here) and B (this checkout), in alternating
# rounds, so the machine's drift falls on both alike. Each round, for each side: h2load against that side's
# `serve` (1 and 100 in flight: the server path), then that side's `bench` against A's `serve` (100 in flight:
# the loader path). Prints each round, then per measure the median of each side and the median of the paired
# B/A ratios; a change is real only when the paired ratios stay on one side of 1 round after round.
#
# usage: scripts/ab-speed.sh --before REF [--rounds N] [--duration SECONDS]
#   e.g. scripts/ab-speed.sh --before c5185d1 --rounds 9
# Needs: h2load (Debian nghttp2-client), taskset, 2+ cores. Server on core 0, loaders on core 1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh

before=""
rounds=5
duration=3
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$before" ] || { echo "--before REF is required (the commit to compare against)" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs at least 2 cores" >&2; exit 1; }

work=$(mktemp -d)
spid=""
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  git worktree remove --force "$work/a" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git worktree add --detach -q "$work/a" "$before"
ln -s "$PWD/node_modules" "$work/a/node_modules"
(cd "$work/a" && npm run --silent build >/dev/null)
[ -x dist/grpcperf ] || npm run --silent build >/dev/null
A="$work/a/dist/grpcperf"
B="$PWD/dist/grpcperf"
node_modules/.bin/bun scripts/make-body.ts 16 "$work/body.bin"

start() { # binary -> $addr
  taskset -c 0 "$1" serve --addr 127.0.0.1:0 --workers 1 2>"$work/serve.log" >/dev/null &
  spid=$!
  addr=$(wait_ready "$work/serve.log" "$spid")
}
stop() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true; spid=""; }
h2() { # addr connections streams -> calls/s
  taskset -c 1 timeout 60 h2load -D "$duration" --warm-up-time 1 -c "$2" -m "$3" -d "$work/body.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' "http://$1/grpcperf.v1.Echo/Echo" 2>&1 </dev/null |
    grep -o 'finished in [0-9.]*s, [0-9.]* req/s' | awk '{print $4}'
}
bench() { # binary addr -> calls/s
  taskset -c 1 timeout 60 "$1" bench --server "$2" --connections 10 --concurrency 100 --threads 1 \
    --payload-size 16 --duration "${duration}s" --warmup 1s --json --quiet 2>/dev/null </dev/null |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["services"][0]["requests_per_second"]))'
}

echo "A = $before, B = $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'); $rounds rounds of ${duration}s runs"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/rows"
for r in $(seq "$rounds"); do
  for side in A B; do
    bin=$A
    [ "$side" = B ] && bin=$B
    start "$bin"
    s100=$(h2 "$addr" 10 10)
    s1=$(h2 "$addr" 1 1)
    stop
    start "$A"
    l100=$(bench "$bin" "$addr")
    stop
    echo "$r $side $s100 $s1 $l100" | tee -a "$work/rows"
  done
done
python3 - "$work/rows" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
names = ["serve, h2load 100 in flight", "serve, h2load 1 in flight", "bench, 100 in flight"]
print()
print(f"{'calls/s':30} {'A median':>10} {'B median':>10} {'B/A paired median':>18} {'B/A range':>14}")
for i, name in enumerate(names):
    a = {r[0]: float(r[2 + i]) for r in rows if r[1] == "A"}
    b = {r[0]: float(r[2 + i]) for r in rows if r[1] == "B"}
    ratios = [b[k] / a[k] for k in a if k in b and a[k] > 0]
    print(f"{name:30} {st.median(a.values()):>10.0f} {st.median(b.values()):>10.0f} {st.median(ratios):>18.2f} "
          f"{min(ratios):>6.2f}–{max(ratios):<6.2f}")
PY
