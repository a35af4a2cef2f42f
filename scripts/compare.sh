#!/usr/bin/env bash
# One table: grpcperf serve (pinned to one core) and any reference servers, each loaded by h2load and by
# grpcperf bench (pinned to another core) at 1 and 100 calls in flight. Prints calls/s, p50/p99 latency,
# loader CPU and calls per loader CPU-second, then the ratios that issue 7 tracks.
#
# usage: scripts/compare.sh [--reference NAME=HOST:PORT]... [--duration SECONDS] [--payload BYTES]
#   e.g. scripts/compare.sh --reference grpc-go=127.0.0.1:50061 --reference cpp=127.0.0.1:50062
# Needs: h2load (Debian nghttp2-client; installed if missing and we are root), taskset, 2+ cores.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh

duration=5
payload=16
refs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) refs+=("$2"); shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --payload) payload=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

if ! command -v h2load >/dev/null; then
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null
  else echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; fi
fi
cores=$(nproc)
[ "$cores" -ge 2 ] || { echo "needs at least 2 cores (server and loader on separate cores)" >&2; exit 1; }
server_core=0
loader_core=1

bun=node_modules/.bin/bun
[ -x dist/grpcperf ] || npm run --silent build
work=$(mktemp -d)
trap 'kill -TERM ${serve_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
"$bun" scripts/make-body.ts "$payload" "$work/body.bin"

# One server thread: the comparison is per core, and several event loops on one pinned core only compete.
taskset -c $server_core dist/grpcperf serve --addr 127.0.0.1:0 --workers 1 2>"$work/serve.log" &
serve_pid=$!
addr=$(wait_ready "$work/serve.log" "$serve_pid") || exit 1

TIMEFORMAT='%R %U %S'
rows=()

# h2load: calls/s from its summary, percentiles from its per-request log, CPU from bash's time.
h2load_row() { # name addr conns streams
  local name=$1 addr=$2 c=$3 m=$4 out cpu
  out="$work/h2load.out"
  rm -f "$work/h2load.log" # h2load appends to its log file
  { time taskset -c $loader_core h2load -D "$duration" --warm-up-time 1 -c "$c" -m "$m" -d "$work/body.bin" \
      -H 'content-type: application/grpc' -H 'te: trailers' --log-file="$work/h2load.log" \
      "http://$addr/grpcperf.v1.Echo/Echo" >"$out" 2>&1; } 2>"$work/time"
  read -r real user sys <"$work/time"
  python3 - "$name" "$c" "$m" "$out" "$work/h2load.log" "$real" "$user" "$sys" "$duration" <<'PY'
import re, sys
name, c, m, out, log, real, user, sys_, dur = sys.argv[1:]
text = open(out).read()
rps = float(re.search(r"finished in [\d.]+s, ([\d.]+) req/s", text).group(1))
ok = int(re.search(r"(\d+) succeeded", text).group(1))
lat = sorted(int(l.split("\t")[2]) for l in open(log) if l.count("\t") >= 2)
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0
cpu = (float(user) + float(sys_)) / float(real)
print(f"{name}\th2load\t{int(c)*int(m)}\t{rps:.0f}\t{pct(0.5)}\t{pct(0.99)}\t{cpu*100:.0f}\t{rps/cpu if cpu else 0:.0f}")
PY
}

# grpcperf bench: the same load from our own loader, one thread, figures from its JSON report.
bench_row() { # name addr conns inflight
  local name=$1 addr=$2 c=$3 m=$4
  if ! dist/grpcperf bench --help >/dev/null 2>&1 || dist/grpcperf bench --help 2>&1 | grep -q "not available"; then
    return 0
  fi
  { time taskset -c $loader_core dist/grpcperf bench --server "$addr" --connections "$c" --concurrency $((c * m)) \
      --threads 1 --payload-size "$payload" --duration "${duration}s" --warmup 1s --json --quiet >"$work/bench.json" 2>"$work/bench.err"; } 2>"$work/time"
  read -r real user sys <"$work/time"
  python3 - "$name" "$((c * m))" "$work/bench.json" "$real" "$user" "$sys" <<'PY'
import json, sys
name, inflight, path, real, user, sys_ = sys.argv[1:]
r = json.load(open(path))
s = r["services"][0] if "services" in r else r
rps = s["throughput"]["calls_per_second"] if "throughput" in s else s["requests_per_second"]
lat = s["latency_us"] if "latency_us" in s else s["latency"]
cpu = (float(user) + float(sys_)) / float(real)
print(f"{name}\tbench\t{inflight}\t{rps:.0f}\t{lat['p50']:.0f}\t{lat['p99']:.0f}\t{cpu*100:.0f}\t{rps/cpu if cpu else 0:.0f}")
PY
}

targets=("grpcperf=$addr" "${refs[@]}")
for t in "${targets[@]}"; do
  name=${t%%=*}
  a=${t#*=}
  rows+=("$(h2load_row "$name" "$a" 1 1)")
  rows+=("$(h2load_row "$name" "$a" 10 10)")
  r=$(bench_row "$name" "$a" 1 1) && [ -n "$r" ] && rows+=("$r")
  r=$(bench_row "$name" "$a" 10 10) && [ -n "$r" ] && rows+=("$r")
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F); commit $(git rev-parse --short HEAD)"
echo "payload ${payload} B, ${duration}s per run after 1s warm-up; server on core $server_core, loader on core $loader_core"
printf '%s\n' "${rows[@]}" | python3 -c '
import sys
rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
hdr = ["server", "loader", "in flight", "calls/s", "p50 us", "p99 us", "loader CPU %", "calls per loader CPU-s"]
w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
fmt = lambda r: "  ".join(c.rjust(w[i]) if i > 1 else c.ljust(w[i]) for i, c in enumerate(r))
print(fmt(hdr)); print("  ".join("-" * x for x in w))
for r in rows: print(fmt(r))
get = {(r[0], r[1], r[2]): r for r in rows}
print()
for (name, loader, inflight), r in get.items():
    if name == "grpcperf":
        continue
    ours = get.get(("grpcperf", loader, inflight))
    if ours:
        print(f"grpcperf serve / {name} ({loader}, {inflight} in flight): calls/s {float(ours[3])/float(r[3]):.2f}x, p50 {float(ours[4])/max(1.0,float(r[4])):.2f}x")
for (name, loader, inflight), r in get.items():
    if loader == "bench":
        h = get.get((name, "h2load", inflight))
        if h:
            print(f"grpcperf bench / h2load efficiency against {name} ({inflight} in flight): {float(r[7])/float(h[7]):.2f}x calls per loader CPU-second")
'
