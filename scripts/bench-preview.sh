#!/usr/bin/env bash
# Benchmark of `rollout preview` against its peer on the same generated monorepo, in one run:
#   rollout preview --base HEAD~1 --head HEAD   (300 applications, 20 changed; release build)
#   kubectl kustomize once per application per revision (the work argocd-diff-preview and Argo CD's
#   repo-server do), on all cores (xargs -P nproc), over `git archive` copies of both revisions.
# Prints the wall times (median of RUNS for rollout), the CPU time, and the ratio.
#
#   scripts/bench-preview.sh [APPS] [CHANGED] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${1:-300}
CHANGED=${2:-20}
RUNS=${3:-7}
KUBECTL=${ROLLOUT_KUBECTL:-$PWD/.tools/bin/kubectl}
[ -x "$KUBECTL" ] || { echo "kubectl not found at $KUBECTL: run scripts/install-test-tools.sh" >&2; exit 2; }
cargo build --release --locked --quiet
BIN=$PWD/target/release/rollout
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 scripts/gen-monorepo.py "$T/mono" --apps "$APPS" --changed "$CHANGED" >/dev/null
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# rollout: median wall of RUNS runs (the first one also warms the page cache), CPU of the last.
walls=()
for _ in $(seq "$RUNS"); do
  s=$(now)
  code=0
  (cd "$T/mono" && "$BIN" preview --base HEAD~1 --head HEAD >"$T/comment.md" 2>"$T/stderr") || code=$?
  e=$(now)
  [ "$code" = 1 ] || { echo "rollout preview exited $code:" >&2; cat "$T/stderr" >&2; exit 2; }
  walls+=("$(ms "$s" "$e")")
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
cpu=$( (cd "$T/mono" && /usr/bin/time -f '%U %S %M' "$BIN" preview --base HEAD~1 --head HEAD 2>&1 >/dev/null) | tail -1 || true)
read -r user sys rss <<<"$cpu"
echo "rollout preview: ${median} ms wall (median of $RUNS: ${walls[*]}), CPU $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') s, peak ${rss} KB; $(head -c 300 "$T/stderr" | head -1)"

# The peer: kubectl kustomize per application per revision.
mkdir -p "$T/base" "$T/head"
git -C "$T/mono" archive HEAD~1 | tar -x -C "$T/base"
git -C "$T/mono" archive HEAD | tar -x -C "$T/head"
(cd "$T" && ls -d base/apps/*/app-* head/apps/*/app-*) >"$T/dirs"
n=$(wc -l <"$T/dirs")
s=$(now)
(cd "$T" && xargs -P "$(nproc)" -n 1 "$KUBECTL" kustomize <dirs >/dev/null)
e=$(now)
peer=$(ms "$s" "$e")
echo "kubectl kustomize x $n (xargs -P $(nproc)): ${peer} ms wall"
awk -v a="$median" -v b="$peer" 'BEGIN { printf "ratio: rollout preview is %.0fx faster (wall)\n", b / a }'
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
