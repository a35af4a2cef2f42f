#!/usr/bin/env bash
# A picture of `grpcperf report --html`: two short bench runs against a local `grpcperf serve` (a closed
# loop, and an open loop at --rate), both with a warm-up, overlaid on one page and photographed by headless
# Chromium — to look at after changing the page, and for docs/report.png.
#
# usage: scripts/report-screenshot.sh [OUT.png] [--duration 4s] [--rate 15000]   (default docs/report.png)
# Needs: chromium (Debian's); pngquant, if there, shrinks the PNG to 64 colours (docs/report.png < 200 KB).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh

out=docs/report.png
duration=4s
rate=15000
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    -*) echo "unknown argument $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
command -v chromium >/dev/null || { echo "chromium missing: apt-get install chromium" >&2; exit 1; }
[ -x dist/grpcperf ] || bash scripts/build.sh >/dev/null

tmp=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

dist/grpcperf serve --addr 127.0.0.1:0 --workers 1 2>"$tmp/serve.log" &
server=$!
addr=$(wait_ready "$tmp/serve.log" "$server") || exit 1
mkdir -p "$tmp/runs"
dist/grpcperf bench -s "$addr" -z "$duration" --warmup 1s --json -o "$tmp/runs/closed-loop.json" 2>/dev/null
dist/grpcperf bench -s "$addr" -z "$duration" --warmup 1s --rate "$rate" --json -o "$tmp/runs/open-loop.json" 2>/dev/null
kill "$server"; wait "$server" 2>/dev/null || true; server=""

dist/grpcperf report --html "$tmp/runs/closed-loop.json" "$tmp/runs/open-loop.json" -o "$tmp/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
  --screenshot="$tmp/shot.png" --window-size=1280,2400 "file://$tmp/report.html" 2>/dev/null
mkdir -p "$(dirname "$out")"
if command -v pngquant >/dev/null; then pngquant --force --output "$out" 64 "$tmp/shot.png"; else cp "$tmp/shot.png" "$out"; fi
echo "$out: $(wc -c <"$out") bytes (page $(wc -c <"$tmp/report.html") bytes)"
