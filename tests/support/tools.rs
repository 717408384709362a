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

/// A tool from a Debian package (`redis-server`, `prometheus`, `amtool`): `.tools/bin/` (or
/// `$ROLLOUT_TOOLS_DIR`) where `scripts/install-test-tools.sh` links it, else `/usr/bin/`, else a
/// panic saying how to install it.
pub fn system_tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("ROLLOUT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/bin"));
    let linked = dir.join(name);
    if linked.exists() {
        return linked;
    }
    let system = PathBuf::from("/usr/bin").join(name);
    assert!(
        system.exists(),
        "{name} not found in {} or /usr/bin: run `scripts/install-test-tools.sh` (it installs the Debian package)",
        dir.display()
    );
    system
}
