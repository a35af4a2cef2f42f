#!/usr/bin/env bash
# Distributed grpcperf bench on Kubernetes: an Indexed Job of N shards (deploy/kubernetes/job.yaml) with a
# --start-at computed now, then the reports collected from the pod logs, merged and judged.
#
#   scripts/k8s-bench.sh -n 4 -s grpc.svc:50051 -i registry.example/grpcperf:0.1.0 \
#       [--lead 60] [--name grpcperf-run] [--namespace NS] [--out DIR] [--timeout 1800] \
#       [--threshold 'p99<5ms' …] -- --rate 40000 -z 2m --warmup 10s -c 64
#   scripts/k8s-bench.sh render …same flags…      # print the manifest only (nothing applied)
#   scripts/k8s-bench.sh extract LOGFILE OUTDIR    # cut the marked reports out of a log: OUTDIR/shard-I.json
#
# The flags after -- go to every pod's `grpcperf bench` unchanged: give the whole run's load (--rate,
# -c, --concurrency, -n); each pod takes its slice. --lead (seconds, default 60) must cover pulling the image
# and starting the pods, or late shards start late (each report says by how much). The merge runs with the
# local grpcperf ($GRPCPERF, else dist/grpcperf, else grpcperf on PATH). Exit code: the merge's (0, 1 when a
# shard is missing or failed, 2 when the reports do not fit together, 99 when a --threshold failed).
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
template="$here/deploy/kubernetes/job.yaml"

die() { echo "k8s-bench: $*" >&2; exit 2; }

# Marked blocks (--report-markers) of a log into OUTDIR/shard-I.json; lines outside the markers (stderr,
# kubelet notes) are skipped, and within them only the JSON line is kept.
extract() {
  local log="$1" out="$2"
  mkdir -p "$out"
  awk -v dir="$out" '
    /^--- grpcperf report shard [0-9]+\/[0-9]+ (begin|failed) ---$/ { split($5, id, "/"); inside = 1; next }
    /^--- grpcperf report shard [0-9]+\/[0-9]+ end ---$/ { inside = 0; next }
    inside && /^\{/ { f = dir "/shard-" id[1] ".json"; print > f; close(f) }
  ' "$log"
}

# A YAML double-quoted scalar.
quote() {
  local s="${1//\\/\\\\}"
  printf '"%s"' "${s//\"/\\\"}"
}

render() {
  local line arg
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" == *"# __BENCH_ARGS__"* ]]; then
      local indent="${line%%#*}"
      for arg in "${bench_args[@]}"; do printf '%s- %s\n' "$indent" "$(quote "$arg")"; done
      continue
    fi
    line="${line//__NAME__/$name}"
    line="${line//__SHARDS__/$shards}"
    line="${line//__IMAGE__/$image}"
    line="${line//__SERVER__/$server}"
    line="${line//__START_AT__/$start_at}"
    printf '%s\n' "$line"
  done <"$template"
}

mode=run
case "${1:-}" in
  extract) [[ $# -eq 3 ]] || die "usage: extract LOGFILE OUTDIR"; extract "$2" "$3"; exit 0 ;;
  render) mode=render; shift ;;
esac

shards="" server="" image="" lead=60 name="grpcperf-$(date -u +%Y%m%d-%H%M%S)" namespace="" out="" timeout=1800
thresholds=() bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n|--shards) shards="$2"; shift 2 ;;
    -s|--server) server="$2"; shift 2 ;;
    -i|--image) image="$2"; shift 2 ;;
    --lead) lead="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --namespace) namespace="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --threshold) thresholds+=(--threshold "$2"); shift 2 ;;
    --start-at) start_at="$2"; shift 2 ;;
    --) shift; bench_args=("$@"); break ;;
    *) die "unknown flag $1 (bench flags go after --)" ;;
  esac
done
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "-n N: the number of shards (pods)"
[[ -n "$server" ]] || die "-s SERVER: the target, as the pods reach it"
[[ -n "$image" ]] || die "-i IMAGE: an image with grpcperf (deploy/kubernetes/Containerfile)"
[[ "$lead" =~ ^[0-9]+$ ]] || die "--lead SECONDS: a whole number"
for arg in "${bench_args[@]}"; do
  [[ "$arg" != --threshold* ]] || die "give --threshold before --: it judges the merged run (in a pod it would fail that shard)"
done
[[ "$name" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "--name $name: not a Kubernetes name"
# Computed at submit time: every pod reads the same instant, on its own clock.
start_at="${start_at:-$(date -u -d "@$(( $(date +%s) + lead ))" +%Y-%m-%dT%H:%M:%SZ)}"

if [[ "$mode" == render ]]; then render; exit 0; fi

kubectl=(kubectl ${namespace:+--namespace "$namespace"})
out="${out:-k8s-bench-$name}"
mkdir -p "$out"
render >"$out/job.yaml"
"${kubectl[@]}" apply -f "$out/job.yaml"
echo "k8s-bench: job/$name, $shards shards, measuring from $start_at" >&2

# Complete, or Failed (a shard failed: the others still ran, and their reports are merged).
deadline=$(( $(date +%s) + timeout ))
state=""
while [[ -z "$state" ]]; do
  conditions="$("${kubectl[@]}" get "job/$name" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')"
  case " $conditions " in
    *" Complete "*) state=complete ;;
    *" Failed "*) state=failed; echo "k8s-bench: job/$name failed; merging what the shards reported" >&2 ;;
  esac
  if [[ -z "$state" ]]; then
    (( $(date +%s) < deadline )) || { echo "k8s-bench: job/$name not finished after ${timeout}s" >&2; state=timeout; }
    sleep 5
  fi
done

: >"$out/pods.log"
for pod in $("${kubectl[@]}" get pods -l "grpcperf.dev/run=$name" -o name); do
  "${kubectl[@]}" logs "$pod" >>"$out/pods.log" 2>&1 || echo "k8s-bench: no log from $pod" >&2
done
extract "$out/pods.log" "$out"
shopt -s nullglob
reports=("$out"/shard-*.json)
(( ${#reports[@]} > 0 )) || { echo "k8s-bench: no shard report in the pod logs ($out/pods.log)" >&2; exit 1; }

grpcperf="${GRPCPERF:-}"
[[ -n "$grpcperf" ]] || { [[ -x "$here/dist/grpcperf" ]] && grpcperf="$here/dist/grpcperf"; } || grpcperf=grpcperf
set +e
"$grpcperf" report merge "${reports[@]}" -o "$out/merged.json" "${thresholds[@]}"
code=$?
set -e
[[ -f "$out/merged.json" ]] && "$grpcperf" report "$out/merged.json" || true
echo "k8s-bench: merged report in $out/merged.json" >&2
exit "$code"
