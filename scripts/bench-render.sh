#!/usr/bin/env bash
# Render benchmark from the command line: `rollout render` and `kubectl kustomize` on the same
# trees in the same run (the tree `cargo bench --bench render` builds, via scripts/gen-overlay.py,
# and this repo's overlays/staging), with `rollout --version` as the floor. Wall times from
# hyperfine (median, min–max) when it is installed, else from repeated runs; peak RSS and CPU
# time from one run under /usr/bin/time -v. Prints the machine's load before and after, and one Markdown row per case.
#
# Usage: scripts/bench-render.sh [SIZES]   (default "3 1002 3000"; Deployments per tree)
# Env: ROLLOUT (default target/release/rollout), KUBECTL (default .tools/bin/kubectl),
#      KUBECTL_MAX (default 1002: kubectl needs about 11 minutes for 3,000 Deployments),
#      RUNS (default 10 for rollout), KUBECTL_RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROLLOUT=${ROLLOUT:-target/release/rollout}
KUBECTL=${KUBECTL:-.tools/bin/kubectl}
KUBECTL_MAX=${KUBECTL_MAX:-1002}
RUNS=${RUNS:-10}
KUBECTL_RUNS=${KUBECTL_RUNS:-3}
SIZES=${1:-3 1002 3000}
[ -x "$ROLLOUT" ] || { echo "no $ROLLOUT: run cargo build --release" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median min max (seconds) of a command, from hyperfine or from RUNS plain runs.
timing() {
  local runs=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$tmp/h.json" "$(printf '%q ' "$@")" >/dev/null 2>&1
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["median"], r["min"], r["max"])' "$tmp/h.json"
  else
    local t=()
    for _ in $(seq "$runs"); do
      local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; t+=("$(echo "$(date +%s.%N) - $s" | bc)")
    done
    printf '%s\n' "${t[@]}" | sort -n | python3 -c 'import sys; v=[float(x) for x in sys.stdin]; print(v[len(v)//2], v[0], v[-1])'
  fi
}

# "peak MB, CPU ms" of one run (CPU = user + system, 10 ms resolution; steadier than wall
# time on a loaded machine).
usage() {
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '
    /Maximum resident/ {peak = $2 / 1024}
    /User time|System time/ {cpu += $2}
    END {printf "%.0f MB, CPU %.0f ms", peak, cpu * 1000}'
}

fmt() { # seconds -> "12.3 ms" or "1.23 s"
  python3 -c 'import sys; v=float(sys.argv[1]); print(f"{v*1000:.1f} ms" if v < 1 else f"{v:.2f} s")' "$1"
}

row() { # label dir
  local label=$1 dir=$2 r k ratio same
  read -r rm rmin rmax < <(timing "$RUNS" "$ROLLOUT" render "$dir")
  r="$(fmt "$rm") ($(fmt "$rmin")–$(fmt "$rmax")), $(usage "$ROLLOUT" render "$dir")"
  k="not run"; ratio="–"; same="–"
  if [ -x "$KUBECTL" ] && [ "$3" -le "$KUBECTL_MAX" ]; then
    read -r km kmin kmax < <(timing "$KUBECTL_RUNS" "$KUBECTL" kustomize "$dir")
    k="$(fmt "$km") ($(fmt "$kmin")–$(fmt "$kmax")), $(usage "$KUBECTL" kustomize "$dir")"
    ratio=$(python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.0f}x")' "$km" "$rm")
    "$ROLLOUT" render "$dir" >"$tmp/ours.yaml" 2>/dev/null
    "$KUBECTL" kustomize "$dir" >"$tmp/theirs.yaml" 2>/dev/null
    if cmp -s "$tmp/ours.yaml" "$tmp/theirs.yaml"; then same=yes; else same=NO; fi
  fi
  echo "| $label | $r | $k | $ratio | $same |"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $("$ROLLOUT" --version)"
read -r fm fmin fmax < <(timing "$RUNS" "$ROLLOUT" --version)
echo "floor: rollout --version $(fmt "$fm") ($(fmt "$fmin")–$(fmt "$fmax"))"
echo
echo "| tree | rollout render: wall median (min–max), peak, CPU | kubectl kustomize: wall median (min–max), peak, CPU | speed-up (wall) | same bytes |"
echo "|---|---|---|---:|:---:|"
row "overlays/staging (this repo)" overlays/staging 0
for n in $SIZES; do
  dir=$(python3 scripts/gen-overlay.py "$n" "$tmp/t$n")
  docs=$(( ($n + 2) / 3 * 7 + 1 ))
  row "$n Deployments ($docs documents, $(cat "$tmp/t$n"/base/*.yaml | wc -c | awk '{printf "%.2f", $1/1e6}') MB in)" "$dir" "$n"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
