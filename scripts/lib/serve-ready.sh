# Sourced by the scripts that start `grpcperf serve` in the background and need its address.
#
# wait_ready LOG PID [SECONDS]: prints the address from the ready line ("… serving … on ADDR") that the
# server writes to LOG. If the server exits first, or SECONDS (default 10) pass, prints LOG on stderr
# and returns 1. Call it as addr=$(wait_ready "$log" "$pid") || exit 1.
wait_ready() {
  local log=$1 pid=$2 tries=$((${3:-10} * 10)) addr=""
  for _ in $(seq 1 "$tries"); do
    addr=$(grep -oE 'serving .* on [^ ]+' "$log" | awk '{print $NF}' || true)
    if [ -n "$addr" ]; then
      printf '%s\n' "$addr"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "grpcperf serve did not start:" >&2
  cat "$log" >&2
  return 1
}
