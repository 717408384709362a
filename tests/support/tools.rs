//! Finds the real tools the tests compare against (installed by `scripts/install-test-tools.sh`
//! into `.tools/bin/`, or named by `ROLLOUT_TOOLS_DIR`). A missing tool fails the test with the
//! command to run: tests never skip.

use std::path::PathBuf;

/// Path of a tool (`kubectl`, `helm`, `alertmanager`), or a panic saying how to install it.
pub fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("ROLLOUT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/bin"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not found: run `scripts/install-test-tools.sh` (the README's test command does)",
        path.display()
    );
    path
}
