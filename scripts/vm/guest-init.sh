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
    grep -q "serving" "$log" && return 0
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
