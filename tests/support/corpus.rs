//! The public corpora in `../shared/conformance/` (kustomize's own tests and documentation builds).
//! They are read in place, never copied into this repository.

use std::path::PathBuf;

/// `../shared/conformance/<name>` beside the checkout (or under `$ROLLOUT_CONFORMANCE_DIR`).
/// `None`, after one line on stderr, when it is absent outside CI; with `CI=true` an absent corpus
/// fails the test, so CI never passes by not looking.
pub fn conformance_dir(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("ROLLOUT_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::repo().join("../shared/conformance"));
    let dir = base.join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "corpus {} is absent, and CI=true requires it",
        dir.display()
    );
    eprintln!("corpus {} is absent: not checked", dir.display());
    None
}
