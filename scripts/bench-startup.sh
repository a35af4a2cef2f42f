#!/usr/bin/env bash
# Start-up time, start to exit, as medians of repeated runs (hyperfine), side by side in one go:
#   grpcperf --version
#   grpcperf call echo --count 1   against a local server (started once, pinned to another core)
# for BINARY (default dist/grpcperf), for the binary of git ref REF when --before REF is given (built in a
# temporary worktree), and for a compiled no-op Bun program: the floor no Bun binary goes below.
#   scripts/bench-startup.sh [--before REF] [--runs N] [--rounds R] [--lock FILE] [BINARY]
# --rounds R (default 4): the N runs of each command are made in R rounds, each round running every command
# in turn (the order rotated from round to round), and the figures are of all runs pooled. On a shared machine
# whose speed drifts over a minute, one command's runs all in a row would be compared with another's made in
# another state of the machine.
# --lock FILE: on a shared machine, hold FILE exclusively (flock) while measuring (one hold per round), not
# while building.
# Figures in docs/performance.md ("Start-up"). Needs hyperfine (apt-get install hyperfine) and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve-ready.sh
before="" runs=40 rounds=4 bin=dist/grpcperf lock=""
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --lock) lock=$2; shift 2 ;;
    *) bin=$1; shift ;;
  esac
done
command -v hyperfine >/dev/null || { echo "bench-startup: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench-startup: $bin is missing (npm run build)" >&2; exit 1; }
bin=$(realpath "$bin")
work=$(mktemp -d)
root=$PWD
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  if [ -n "$before" ]; then git -C "$root" worktree remove --force "$work/before" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The floor: a compiled program that prints one line, built with the flags scripts/build.sh uses.
printf 'console.log("ok");\n' >"$work/noop.ts"
node_modules/.bin/bun build --compile --minify --bytecode --format=esm --no-compile-autoload-dotenv \
  --no-compile-autoload-bunfig "$work/noop.ts" --outfile "$work/noop" >/dev/null

names=(now) bins=("$bin")
if [ -n "$before" ]; then
  git worktree add --detach "$work/before" "$before" >/dev/null 2>&1
  ln -s "$root/node_modules" "$work/before/node_modules"
  (cd "$work/before" && bash scripts/build.sh >/dev/null)
  names+=("$before") bins+=("$work/before/dist/grpcperf")
fi

# cwd: an empty directory, so no build reads a .env or bunfig.toml from here
cd "$work"
taskset -c 1 "$bin" serve --addr 127.0.0.1:0 --workers 1 --crypto-workers 0 2>"$work/serve.log" &
server=$!
addr=$(wait_ready "$work/serve.log" "$server") || exit 1
# Warm the server first: a fresh one answers its first connections and calls with cold code, several times
# slower, which would count against whichever command happened to be measured first.
"$bin" call echo --count 2000 --server "$addr" >/dev/null
for _ in $(seq 50); do "$bin" call echo --count 1 --server "$addr" >/dev/null; done

labels=("no-op Bun binary (floor)") lines=("taskset -c 0 $work/noop")
for i in "${!bins[@]}"; do
  labels+=("${names[$i]}: --version") lines+=("taskset -c 0 ${bins[$i]} --version")
  labels+=("${names[$i]}: call echo --count 1") lines+=("taskset -c 0 ${bins[$i]} call echo --count 1 --server $addr")
done
measure=(hyperfine)
[ -n "$lock" ] && measure=(flock -x "$lock" hyperfine)
per=$(((runs + rounds - 1) / rounds))
for ((r = 0; r < rounds; r++)); do
  cmds=()
  for ((k = 0; k < ${#lines[@]}; k++)); do
    j=$(((k + r) % ${#lines[@]}))
    cmds+=(-n "${labels[$j]}" "${lines[$j]}")
  done
  "${measure[@]}" -N --style none --warmup 5 --runs "$per" --export-json "$work/round-$r.json" "${cmds[@]}" >/dev/null
done

echo "| Command | Median | Min | Mean ± σ | CPU (user + sys) |"
echo "| --- | ---: | ---: | ---: | ---: |"
node -e '
  const fs = require("fs");
  const [order, ...files] = process.argv.slice(1);
  const pooled = new Map();
  for (const f of files) {
    for (const x of JSON.parse(fs.readFileSync(f, "utf8")).results) {
      const p = pooled.get(x.command) ?? { times: [], cpu: [] };
      p.times.push(...x.times);
      p.cpu.push(x.user + x.system);
      pooled.set(x.command, p);
    }
  }
  const ms = (s) => (s * 1000).toFixed(1);
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  for (const name of order.split("\n")) {
    const { times, cpu } = pooled.get(name);
    const t = [...times].sort((a, b) => a - b);
    const median = t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    const m = mean(t);
    const sd = Math.sqrt(t.reduce((s, v) => s + (v - m) ** 2, 0) / (t.length - 1));
    console.log(`| ${name} | ${ms(median)} ms | ${ms(t[0])} ms | ${ms(m)} ± ${ms(sd)} ms | ${ms(mean(cpu))} ms |`);
  }
' "$(printf '%s\n' "${labels[@]}")" "$work"/round-*.json
for i in "${!bins[@]}"; do
  echo "size ${names[$i]}: $(stat -c %s "${bins[$i]}") bytes"
done
echo "runs: $((per * rounds)) each, in $rounds rounds; machine: $(nproc) cores, $(uname -m), Bun $("$root/node_modules/.bin/bun" --version); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
