//! Conformance: every row of `../shared/conformance/kustomize/CASES.tsv` (the kustomize
//! documentation examples, Apache-2.0, read in place) is built with `rollout::kustomize::build`
//! and compared byte for byte with the output kustomize v5 printed. Every case must pass.

mod support;

#[test]
fn conformance_corpus() {
    let Some(root) = support::corpus::conformance_dir("kustomize") else {
        return;
    };
    let tsv = std::fs::read_to_string(root.join("CASES.tsv")).expect("CASES.tsv");
    let mut header: Option<Vec<&str>> = None;
    let (mut passed, mut total) = (0, 0);
    let mut failures = Vec::new();
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
        if ok {
            passed += 1;
        } else {
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
