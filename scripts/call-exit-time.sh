#!/usr/bin/env bash
# Issue 28's "a reflected call waits about 1 s before exiting": the wall time of one `grpcperf call
# pkg.Service/Method` (start, reflection, the call, exit) against grpc-go's reference server, which offers
# v1alpha reflection only and keeps a connection open after the client's GOAWAY; with reflection and with
# --proto, so the reflection round trips can be told from the process's own start and exit.
#
# usage: scripts/call-exit-time.sh [RUNS=8] [BINARY=dist/grpcperf]
# needs: /tmp/anchors/bin/echo_server_go (../shared/anchors, its build.sh), or ECHO_SERVER_GO=PATH
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-8}
bin=$(realpath "${2:-dist/grpcperf}")
server=${ECHO_SERVER_GO:-/tmp/anchors/bin/echo_server_go}
[ -x "$server" ] || { echo "missing $server: build ../shared/anchors first" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$server" -port "$port" >/dev/null 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do "$bin" call list -s "127.0.0.1:$port" >/dev/null 2>&1 && break; sleep 0.1; done
for mode in reflection proto; do
  extra=()
  [ "$mode" = proto ] && extra=(--proto grpcperf/v1/echo.proto --import-path proto)
  times=()
  for _ in $(seq "$runs"); do
    s=$(date +%s%N)
    "$bin" call grpcperf.v1.Echo/Echo -s "127.0.0.1:$port" -d '{"payload":"aGk="}' "${extra[@]}" >/dev/null
    e=$(date +%s%N)
    times+=($(((e - s) / 1000000)))
  done
  echo "$mode: ${times[*]} ms"
done
