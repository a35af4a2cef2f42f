#!/bin/busybox sh
# /init of the test guest: load vsock with its loopback transport, then serve and call over real VSOCK
# (CID 1, vsock_loopback) and the same over TCP, print one PASS/FAIL marker line, power off.
# The host script (run.sh) decides by that marker; every step here is bounded, so the guest never hangs.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
ip link set lo up
# Kernel boot + initramfs unpack, as the guest's clock sees it (the host prints the whole run's time).
echo "guest: /init started at uptime $(cut -d' ' -f1 /proc/uptime) s"

failures=""
say() { echo "guest: $*"; }
fail() {
  say "FAILED: $*"
  failures="$failures [$*]"
}
finish() {
  if [ -z "$failures" ]; then echo "GRPCPERF-VM: PASS"; else echo "GRPCPERF-VM: FAIL$failures"; fi
  sync
  poweroff -f
}

for m in vsock vmw_vsock_virtio_transport_common vsock_loopback; do
  insmod "/lib/modules/$m.ko" || { fail "insmod $m"; finish; }
done
[ -e /dev/vsock ] || fail "/dev/vsock missing after insmod"
say "kernel $(uname -r), vsock loaded, uptime $(cut -d' ' -f1 /proc/uptime) s"

# Starts `grpcperf serve ARGS…` in the background, logging to $1; waits (bounded) for its ready line.
serve() {
  log=$1
  shift
  grpcperf serve "$@" 2>"$log" &
  pid=$!
  i=0
  while [ $i -lt 360 ]; do
    grep -qs "serving" "$log" && return 0
    kill -0 $pid 2>/dev/null || break
    sleep 0.5
    i=$((i + 1))
  done
  cat "$log"
  return 1
}

# A subcommand is there once the merged build has it: --help exits 0 and does not say "not available".
# (`call X --help` falls back to call's own help for an unknown X, hence the check for "call X" in it.)
has() {
  help=$(grpcperf "$@" --help 2>&1) || return 1
  case "$help" in *"not available"*) return 1 ;; esac
  case "$1 $2" in "call "*) case "$help" in *"call $2"*) ;; *) return 1 ;; esac ;; esac
  return 0
}

median_rtt() { sed -n 's/.*"rtt_us":\([0-9.]*\).*/\1/p' | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "?") }'; }

# Runs the checks against one server address; $1 names the transport in the output.
exercise() {
  name=$1
  addr=$2
  say "== $name: call echo --server $addr"
  grpcperf call echo --server "$addr" || fail "$name: call echo"
  rtt=$(grpcperf call echo --server "$addr" --count 50 --json | median_rtt)
  say "RESULT $name echo median round trip over 50 calls: $rtt us"
  if has call smoke; then
    say "== $name: call smoke"
    grpcperf call smoke --server "$addr" || fail "$name: call smoke"
  else
    say "(call smoke is not in this build: skipped)"
  fi
  if has call method; then
    say "== $name: call list / call grpcperf.v1.Echo/Echo / EchoStream by reflection"
    grpcperf call list --server "$addr" | grep -qx grpcperf.v1.Echo || fail "$name: call list"
    out=$(grpcperf call grpcperf.v1.Echo/Echo --server "$addr" -d '{"payload":"aGk=","sequence":"3"}' -H 'x-from: guest') ||
      fail "$name: call grpcperf.v1.Echo/Echo"
    case "$out" in *'"payload": "aGk="'*'"sequence": "3"'*) ;; *) fail "$name: Echo/Echo answered: $out" ;; esac
    n=$(grpcperf call grpcperf.v1.Echo/EchoStream --server "$addr" --json -d '{"sequence":1} {"sequence":2} {"sequence":3}' |
      grep -c '"type":"message"') || true
    [ "$n" = 3 ] || fail "$name: EchoStream gave $n messages, not 3"
    say "== $name: bench --call grpcperf.v1.Echo/Echo -n 500"
    grpcperf bench --server "$addr" --call grpcperf.v1.Echo/Echo -d '{"payload":"aGk="}' -n 500 --connections 2 -q --json >"/tmp/bench-call-$name.json" ||
      fail "$name: bench --call"
    grep -q '"grpcperf.v1.Echo/Echo"' "/tmp/bench-call-$name.json" || fail "$name: bench --call report"
    say "== $name: bench --service echo-stream -n 20 --stream-messages 10"
    grpcperf bench --server "$addr" --service echo-stream -n 20 --stream-messages 10 --connections 2 -q --json >"/tmp/bench-stream-$name.json" ||
      fail "$name: bench --service echo-stream"
    grep -q '"received": 200' "/tmp/bench-stream-$name.json" || fail "$name: echo-stream did not get 200 messages back"
  fi
  if has bench; then
    say "== $name: bench --server $addr --duration 2s --connections 2"
    grpcperf bench --server "$addr" --duration 2s --connections 2 >"/tmp/bench-$name.txt" 2>&1 || fail "$name: bench"
    sed "s/^/guest: RESULT $name bench | /" "/tmp/bench-$name.txt"
  else
    say "(bench is not in this build: skipped)"
  fi
}

if serve /tmp/serve-vsock.log --addr vsock://any:50051 --log-level debug; then
  say "$(grep serving /tmp/serve-vsock.log)"
  exercise vsock vsock://local:50051
  grep -q "connection from vsock CID" /tmp/serve-vsock.log || fail "vsock: the server did not log the peer CID"
  say "$(grep -m1 'connection from vsock' /tmp/serve-vsock.log)"
  # The guest has 2 CPUs, so serve runs 2 server threads (the default) sharing the vsock listener.
  grep -q "with 2 workers" /tmp/serve-vsock.log || fail "vsock: expected 2 server threads by default"
  say "vsock connections per server thread: $(grep -o 'worker [0-9]*: .*connection from vsock' /tmp/serve-vsock.log | cut -d: -f1 | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
else
  fail "serve on vsock://any:50051"
fi

# Load through a restart (issue 30): bench over vsock at a steady rate while the server on its port is
# SIGKILLed and started again on the same port. The run must go on to its end, report exactly one outage
# (ended by answers from the new server), and count every due call once, ok or failed. 50/s on one load
# thread: the TCG guest answers ~130 calls/s, and the loader must leave the restarting server CPU to start on.
# Both servers sign with a ready key (build-initramfs.sh) rather than generating keys, the slowest part of a
# start here. A start still takes seconds, and many more when the host is busy (TCG has no CPU of its own),
# so the run lasts 10 s plus twice what the first start took: the restart lands inside it.
restart_under_load() {
  rate=50
  uptime_s() { cut -d' ' -f1 /proc/uptime; }
  quick="--workers 1 --crypto-workers 0 --key-dir /etc/grpcperf-keys"
  t0=$(uptime_s)
  # shellcheck disable=SC2086
  serve /tmp/serve-r1.log --addr vsock://any:50054 $quick --log-level debug || {
    fail "vsock restart: serve"
    return
  }
  started=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { print b - a }')
  secs=$(awk -v d="$started" 'BEGIN { printf "%d", 10 + 2 * (d == int(d) ? d : int(d) + 1) }')
  say "vsock restart: the server started in $started s; bench --rate $rate -z ${secs}s"
  first=$pid
  timeout $((secs + 120)) grpcperf bench --server vsock://local:50054 --rate $rate --duration ${secs}s --connections 2 --threads 1 -q \
    --json -o /tmp/restart.json >/tmp/restart.txt 2>&1 &
  loader=$!
  # Both load connections reached the server (bounded): the run's calls go out from then on.
  i=0
  while [ "$(grep -c 'connection from vsock' /tmp/serve-r1.log)" -lt 2 ] && [ $i -lt 240 ]; do
    sleep 0.25
    i=$((i + 1))
  done
  # Positions the kill ~1 s into the run, so calls are answered before it (the report shows it: ok > 0 and
  # a window that starts after the run did); nothing below relies on this wait.
  sleep 1
  kill -9 "$first"
  wait "$first" 2>/dev/null
  killed=$(uptime_s)
  # shellcheck disable=SC2086
  serve /tmp/serve-r2.log --addr vsock://any:50054 $quick || fail "vsock restart: serve again"
  say "vsock restart: killed at uptime $killed s, serving again at $(uptime_s) s"
  wait "$loader" || fail "vsock restart: bench exited $? ($(tail -n 3 /tmp/restart.txt | tr '\n' ' '))"
  [ -s /tmp/restart.json ] || {
    fail "vsock restart: no report"
    return
  }
  # The pretty-printed JSON, read without jq: a key's number inside the block that `block` opens.
  num() { awk -v b="\"$1\": {" -v k="\"$2\":" 'index($0, b) { t = 1; next } t && index($0, k) { gsub(/[^0-9]/, "", $2); print $2; exit }' /tmp/restart.json; }
  due=$((rate * secs))
  requests=$(num total requests)
  ok=$(num total ok)
  failed=$(num total failed)
  outages=$(num outages count)
  say "RESULT vsock restart: due $due, requests $requests, ok $ok, failed $failed, outages ${outages:-0}"
  grpcperf report /tmp/restart.json | grep -i "outage" | sed "s/^/guest: RESULT vsock restart | /"
  [ "$requests" = "$due" ] || fail "vsock restart: $requests calls in the report, $due were due"
  [ $((ok + failed)) = "$due" ] || fail "vsock restart: ok $ok + failed $failed is not the $due due"
  [ "$outages" = 1 ] || fail "vsock restart: ${outages:-no} outages, not exactly 1"
  [ "$ok" -gt 0 ] && [ "$failed" -gt 0 ] || fail "vsock restart: ok $ok, failed $failed"
  # ended by an answer from the new server: calls after the restart succeed
  awk '/"outages": \{/ { o = 1 } o && /"end": null/ { open = 1 } END { exit open }' /tmp/restart.json ||
    fail "vsock restart: the outage never ended"
  kill "$pid" 2>/dev/null
  say "vsock restart: the step took $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { print b - a }') s"
}

if has bench; then restart_under_load; else say "(bench is not in this build: restart skipped)"; fi

if serve /tmp/serve-tcp.log --addr 127.0.0.1:50052; then
  exercise tcp 127.0.0.1:50052
else
  fail "serve on 127.0.0.1:50052"
fi

# A real VSOCK connect error: nothing listens on this port.
out=$(grpcperf call echo --server vsock://local:50099 --timeout 5s 2>&1) && fail "connect to an unused vsock port succeeded"
case "$out" in
  *ECONNREFUSED* | *ECONNRESET*) say "unused vsock port: $out" ;;
  *) fail "unused vsock port gave: $out" ;;
esac

# --allow-cid: a server that admits only CID 7 must drop our connection (from CID 1) and say so.
if serve /tmp/serve-allow.log --addr vsock://any:50053 --allow-cid 7; then
  grpcperf call echo --server vsock://local:50053 --timeout 5s >/dev/null 2>&1 && fail "--allow-cid 7 let CID 1 in"
  grep -q "refused connection from vsock CID" /tmp/serve-allow.log || fail "--allow-cid: no warning logged"
  say "$(grep -m1 'refused connection' /tmp/serve-allow.log)"
else
  fail "serve with --allow-cid"
fi

say "uptime at the end $(cut -d' ' -f1 /proc/uptime) s"
finish
