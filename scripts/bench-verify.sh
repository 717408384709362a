#!/usr/bin/env bash
# Benchmark: `rollout verify` against `kubernetes-validate --strict` (PyPI, in a venv under .tools/)
# on the same generated render, in one run, and the per-object cost of schema validation after
# parsing (benches/verify.rs). Prints both wall times and the ratio.
#   scripts/bench-verify.sh [N_SERVICES]   (default 1002: 1,002 Deployments in 2,339 documents)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1002}
KV_VERSION=1.37.0
VENV=.tools/kv-venv
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KV_VERSION"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
input="$work/render.yaml"
python3 scripts/gen-deployments.py "$N" "$input"

cargo build --release --quiet --bin rollout

# Wall-clock times of both tools, measured by one Python process around each run (best of 3 for
# rollout, one run of kubernetes-validate, which takes tens of seconds).
python3 - "$input" "$VENV/bin/kubernetes-validate" <<'PY'
import os, resource, subprocess, sys, time
inp, kv = sys.argv[1], sys.argv[2]
docs = sum(1 for l in open(inp) if l.startswith("apiVersion"))
def run(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}):\n{p.stdout[-2000:]}")
    return wall, cpu, p.stdout
# Schemas only, as kubernetes-validate checks: the best-practice rules are off.
ours = [run(["./target/release/rollout", "verify", "--policy", "off", inp]) for _ in range(3)]
wall, cpu, out = min(ours)
print("== rollout verify FILE (strict, Kubernetes 1.34; recognition, parsing, validation)")
print(out.strip().splitlines()[-1])
print(f"rollout verify:      {wall:.3f} s wall, {cpu:.3f} s CPU (best of 3)")
print("== kubernetes-validate --strict -k 1.34")
kwall, kcpu, _ = run([kv, "--strict", "-k", "1.34", "--quiet", inp])
print(f"kubernetes-validate: {kwall:.3f} s wall, {kcpu:.3f} s CPU")
print(f"ratio: {kwall / wall:.0f}x faster end to end (wall), {kcpu / cpu:.0f}x (CPU); "
      f"{wall * 1e6 / docs:.0f} µs vs {kwall * 1e6 / docs:.0f} µs per document ({docs} documents)")
print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
PY

echo "== schema validation after parsing (benches/verify.rs)"
cargo bench --quiet --bench verify -- "$input" 20
