//! kustomize's own end-to-end tests (`api/krusty`, in `../shared/conformance/krusty/`): every case
//! is built by `rollout render` with the flags of its `case.json` and must print the bytes and the
//! warnings `kubectl kustomize` printed; the same build without `--reorder` must print
//! `expected.default.yaml`. Error cases must exit 2 with one `error:` line that says what
//! kustomize's message says. No case may fail: there is no known-failing list.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What our message must say for each error case, in our words (kustomize's fragment is in the
/// case's `case.json`).
const ERROR_MEANING: &[(&str, &str)] = &[
    ("TestBaseMustHaveKustomizationFile", "no kustomization file"),
    ("TestBasicIO3812", "invalid YAML"),
    (
        "TestBasicVarCollision",
        "var \"POD_NAME\" is declared twice",
    ),
    ("TestBlankNamespace4240", "namespace is blank"),
    (
        "TestComplexComposition_Dev_Failure",
        "already registered id: StatefulSet.v1.apps/my-sts.[noNs]",
    ),
    (
        "TestComponentErrors__components-cannot-add-the-same-resource",
        "already registered id: Deployment.v1.[noGrp]/proxy.[noNs]",
    ),
    (
        "TestComponentErrors__components-cannot-be-added-to-resources",
        "Component",
    ),
    (
        "TestComponentErrors__files-cannot-be-added-to-components-list",
        "must be a directory",
    ),
    (
        "TestComponentErrors__invalid-component-api-version",
        "apiVersion for Component should be kustomize.config.k8s.io/v1alpha1",
    ),
    (
        "TestComponentErrors__kustomizations-cannot-be-added-to-components",
        "expected kind Component",
    ),
    ("TestCustomOpenApiFieldBothPathAndVersion", "both"),
    ("TestDuplicateKeys", "duplicate key \"env\""),
    ("TestEmptyPatchesStrategicMergeFails", "patch is empty"),
    (
        "TestInvalidLegacySortOptionsWithFIFOOrder",
        "legacySortOptions",
    ),
    (
        "TestInvalidLegacySortOptionsWithoutOrderKey",
        "sortOptions.order",
    ),
    (
        "TestIssue1251_CompositeDiamond_Failure",
        "already registered id: Deployment.v1.apps/my-deployment.[noNs]",
    ),
    ("TestPluginsNotEnabled", "plugin"),
    ("TestRepeatBase", "multiple"),
    ("TestResourceNotFound", "does not exist"),
    (
        "TestSecretGeneratingIntoSameNamespace",
        "behavior must be merge or replace",
    ),
    ("TestSharedPatchDisAllowed", "security; file"),
    ("TestSortOrderGivenAsTransformer", "SortOrderTransformer"),
    (
        "TestTargetMustHaveKustomizationFile",
        "no kustomization file",
    ),
    (
        "TestTargetMustHaveOnlyOneKustomizationFile",
        "several kustomization files",
    ),
    ("TestVariablesAmbiguous", "ambiguous"),
];

struct Case {
    name: String,
    dir: PathBuf,
    build_dir: String,
    flags: Vec<String>,
    error: Option<String>,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(root)
        .expect("corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    entries.sort();
    for dir in entries {
        let text = std::fs::read_to_string(dir.join("case.json")).expect("case.json");
        let j: serde_json::Value = serde_json::from_str(&text).expect("case.json is JSON");
        let s = |k: &str| j[k].as_str().unwrap_or_default().to_string();
        out.push(Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            build_dir: s("build_dir"),
            flags: j["flags"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            error: (s("expect") == "error").then(|| s("expected_error_substring")),
            dir,
        });
    }
    out
}

fn render(case: &Case, flags: &[String]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rollout"))
        .current_dir(&case.dir)
        .arg("render")
        .arg(&case.build_dir)
        .args(flags)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("run rollout");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn without_reorder(flags: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = flags.iter();
    while let Some(f) = it.next() {
        if f == "--reorder" {
            it.next();
        } else if !f.starts_with("--reorder=") {
            out.push(f.clone());
        }
    }
    out
}

fn first_difference(expected: &str, got: &str) -> String {
    for (i, (e, g)) in expected.lines().zip(got.lines()).enumerate() {
        if e != g {
            return format!("line {}: expected {e:?}, got {g:?}", i + 1);
        }
    }
    format!(
        "expected {} lines, got {}",
        expected.lines().count(),
        got.lines().count()
    )
}

/// kubectl prints Go `log` lines through klog (`I1201 08:53:43.181653    4023 log.go:244] ...`);
/// the message is what counts.
fn strip_klog(text: &str) -> String {
    let re = regex::Regex::new(r"(?m)^[IWE]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [\w.]+:\d+\] ")
        .expect("regex");
    re.replace_all(text, "").trim_end().to_string()
}

const REORDER_LINE: &str = "Flag --reorder has been deprecated, use the new 'sortOptions' field in kustomization.yaml instead.";

/// Checks one case; `Err` says what differs.
fn check(case: &Case) -> Result<(), String> {
    let (code, stdout, stderr) = render(case, &case.flags);
    if let Some(fragment) = &case.error {
        let meaning = ERROR_MEANING
            .iter()
            .find(|(n, _)| *n == case.name)
            .map(|(_, m)| *m)
            .ok_or_else(|| format!("no ERROR_MEANING entry (kustomize says {fragment:?})"))?;
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        if code != 2 || errors.len() != 1 || !stdout.is_empty() {
            return Err(format!(
                "expected exit 2 with one error line and no output (kustomize: {fragment:?}), got exit {code}: {}",
                stderr.trim()
            ));
        }
        if !errors[0].contains(meaning) {
            return Err(format!("error {:?} does not say {meaning:?}", errors[0]));
        }
        return Ok(());
    }
    let expected = std::fs::read_to_string(case.dir.join("expected.yaml")).unwrap_or_default();
    let expected_err =
        strip_klog(&std::fs::read_to_string(case.dir.join("stderr.txt")).unwrap_or_default());
    if code != 0 {
        return Err(format!("exit {code}: {}", stderr.trim()));
    }
    if stdout != expected {
        return Err(format!("output: {}", first_difference(&expected, &stdout)));
    }
    if stderr.trim_end() != expected_err {
        return Err(format!(
            "stderr: expected {expected_err:?}, got {:?}",
            stderr.trim_end()
        ));
    }
    let default_flags = without_reorder(&case.flags);
    if default_flags != case.flags {
        let expected = std::fs::read_to_string(case.dir.join("expected.default.yaml"))
            .map_err(|e| format!("expected.default.yaml: {e}"))?;
        let (code, stdout, stderr) = render(case, &default_flags);
        if code != 0 || stdout != expected {
            return Err(format!(
                "default order: exit {code}: {}",
                first_difference(&expected, &stdout)
            ));
        }
        let expected_err: Vec<&str> = expected_err
            .lines()
            .filter(|l| *l != REORDER_LINE && !l.contains("CLI flag ('--reorder')"))
            .collect();
        let got_err: Vec<&str> = stderr.lines().collect();
        if got_err != expected_err {
            return Err(format!(
                "default order stderr: expected {expected_err:?}, got {got_err:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn kustomize_krusty_suite() {
    let Some(root) = support::corpus::conformance_dir("krusty") else {
        return;
    };
    let cases = cases(&root);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let chunk = cases.len().div_ceil(workers).max(1);
    let results: Vec<(String, bool, Result<(), String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|c| (c.name.clone(), c.error.is_some(), check(c)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    let outputs = results.iter().filter(|r| !r.1).count();
    let errors = results.len() - outputs;
    let out_ok = results.iter().filter(|r| !r.1 && r.2.is_ok()).count();
    let err_ok = results.iter().filter(|r| r.1 && r.2.is_ok()).count();
    eprintln!(
        "krusty: {out_ok}/{outputs} output cases and {err_ok}/{errors} error cases as kustomize"
    );
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(n, _, r)| r.as_ref().err().map(|e| format!("{n}: {e}")))
        .collect();
    assert!(
        cases.len() >= 197,
        "expected at least 197 cases, found {}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} cases differ from kustomize:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
