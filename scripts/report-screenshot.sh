#!/usr/bin/env bash
# A picture of `grpcperf report --html`: a short bench run against a local `grpcperf serve`, its page
# rendered and photographed by headless Chromium — to look at after changing the page, and for docs/report.png.
# A run whose report has no time series (version 1) is overlaid with the synthetic version 2 fixture so the
# over-time charts are in the picture too (the legend names it synthetic).
#
# usage: scripts/report-screenshot.sh [OUT.png] [--duration 3s]   (default docs/report.png)
# Needs: chromium (Debian's); pngquant, if there, shrinks the PNG to 64 colours (docs/report.png < 200 KB).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/serve-ready.sh

out=docs/report.png
duration=3s
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
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
dist/grpcperf bench -s "$addr" -z "$duration" --json -o "$tmp/bench.json" 2>/dev/null
kill "$server"; wait "$server" 2>/dev/null || true; server=""

reports=("$tmp/bench.json")
if ! grep -q '"timeline"' "$tmp/bench.json"; then reports+=(test/fixtures/reports/synthetic-timeline-v2.json); fi
dist/grpcperf report --html "${reports[@]}" -o "$tmp/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
  --screenshot="$tmp/shot.png" --window-size=1280,2400 "file://$tmp/report.html" 2>/dev/null
mkdir -p "$(dirname "$out")"
if command -v pngquant >/dev/null; then pngquant --force --output "$out" 64 "$tmp/shot.png"; else cp "$tmp/shot.png" "$out"; fi
echo "$out: $(wc -c <"$out") bytes (page $(wc -c <"$tmp/report.html") bytes)"
