#!/usr/bin/env bash
# Start-up time, start to exit, as medians of repeated runs (hyperfine), side by side in one go:
#   grpcperf --version
#   grpcperf call echo --count 1   against a local server (started once, pinned to another core)
# for BINARY (default dist/grpcperf), for the binary of git ref REF when --before REF is given (built in a
# temporary worktree), and for a compiled no-op Bun program: the floor no Bun binary goes below.
#   scripts/bench-startup.sh [--before REF] [--runs N] [--lock FILE] [BINARY]
# --lock FILE: on a shared machine, hold FILE exclusively (flock) while measuring, not while building.
# Figures in docs/performance.md ("Start-up"). Needs hyperfine (apt-get install hyperfine) and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve-ready.sh
before="" runs=40 bin=dist/grpcperf lock=""
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
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

cmds=(-n "no-op Bun binary (floor)" "taskset -c 0 $work/noop")
for i in "${!bins[@]}"; do
  cmds+=(-n "${names[$i]}: --version" "taskset -c 0 ${bins[$i]} --version")
  cmds+=(-n "${names[$i]}: call echo --count 1" "taskset -c 0 ${bins[$i]} call echo --count 1 --server $addr")
done
measure=(hyperfine)
[ -n "$lock" ] && measure=(flock -x "$lock" hyperfine)
"${measure[@]}" -N --style none --warmup 5 --runs "$runs" --export-json "$work/startup.json" "${cmds[@]}" >/dev/null

echo "| Command | Median | Min | Mean ± σ | CPU (user + sys) |"
echo "| --- | ---: | ---: | ---: | ---: |"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
  const ms = (s) => (s * 1000).toFixed(1);
  for (const x of r) {
    console.log(`| ${x.command} | ${ms(x.median)} ms | ${ms(x.min)} ms | ${ms(x.mean)} ± ${ms(x.stddev)} ms | ${ms(x.user + x.system)} ms |`);
  }
' "$work/startup.json"
for i in "${!bins[@]}"; do
  echo "size ${names[$i]}: $(stat -c %s "${bins[$i]}") bytes"
done
echo "runs: $runs each; machine: $(nproc) cores, $(uname -m), Bun $("$root/node_modules/.bin/bun" --version); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
