#!/usr/bin/env bash
# Compiles one self-contained executable (Bun runtime + bytecode), nothing read from disk at run time.
#   scripts/build.sh                           dist/grpcperf for this machine: the quick build (npm run build)
#   scripts/build.sh TARGET RUNTIME OUTFILE    one release target, e.g. linux-arm64, with RUNTIME the Bun
#                                              executable of that target (scripts/release.ts fetches them)
# Bytecode makes it start in about half the time of a plain compile; it only loads on the engine version that
# made it, so RUNTIME must be the same Bun version as node_modules/.bin/bun (scripts/release.ts checks).
set -euo pipefail
cd "$(dirname "$0")/.."
# scripts/release.ts passes the commit it names in the manifest, so every file and the manifest agree.
commit=${GRPCPERF_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
if [ -z "${GRPCPERF_COMMIT:-}" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-dirty"; fi

if [ $# -eq 0 ]; then
  arch=$(node_modules/.bin/bun -e 'process.stdout.write(process.arch)')
  libc=glibc
  if ldd --version 2>&1 | grep -qi musl; then libc=musl; fi
  target="linux-$arch$([ "$libc" = musl ] && echo -musl || true)"
  cross=()
  outfile=dist/grpcperf
elif [ $# -eq 3 ]; then
  target=$1
  case "$target" in *musl*) libc=musl ;; *) libc=glibc ;; esac
  cross=(--target="bun-$target" --compile-executable-path="$2")
  outfile=$3
else
  echo "usage: scripts/build.sh [TARGET RUNTIME OUTFILE]" >&2
  exit 2
fi

mkdir -p "$(dirname "$outfile")"
# Entry points beyond main.ts are Worker scripts; --compile embeds them so `new Worker()` finds them.
entries=(src/main.ts)
for w in src/*/worker*.ts src/*/*/worker*.ts; do [ -f "$w" ] && entries+=("$w"); done
# --splitting: what only one subcommand needs (grpc-js, protobufjs reflection, the crypto libraries, the node:
# built-ins they import) sits in its own chunk, evaluated when that subcommand runs, not at every start
# (docs/performance.md, "Start-up"); the Worker scripts share those chunks instead of carrying copies.
# Nothing from the working directory: a compiled binary would otherwise read .env and bunfig.toml (whose
# preload runs arbitrary code) from wherever it is started, e.g. a checkout or a guest image someone else built.
node_modules/.bin/bun build --compile --splitting --minify --bytecode --format=esm --sourcemap=none \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --no-compile-autoload-tsconfig --no-compile-autoload-package-json \
  ${cross[@]+"${cross[@]}"} \
  --define "GRPCPERF_COMMIT=\"$commit\"" --define "GRPCPERF_TARGET=\"$target\"" --define "GRPCPERF_LIBC=\"$libc\"" \
  "${entries[@]}" --outfile "$outfile"
