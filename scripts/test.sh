#!/usr/bin/env bash
# The test command (README "Set up"; .ci/run calls it): installs the real tools the tests compare
# against (kubectl with kustomize v5, helm 4, Alertmanager 0.25) into .tools/, then runs the checks
# and the whole test suite. Needs only Rust, Python 3, npm and apt on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-tools.sh
export ROLLOUT_TOOLS_DIR="$PWD/.tools/bin"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --no-fail-fast
