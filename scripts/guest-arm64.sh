#!/usr/bin/env bash
# The arm64 binary as an arm64 guest (Graviton, a Nitro enclave, Firecracker on arm64) runs it, here under
# Debian's qemu-user: --version, then over TCP and over a Unix socket `serve`, `call smoke` and a short
# `bench`, all by the arm64 binary. Prints "arm64: PASS" and exits 0 only if every step held.
#   scripts/guest-arm64.sh [BINARY]    default dist/grpcperf-linux-arm64 (npm run release)
# Needs (apt): qemu-user-static libc6-arm64-cross. Every step is bounded by a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve-ready.sh
bin=${1:-dist/grpcperf-linux-arm64}
[ -x "$bin" ] || { echo "arm64: $bin is missing (npm run release)" >&2; exit 1; }
bin=$(realpath "$bin")
command -v qemu-aarch64-static >/dev/null && [ -d /usr/aarch64-linux-gnu/lib ] ||
  { echo "arm64: qemu-aarch64-static or /usr/aarch64-linux-gnu missing (apt-get install qemu-user-static libc6-arm64-cross)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in ${pids[@]+"${pids[@]}"}; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# A clean directory and environment, as in a fresh guest: nothing inherited steers the binary.
cd "$work"
guest_cmd=(env -i PATH=/usr/bin:/bin HOME="$work" timeout --kill-after=5)
qemu=(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$bin")
guest() { "${guest_cmd[@]}" "${T:-120}" "${qemu[@]}" "$@"; }
failures=()
check() {
  local what=$1
  shift
  if "$@"; then echo "arm64: ok   $what"; else echo "arm64: FAIL $what" >&2; failures+=("$what"); fi
}

version=$(guest version --json)
echo "arm64: $version"
check "version --json names linux-arm64 and glibc" grep -q '"target":"linux-arm64","libc":"glibc"' <<<"$version"
check "--version" bash -c "[[ \"\$1\" =~ ^grpcperf\ [0-9]+\.[0-9]+\.[0-9]+\ \( ]]" _ "$(guest --version)"

# bench --json's total.ok, or 0
calls_ok() { node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(String(r.total?.ok ?? 0))'; }

for transport in tcp unix; do
  if [ "$transport" = tcp ]; then listen=127.0.0.1:0; else listen="unix://$work/grpcperf.sock"; fi
  # not through a function: $! must be the process that SIGTERM reaches (env execs timeout, which passes it on)
  "${guest_cmd[@]}" 600 "${qemu[@]}" serve --addr "$listen" --workers 1 --crypto-workers 1 2>"$work/serve-$transport.log" &
  pid=$!
  pids+=("$pid")
  # qemu-user translates every instruction: a start takes seconds, not milliseconds
  if ! addr=$(wait_ready "$work/serve-$transport.log" "$pid" 90); then
    failures+=("serve over $transport")
    continue
  fi
  echo "arm64: serving on $addr"
  check "call smoke over $transport" guest call smoke --server "$addr"
  report=$(T=180 guest bench --server "$addr" --duration 2s --connections 2 --threads 1 --json 2>"$work/bench-$transport.log" || true)
  ok=$(calls_ok <<<"$report" 2>/dev/null || echo 0)
  echo "arm64: bench over $transport: $ok calls ok in 2 s"
  check "bench over $transport" test "$ok" -gt 0
  kill -TERM "$pid"
  check "serve over $transport stops cleanly on SIGTERM" wait "$pid"
done

if [ ${#failures[@]} -eq 0 ]; then
  echo "arm64: PASS"
else
  echo "arm64: FAIL: ${failures[*]}" >&2
  exit 1
fi
