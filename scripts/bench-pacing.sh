#!/usr/bin/env bash
# Pacing precision and cost (docs/performance.md, "Pacing"): the machine's own floor (a C loop on the loader's
# core, spinning and sleeping on a timerfd), the pacer's send lag with no server (bench --calibrate), latency
# from due against service time at --rate 1000, and the loader's CPU per call at 10,000/s and at 10/s, side by
# side with a baseline binary when BASE is given. Server on CPU 0, load thread on CPU 1, placed two ways
# (PLACEMENTS, default "whole pin"): whole = the whole loader under `taskset -c 1` (its JIT and GC threads beside
# the load thread), pin = `--pin-cpus 1` (the load thread alone on CPU 1, the runtime's threads on CPU 0 with the
# server). Run it on an otherwise idle machine (or under the project's exclusive CPU lock).
#   scripts/bench-pacing.sh [BIN] [BASE]     BIN default dist/grpcperf; BASE: an older grpcperf to compare
#   PARTS="floor calibrate runs findmax" (default "floor calibrate runs"); SECS: each run's length (default 5);
#   CONCURRENCY: calls in flight (default 64: enough that a slot is always free, so send lag is the pacer's);
#   FINDMAX: how many capacity searches (default 3); BASE_PLACEMENT: the base's (default: the same as BIN's;
#   "whole" for a base older than --pin-cpus); CAL_SECS: each calibrated rate's length (default 10, so that
#   100/s has 1,000 calls: over 300, its p99 is the third-worst call and its p99.9 the worst); RATES: the
#   runs' rates (default "10 100 1000 10000")
#   PARTS=sched: who takes the load thread's core during --rate runs (SCHED_RATES, default "1000 10000"):
#   `perf sched record` on CPU 1 for 3 s mid-run (needs linux-perf and root), read by scripts/loader-sched.ts
set -euo pipefail
BIN=${1:-dist/grpcperf}
BASE=${2:-}
PORT=${PORT:-50971}
SECS=${SECS:-5}
CONCURRENCY=${CONCURRENCY:-64}
PLACEMENTS=${PLACEMENTS:-whole pin}
out=$(mktemp -d)
taskset -c 0 "$BIN" serve --addr "127.0.0.1:$PORT" --workers 1 >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 50); do grep -q "serving" "$out/serve.log" 2>/dev/null && break; sleep 0.1; done

# a loader command on CPU 1, placed as asked: whole process pinned, or the load thread alone (--pin-cpus)
placed() { # placement bin args...
  local placement=$1
  shift
  if [ "$placement" = pin ]; then "$@" --pin-cpus 1; else taskset -c 1 "$@"; fi
}

PARTS=${PARTS:-floor calibrate runs}
has() { [[ " $PARTS " == *" $1 "* ]]; }

if has floor; then
  echo "== the machine's floor on CPU 1 (a C loop: spinning, and sleeping on a timerfd) =="
  gcc -O2 -o "$out/pacing-floor" "$(dirname "$0")/lib/pacing-floor.c"
  for rate in 100 1000 10000; do
    for mode in spin timerfd; do taskset -c 1 "$out/pacing-floor" "$mode" "$rate" 3; done
  done
fi

if has calibrate; then
  for placement in $PLACEMENTS; do
    echo "== pacer alone (bench --calibrate), $placement =="
    placed "$placement" "$BIN" bench --calibrate -z "${CAL_SECS:-10}s"
  done
fi

# figures of one run's JSON: send lag, latency from due vs service time (p50), loader CPU per call
summary() {
  "${BUN:-bun}" -e '
    const r = JSON.parse(await Bun.file(process.argv[1]).text());
    const s = r.services[0] ?? {};
    const t = r.loader.threads[0] ?? {};
    const l = r.rate.send_lag_us;
    const cpuPerCall = r.total.requests > 0 && t.cpu_s !== null ? (t.cpu_s * 1e6) / r.total.requests : null;
    const busyPerCall = r.total.requests > 0 && t.cpu_s !== null ? ((t.cpu_s - (t.pacer_wait_s ?? 0)) * 1e6) / r.total.requests : null;
    console.log(JSON.stringify({
      calls: r.total.requests, achieved: r.rate.achieved,
      send_lag_us: l ? { p50: l.p50, p99: l.p99, p99_9: l.p99_9, max: l.max } : null,
      stalls: r.rate.stalls ? { count: r.rate.stalls.count, calls_due: r.rate.stalls.calls_due, preempted: r.rate.stalls.preempted } : null,
      slot_waits: r.rate.slot_waits,
      latency_p50_us: s.latency_us?.p50, service_p50_us: s.service_time_us?.p50,
      thread_cpu_us_per_call: cpuPerCall && Math.round(cpuPerCall * 10) / 10,
      busy_cpu_us_per_call: busyPerCall && Math.round(busyPerCall * 10) / 10,
      thread_utilization: t.utilization, process_cpu_s: r.loader.process_cpu_s,
    }));' "$1"
}
run() { # label placement bin args...
  local label=$1 placement=$2 bin=$3
  shift 3
  rm -f "$out/r.json"
  placed "$placement" "$bin" bench --server "127.0.0.1:$PORT" --threads 1 --connections 1 --concurrency "$CONCURRENCY" \
    --warmup 1s -z "${SECS}s" --json -o "$out/r.json" "$@" >/dev/null 2>&1 || true
  printf '%-28s ' "$label"
  if [ -s "$out/r.json" ]; then summary "$out/r.json"; else echo "(no report)"; fi
}
if has runs; then
  for rate in ${RATES:-10 100 1000 10000}; do
    for placement in $PLACEMENTS; do
      run "rate $rate $placement (this)" "$placement" "$BIN" --rate "$rate"
      if [ -n "$BASE" ]; then run "rate $rate $placement (base)" "${BASE_PLACEMENT:-$placement}" "$BASE" --rate "$rate"; fi
    done
  done
fi

# capacity searches against --server-busy 400us beside the closed loop's maximum (each takes about a minute).
# The maximum is itself a measurement that drifts on a shared VM (one 10 s run read 1,872/s where the day's
# others read 2,114-2,128/s), so it is taken before each search and after the last, and every search is
# given as a share of the median of those.
closed() {
  taskset -c 1 "$BIN" bench --server "127.0.0.1:$PORT" --threads 1 --server-busy 400us -z 5s --warmup 1s \
    --json -o "$out/closed.json" >/dev/null 2>&1 || true
  "${BUN:-bun}" -e 'const r = JSON.parse(await Bun.file(process.argv[1]).text()); console.log(r.total.requests_per_second)' "$out/closed.json" | tee -a "$out/closed.txt"
}
if has findmax; then
  : >"$out/closed.txt"
  : >"$out/answers.txt"
  for placement in $PLACEMENTS; do
    for i in $(seq "${FINDMAX:-3}"); do
      echo "closed loop, --server-busy 400us: $(closed)/s"
      placed "$placement" "$BIN" bench --server "127.0.0.1:$PORT" --threads 1 --server-busy 400us --find-max \
        --slo 'p99<10ms' 2>/dev/null | grep -E "^(highest rate|no answer|limit)" | sed "s/^/search $i, $placement: /" |
        tee -a "$out/answers.txt" || true
    done
  done
  echo "closed loop, --server-busy 400us: $(closed)/s"
  "${BUN:-bun}" -e '
    const [closedFile, answersFile] = process.argv.slice(1);
    const closed = (await Bun.file(closedFile).text()).split("\n").filter(Boolean).map(Number).sort((a, b) => a - b);
    const median = closed[(closed.length - 1) >> 1] ?? 0;
    const answers = [...(await Bun.file(answersFile).text()).matchAll(/^(search \d+, \w+): highest rate that met every SLO: (\d+)/gm)];
    console.log(`closed-loop maximum, median of ${closed.length}: ${median}/s (${closed[0]}-${closed.at(-1)})`);
    for (const [, who, rps] of answers) console.log(`${who}: ${rps}/s, ${Math.round((100 * Number(rps)) / median)}% of it`);
  ' "$out/closed.txt" "$out/answers.txt"
fi

# which tasks ran on the loader's core while the load thread waited to run (the stalls' cause, by name)
if has sched; then
  for rate in ${SCHED_RATES:-1000 10000}; do
    taskset -c 1 "$BIN" bench --server "127.0.0.1:$PORT" --threads 1 --connections 1 --concurrency 16 \
      --warmup 1s -z 5s --rate "$rate" --json -o "$out/s.json" >/dev/null 2>&1 &
    loader=$!
    sleep 2
    perf sched record -C 1 -o "$out/sched.data" -- sleep 3 >/dev/null 2>&1 || true
    perf script -i "$out/sched.data" -F time,event,trace 2>/dev/null >"$out/sched.txt" || true
    "${BUN:-bun}" "$(dirname "$0")/loader-sched.ts" "$loader" <"$out/sched.txt" | sed "s/^/rate $rate: /"
    wait "$loader" || true
    printf '%-28s ' "rate $rate (this)"
    summary "$out/s.json"
  done
fi
