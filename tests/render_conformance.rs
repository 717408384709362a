//! Conformance: every row of `fixtures/kustomize/conformance/CASES.tsv` (the kustomize
//! documentation examples, Apache-2.0) is built with `rollout::kustomize::build` and compared byte
//! for byte with the output kustomize v5 printed. Cases listed in `KNOWN_FAILING` must still fail
//! (so the list stays honest); every other case must pass.

use std::path::{Path, PathBuf};

/// Cases (dir_to_build) that do not pass yet, with the reason. Keep empty when all pass.
const KNOWN_FAILING: &[(&str, &str)] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kustomize/conformance")
}

#[test]
fn conformance_corpus() {
    let root = root();
    let tsv = std::fs::read_to_string(root.join("CASES.tsv")).expect("CASES.tsv");
    let mut header: Option<Vec<&str>> = None;
    let (mut passed, mut total) = (0, 0);
    let mut failures = Vec::new();
    let mut unexpected_passes = Vec::new();
    for line in tsv.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let Some(h) = &header else {
            header = Some(cols);
            continue;
        };
        let col = |name: &str| {
            h.iter()
                .position(|c| *c == name)
                .and_then(|i| cols.get(i).copied())
                .unwrap_or("")
        };
        let dir = col("dir_to_build");
        let expected_file = col("expected_kustomize_v5.5.0");
        if dir.is_empty() || expected_file.is_empty() {
            continue;
        }
        total += 1;
        let expected = std::fs::read_to_string(root.join(expected_file)).expect("expected output");
        let got = rollout::kustomize::build(&root.join(dir))
            .map(|b| rollout::kustomize::render_to_string(&b))
            .map_err(|e| e.to_string());
        let ok = got.as_deref() == Ok(expected.as_str());
        let known = KNOWN_FAILING.iter().any(|(d, _)| *d == dir);
        if ok {
            passed += 1;
            if known {
                unexpected_passes.push(dir.to_string());
            }
        } else if !known {
            let detail = match got {
                Err(e) => format!("error: {e}"),
                Ok(text) => first_difference(&expected, &text),
            };
            failures.push(format!("{dir}: {detail}"));
        }
    }
    eprintln!("kustomize conformance: {passed}/{total} cases pass");
    assert!(total >= 34, "expected at least 34 cases, found {total}");
    assert!(
        failures.is_empty(),
        "regressed cases:\n{}",
        failures.join("\n")
    );
    assert!(
        unexpected_passes.is_empty(),
        "cases listed as known-failing now pass; remove them from KNOWN_FAILING: {unexpected_passes:?}"
    );
}

fn first_difference(expected: &str, got: &str) -> String {
    for (i, (e, g)) in expected.lines().zip(got.lines()).enumerate() {
        if e != g {
            return format!("line {}: expected {e:?}, got {g:?}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, got {}",
        expected.lines().count(),
        got.lines().count()
    )
}
