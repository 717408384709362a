//! Our own kustomize cases (`fixtures/kustomize/own/`, one build per line of `CASES`), compared
//! byte for byte with live `kubectl kustomize` output (stdout and the warnings on stderr).
//!
//! kubectl comes from `$ROLLOUT_KUBECTL` or `.tools/bin/kubectl`; without it the test fails and
//! says to run `scripts/install-test-tools.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kubectl() -> PathBuf {
    if let Some(p) = std::env::var_os("ROLLOUT_KUBECTL") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/kubectl");
    assert!(
        p.is_file(),
        "kubectl not found at {} and ROLLOUT_KUBECTL is unset: run scripts/install-test-tools.sh",
        p.display()
    );
    p
}

#[test]
fn own_cases_match_kubectl_kustomize() {
    let kubectl = kubectl();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kustomize/own");
    let cases = std::fs::read_to_string(root.join("CASES")).expect("fixtures/kustomize/own/CASES");
    let mut failures = Vec::new();
    let mut n = 0;
    for dir in cases
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        n += 1;
        let path = root.join(dir);
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&path)
            .output()
            .expect("run kubectl kustomize");
        assert!(
            out.status.success(),
            "kubectl kustomize {dir} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = String::from_utf8_lossy(&out.stdout).into_owned();
        // Deprecation warnings, and kustomize's log lines about vars (klog prefix cut).
        let want_warnings: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter_map(|l| {
                if l.starts_with("# Warning") {
                    return Some(l.to_string());
                }
                let (_, msg) = l.split_once("] ")?;
                (msg.starts_with("well-defined vars") || msg.starts_with("MakePrimitiveReplacer"))
                    .then(|| msg.to_string())
            })
            .collect();
        match rollout::kustomize::build(&path) {
            Err(e) => failures.push(format!("{dir}: error: {e}")),
            Ok(b) => {
                let got = rollout::kustomize::render_to_string(&b);
                if got != want {
                    let diff = similar::TextDiff::from_lines(&want, &got)
                        .unified_diff()
                        .header("kubectl kustomize", "rollout render")
                        .to_string();
                    failures.push(format!("{dir}:\n{diff}"));
                }
                if b.warnings != want_warnings {
                    failures.push(format!(
                        "{dir}: warnings differ: kubectl {want_warnings:?}, ours {:?}",
                        b.warnings
                    ));
                }
            }
        }
    }
    assert!(n >= 5, "expected at least 5 own cases, found {n}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
