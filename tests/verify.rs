//! `rollout verify` over the fixtures in `fixtures/verify/`: verdicts and locations of every check,
//! the dispatch to the checks other modules own (through test doubles), the whole-repo mode, and
//! snapshots of every renderer over the same fixture set.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rollout::value::Value;
use rollout::verify::report::{Format, render};
use rollout::verify::{
    Checks, Diagnostic, Finding, PolicyInput, PracticeLevel, Report, ServiceImage, Severity,
    VerifyOptions, verify,
};

const F: &str = "fixtures/verify";

/// Test doubles for the checks verify calls but does not own; they record what they were given.
#[derive(Default)]
struct Doubles {
    calls: Mutex<Vec<String>>,
}

fn finding(code: &str, pointer: String, message: &str) -> Finding {
    Finding {
        code: code.into(),
        severity: Severity::Error,
        pointer,
        message: message.into(),
    }
}

impl Checks for Doubles {
    fn dashboard(&self, d: &Value) -> Option<Vec<Finding>> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("dashboard {}", d["title"].as_str().unwrap_or("")));
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (i, p) in d["panels"].as_array().into_iter().flatten().enumerate() {
            if seen.contains(&p["id"]) {
                out.push(finding(
                    "dashboard-duplicate-panel-id",
                    format!("/panels/{i}/id"),
                    "duplicate panel id",
                ));
            }
            seen.push(p["id"].clone());
        }
        Some(out)
    }

    fn alerts(&self, a: &Value) -> Option<Vec<Finding>> {
        self.calls.lock().unwrap().push("alerts".into());
        Some(
            a.as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .filter(|(_, x)| x["labels"].as_object().is_some_and(|m| m.is_empty()))
                .map(|(i, _)| {
                    finding(
                        "alert-empty-labels",
                        format!("/{i}/labels"),
                        "[1].labels: at least one label pair required (labels with empty values are dropped)",
                    )
                })
                .collect(),
        )
    }

    fn argocd_application(&self, app: &Value) -> Option<Vec<Finding>> {
        self.calls.lock().unwrap().push(format!(
            "application {}",
            app["metadata"]["name"].as_str().unwrap_or("")
        ));
        let mut out = Vec::new();
        if app["spec"]["project"].is_null() {
            out.push(finding(
                "argocd-missing-project",
                "/spec".into(),
                "spec.project is required",
            ));
        }
        Some(out)
    }

    fn policy_inputs(&self, root: &Path) -> Result<Option<Vec<PolicyInput>>, String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("policy {}", root.display()));
        Ok(Some(vec![PolicyInput {
            environment: "staging".into(),
            namespace: "media".into(),
            flag_name: "ENABLE_EMBEDDING_EVENT_STREAMS".into(),
            flag_value: "1".into(),
            flagged_services: vec!["auth".into(), "embedder".into()],
            services: ["auth", "embedder", "media-clustering"]
                .iter()
                .map(|s| ServiceImage {
                    name: s.to_string(),
                    image_repo: format!("sploot/{s}"),
                    expected_tag: "3.11-cpu-4f2a9c1".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }]))
    }

    fn freshness(&self, root: &Path) -> Option<Vec<Diagnostic>> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("freshness {}", root.display()));
        Some(vec![
            Diagnostic::error(
                "overlay-stale",
                "overlays/staging/ differs from rollout.yaml",
            )
            .help("run `rollout generate` and commit the result"),
            Diagnostic::new(
                "not-checked",
                Severity::Note,
                "not checked: overlays/base/ freshness (helm not found)",
            ),
        ])
    }
}

/// Options for the schema fixtures: the best-practice rules have their own fixtures and test.
fn opts(paths: &[&str]) -> VerifyOptions {
    VerifyOptions {
        paths: paths
            .iter()
            .map(|p| PathBuf::from(format!("{F}/{p}")))
            .collect(),
        practices: PracticeLevel::Off,
        ..VerifyOptions::default()
    }
}

fn run(o: &VerifyOptions) -> Report {
    verify(o, &Doubles::default()).expect("verify runs")
}

/// (code, file:line:col) of every error and warning.
fn located(r: &Report) -> Vec<(String, String)> {
    r.diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .map(|d| {
            let at = d.span.as_ref().map(|s| s.describe()).unwrap_or_default();
            (d.code.clone(), at)
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), format!("{F}/{b}")))
        .collect()
}

#[test]
fn good_fixtures_pass_strict() {
    let r = run(&opts(&["good"]));
    assert_eq!(located(&r), vec![]);
    assert!(!r.failed());
    assert_eq!(r.inputs.len(), 5);
    assert_eq!(r.counts().objects, 21);
}

#[test]
fn each_bad_fixture_fails_where_it_should() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "bad/unknown-field.yaml",
            &[
                ("schema-unknown-field", "bad/unknown-field.yaml:7:3"),
                ("schema-unknown-field", "bad/unknown-field.yaml:19:9"),
            ],
        ),
        (
            "bad/wrong-type.yaml",
            &[
                ("schema-type", "bad/wrong-type.yaml:7:3"),
                ("schema-type", "bad/wrong-type.yaml:20:11"),
            ],
        ),
        (
            "bad/duplicate-key.yaml",
            &[("duplicate-key", "bad/duplicate-key.yaml:8:3")],
        ),
        (
            "bad/missing-required.yaml",
            &[("schema-required", "bad/missing-required.yaml:8:5")],
        ),
        ("bad/list.yaml", &[("schema-type", "bad/list.yaml:13:5")]),
        (
            "bad/custom-resource.yaml",
            &[
                ("schema-missing", "bad/custom-resource.yaml:3:1"),
                ("schema-missing", "bad/custom-resource.yaml:11:1"),
            ],
        ),
        ("overlay", &[("schema-type", "overlay/service.yaml:8:5")]),
    ];
    for (path, want) in cases {
        let r = run(&opts(&[path]));
        assert_eq!(located(&r), pairs(want), "{path}");
    }
}

#[test]
fn no_schema_is_a_warning_unless_required() {
    let r = run(&opts(&["bad/custom-resource.yaml"]));
    assert!(!r.failed());
    assert!(
        r.diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    let r = run(&VerifyOptions {
        require_schemas: true,
        ..opts(&["bad/custom-resource.yaml"])
    });
    assert!(r.failed());
    assert!(r.diagnostics.iter().all(|d| d.severity == Severity::Error));
}

#[test]
fn custom_resources_against_crd_flag_and_schema_location() {
    let r = run(&VerifyOptions {
        crds: vec![format!("{F}/good/crd.yaml").into()],
        schema_locations: vec![format!("{F}/schemas")],
        ..opts(&["bad/custom-resource.yaml"])
    });
    assert_eq!(
        located(&r),
        pairs(&[
            ("schema-type", "bad/custom-resource.yaml:7:3"),
            ("schema-unknown-field", "bad/custom-resource.yaml:8:3"),
            // v2 comes from the schema directory: `spec.shards` is required.
            ("schema-required", "bad/custom-resource.yaml:14:1"),
        ])
    );
    // A CRD among the inputs counts as if passed with --crd; it serves v1 only, so the v2 object
    // is refused as the API server refuses it (`no matches for kind`).
    let r = run(&opts(&["good/crd.yaml", "bad/custom-resource.yaml"]));
    let codes: Vec<String> = located(&r).into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        codes,
        vec!["schema-type", "schema-unknown-field", "crd-not-served"]
    );
}

#[test]
fn no_strict_accepts_unknown_fields_only() {
    let o = VerifyOptions {
        strict: false,
        ..opts(&["bad/unknown-field.yaml", "bad/wrong-type.yaml"])
    };
    let codes: Vec<String> = located(&run(&o)).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, vec!["schema-type", "schema-type"]);
}

/// (code, severity, file:line:col, message) of every diagnostic but notes.
fn described(r: &Report) -> Vec<(String, Severity, String, String)> {
    r.diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .map(|d| {
            let at = d.span.as_ref().map(|s| s.describe()).unwrap_or_default();
            (d.code.clone(), d.severity, at, d.message.clone())
        })
        .collect()
}

#[test]
fn no_strict_takes_the_last_of_duplicate_keys_with_a_warning() {
    let lenient = |paths: &[&str]| {
        run(&VerifyOptions {
            strict: false,
            ..opts(paths)
        })
    };
    let dup = |severity, at: &str, line: usize, tail: &str| {
        (
            "duplicate-key".to_string(),
            severity,
            format!("{F}/{at}"),
            format!("duplicate key \"LOG_LEVEL\" (first at line {line}){tail}"),
        )
    };
    // --strict (the default): an error at the repeat, nothing validated.
    let r = run(&opts(&["bad/duplicate-key.yaml"]));
    assert!(r.failed());
    assert_eq!(
        described(&r),
        vec![dup(Severity::Error, "bad/duplicate-key.yaml:8:3", 7, "")]
    );
    assert_eq!(r.counts().objects, 0);

    // --no-strict: a warning at the repeat; the object is validated with the last value.
    let last = "; the last value is used";
    let r = lenient(&["bad/duplicate-key.yaml"]);
    assert!(!r.failed());
    assert_eq!(
        described(&r),
        vec![dup(
            Severity::Warning,
            "bad/duplicate-key.yaml:8:3",
            7,
            last
        )]
    );
    assert_eq!(r.counts().objects, 1);
    assert_eq!(r.inputs[0].reason, "by content: apiVersion and kind");

    // The first value is a map (wrong for ConfigMap data) but the last one, a string, wins.
    let r = lenient(&["duplicates/first-value-wrong.yaml"]);
    assert!(!r.failed());
    assert_eq!(
        described(&r),
        vec![dup(
            Severity::Warning,
            "duplicates/first-value-wrong.yaml:9:3",
            7,
            last
        )]
    );

    // A wrong type in the last value still fails, located at the last occurrence.
    let r = lenient(&["duplicates/last-value-wrong.yaml"]);
    assert!(r.failed());
    assert_eq!(
        located(&r),
        pairs(&[
            ("duplicate-key", "duplicates/last-value-wrong.yaml:8:3"),
            ("schema-type", "duplicates/last-value-wrong.yaml:8:3"),
        ])
    );
    let r = run(&opts(&["duplicates/last-value-wrong.yaml"]));
    assert_eq!(
        located(&r),
        pairs(&[("duplicate-key", "duplicates/last-value-wrong.yaml:8:3")])
    );
}

#[test]
fn no_strict_takes_the_last_of_duplicate_keys_in_single_documents() {
    // Dashboards, alerts and values are read by the same one-document reader.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboards/d.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        "{\n  \"title\": \"a\",\n  \"panels\": [{\"id\": 1}, {\"id\": 1}],\n  \"panels\": []\n}\n",
    )
    .unwrap();
    let at = format!("{}:4:3", file.display());
    let strict = run(&VerifyOptions {
        paths: vec![file.clone()],
        ..VerifyOptions::default()
    });
    assert_eq!(
        located(&strict),
        vec![("duplicate-key".to_string(), at.clone())]
    );
    assert!(strict.failed());
    // Lenient: the last (empty) panels win, so the duplicate panel ids of the first are gone.
    let lenient = run(&VerifyOptions {
        paths: vec![file.clone()],
        strict: false,
        ..VerifyOptions::default()
    });
    assert_eq!(located(&lenient), vec![("duplicate-key".to_string(), at)]);
    assert!(!lenient.failed());
}

#[test]
fn recognition_by_place_content_and_type() {
    let r = run(&opts(&[
        "good/deployment.yaml",
        "overlay",
        "charts/media/values-staging.yaml",
        "dashboards",
        "alerts/synthetic.json",
        "argocd",
    ]));
    let got: Vec<(String, &str, &str)> = r
        .inputs
        .iter()
        .map(|i| {
            (
                i.path.display().to_string(),
                i.kind.as_str(),
                i.reason.as_str(),
            )
        })
        .collect();
    let want = [
        (
            "good/deployment.yaml",
            "manifests",
            "by content: apiVersion and kind",
        ),
        (
            "overlay",
            "kustomization",
            "by place: kustomization directory",
        ),
        (
            "charts/media/values-staging.yaml",
            "values",
            "by place: charts/<chart>/values*.yaml",
        ),
        (
            "dashboards/media-clustering.json",
            "dashboard",
            "by place: dashboards/",
        ),
        ("alerts/synthetic.json", "alerts", "by place: alerts/"),
        ("argocd/media-staging.yaml", "argocd", "by place: argocd/"),
    ];
    let want: Vec<(String, &str, &str)> = want
        .iter()
        .map(|(p, k, w)| (format!("{F}/{p}"), *k, *w))
        .collect();
    assert_eq!(got, want);

    // --type overrides both: a dashboard taken for manifests has no apiVersion and kind.
    let r = run(&VerifyOptions {
        kind: Some(rollout::verify::InputKind::Manifests),
        ..opts(&["dashboards/media-clustering.json"])
    });
    assert_eq!(r.inputs[0].reason, "--type");
    assert_eq!(
        located(&r),
        pairs(&[(
            "schema-missing-kind",
            "dashboards/media-clustering.json:1:1"
        )])
    );
}

#[test]
fn dispatch_to_the_checks_seam() {
    let d = Doubles::default();
    let r = verify(&opts(&["dashboards", "alerts", "argocd"]), &d).unwrap();
    assert_eq!(
        *d.calls.lock().unwrap(),
        // One input at a time, in the order the paths were given.
        vec![
            "dashboard media-clustering",
            "alerts",
            "application media-staging"
        ]
    );
    assert_eq!(
        located(&r),
        pairs(&[
            (
                "dashboard-duplicate-panel-id",
                "dashboards/media-clustering.json:6:6"
            ),
            ("alert-empty-labels", "alerts/synthetic.json:3:4"),
        ])
    );
    // The binary's wiring runs the real dashboard, alert and Argo CD checks on the same fixtures.
    let r = rollout::verify::run(&opts(&["dashboards", "alerts", "argocd"])).unwrap();
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(!codes.contains(&"not-checked"), "{codes:?}");
    let messages: Vec<&str> = r.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "dashboard has no uid: Grafana assigns a random one, so each push creates a new dashboard",
            "panels[1].id: panel id 1 is also used by panels[0]",
            "[1].labels: at least one label pair required (labels with empty values are dropped)",
        ]
    );
    assert!(r.failed());
}

#[test]
fn values_merged_over_chart_defaults() {
    let r = run(&opts(&["charts"]));
    assert_eq!(
        located(&r),
        pairs(&[
            ("schema-required", "charts/media/values-broken.yaml:1:1"),
            (
                "schema-unknown-field",
                "charts/media/values-broken.yaml:3:3"
            ),
            ("schema-type", "charts/media/values-broken.yaml:4:1"),
        ])
    );
}

#[test]
fn input_errors_are_errors_not_findings() {
    let cases: &[(VerifyOptions, &str)] = &[
        (
            opts(&["missing.yaml"]),
            "fixtures/verify/missing.yaml: no such file or directory",
        ),
        (
            opts(&["charts/media/values.schema.json"]),
            "fixtures/verify/charts/media/values.schema.json: cannot tell what this file is; pass --type (choose from: manifests, kustomization, dashboard, alerts, values, argocd, spec, alertmanager-config)",
        ),
        (
            VerifyOptions {
                kubernetes_version: "1.24".into(),
                ..opts(&["good"])
            },
            "no built-in schemas for kubernetes version \"1.24\"; choose from: 1.25, 1.26, 1.27, 1.28, 1.29, 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37",
        ),
        (
            VerifyOptions {
                crds: vec![format!("{F}/good/deployment.yaml").into()],
                ..opts(&["good"])
            },
            "--crd fixtures/verify/good/deployment.yaml: no CustomResourceDefinition with a schema",
        ),
    ];
    for (o, want) in cases {
        let err = verify(o, &Doubles::default()).unwrap_err();
        assert_eq!(err.to_string(), *want);
    }
}

#[test]
fn whole_repo_with_policy_and_freshness() {
    let d = Doubles::default();
    let o = VerifyOptions {
        root: PathBuf::from(format!("{F}/repo")),
        practices: PracticeLevel::Off,
        ..VerifyOptions::default()
    };
    let r = verify(&o, &d).unwrap();
    let kinds: Vec<(String, &str)> = r
        .inputs
        .iter()
        .map(|i| (i.path.display().to_string(), i.kind.as_str()))
        .collect();
    let root = format!("{F}/repo");
    assert_eq!(
        kinds,
        vec![
            (
                format!("{root}/overlays/base/deployments.yaml"),
                "manifests"
            ),
            (format!("{root}/overlays/staging"), "kustomization"),
            (format!("{root}/charts/media/values-staging.yaml"), "values"),
            (format!("{root}/charts/media/values.yaml"), "values"),
            (format!("{root}/argocd/staging/media.yaml"), "argocd"),
            (
                format!("{root}/dashboards/media-clustering.json"),
                "dashboard"
            ),
            (format!("{root}/alerts/synthetic.json"), "alerts"),
        ]
    );
    let policy: Vec<(String, String)> = located(&r)
        .into_iter()
        .filter(|(c, _)| c.starts_with("policy") || c == "overlay-stale")
        .collect();
    assert_eq!(
        policy,
        vec![
            (
                "policy-flag-unexpected".to_string(),
                format!("{root}/overlays/staging/deployments.yaml:61:11")
            ),
            ("overlay-stale".to_string(), String::new()),
        ]
    );
    insta::assert_snapshot!("repo_text", render(&r, Format::Text));
}

fn fixture_set() -> Report {
    run(&opts(&[
        "good",
        "bad",
        "overlay",
        "charts",
        "dashboards",
        "alerts",
        "argocd",
    ]))
}

#[test]
fn renderers_over_the_fixture_set() {
    let r = fixture_set();
    assert!(r.failed());
    insta::assert_snapshot!("fixtures_text", render(&r, Format::Text));
    insta::assert_snapshot!("fixtures_json", render(&r, Format::Json));
    insta::assert_snapshot!("fixtures_junit", render(&r, Format::Junit));
    insta::assert_snapshot!("fixtures_github", render(&r, Format::Github));
    // SARIF 2.1.0 as GitHub code scanning takes it: every result with a known rule, a level, and
    // a relative file with a 1-based line; repository checks point at the spec.
    let sarif: Value = serde_json::from_str(&render(&r, Format::Sarif)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "rollout");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), r.diagnostics.len());
    for (res, d) in results.iter().zip(&r.diagnostics) {
        let id = res["ruleId"].as_str().unwrap();
        assert_eq!(id, d.code);
        assert_eq!(rules[res["ruleIndex"].as_u64().unwrap() as usize], id);
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
        assert!(
            res["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with(&d.message)
        );
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.is_empty(), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        match &d.span {
            Some(s) if s.line > 0 => {
                assert_eq!(uri, s.file.display().to_string());
                assert_eq!(
                    loc["region"]["startLine"].as_u64().unwrap() as usize,
                    s.line
                );
            }
            _ => assert_eq!(uri, "rollout.yaml"),
        }
    }
    let json: Value = serde_json::from_str(&render(&r, Format::Json)).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(
        json["summary"]["errors"].as_u64().unwrap() as usize,
        r.counts().errors
    );
}

#[test]
fn large_file_findings_are_located_exactly() {
    // Large enough to be read on several threads; the bad object is near the end.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: media\ndata:\n  A: \"{i}\"\n"
        ));
    }
    text.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  A: 1\n");
    let lines = text.lines().count();
    let file = dir.path().join("big.yaml");
    std::fs::write(&file, &text).unwrap();
    let r = run(&VerifyOptions {
        paths: vec![file.clone()],
        ..VerifyOptions::default()
    });
    assert_eq!(r.counts().objects, 4001);
    assert_eq!(
        located(&r),
        vec![(
            "schema-type".to_string(),
            format!("{}:{lines}:3", file.display())
        )]
    );
}

#[test]
fn findings_of_a_large_file_checked_on_all_cores_stay_with_their_objects() {
    // The schema checks of a file with findings run on all cores, a chunk of objects each: every
    // finding must still be reported once, in order, at its own object (first, around the
    // middle where chunks meet, last).
    let dir = tempfile::tempdir().unwrap();
    let n = 4001;
    let bad = [0, 1, 1999, 2000, 2001, 2002, n - 1];
    let mut text = String::new();
    let mut want = Vec::new();
    let file = dir.path().join("big.yaml");
    for i in 0..n {
        let value = if bad.contains(&i) {
            "1".to_string()
        } else {
            format!("\"{i}\"")
        };
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  A: {value}\n"
        ));
        if bad.contains(&i) {
            want.push((
                "schema-type".to_string(),
                format!("{}:{}:3", file.display(), text.lines().count()),
            ));
        }
    }
    std::fs::write(&file, &text).unwrap();
    let r = run(&VerifyOptions {
        paths: vec![file.clone()],
        ..VerifyOptions::default()
    });
    assert_eq!(r.counts().objects, n);
    assert_eq!(located(&r), want);
}

/// Issue 13: every built-in version loads and checks a Deployment and a Service.
#[test]
fn every_builtin_kubernetes_version_loads() {
    for v in rollout::schema::kubernetes::available_versions() {
        let r = run(&VerifyOptions {
            kubernetes_version: (*v).to_string(),
            ..opts(&["good/deployment.yaml"])
        });
        assert_eq!(located(&r), vec![], "Kubernetes {v}");
        assert_eq!(r.counts().objects, 2, "Kubernetes {v}");
    }
}

/// Issue 13: removed, unknown and misspelled built-in APIs fail (a cluster would refuse them);
/// an API with a removal ahead is a warning; custom groups keep the no-schema warning.
#[test]
fn removed_unknown_and_misspelled_apis_fail() {
    let at = |version: &str, file: &str| {
        run(&VerifyOptions {
            kubernetes_version: version.into(),
            ..opts(&[file])
        })
    };
    let r = at("1.34", "apis/removed.yaml");
    assert_eq!(
        located(&r),
        pairs(&[
            ("api-removed", "apis/removed.yaml:1:1"),
            ("api-unknown-version", "apis/removed.yaml:10:1"),
            ("api-unknown-kind", "apis/removed.yaml:16:1"),
            ("api-removed", "apis/removed.yaml:20:1"),
            ("api-removed", "apis/removed.yaml:25:1"),
            ("api-removed", "apis/removed.yaml:30:1"),
            ("api-removed", "apis/removed.yaml:35:1"),
            ("schema-missing", "apis/removed.yaml:44:1"),
        ])
    );
    let messages: Vec<&str> = r.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages[0],
        "extensions/v1beta1 Ingress was removed in Kubernetes 1.22 (checking against 1.34)"
    );
    assert_eq!(
        r.diagnostics[0].help,
        vec!["use networking.k8s.io/v1 Ingress".to_string()]
    );
    assert_eq!(
        messages[2],
        "unknown kind \"deployment\" in apps/v1; did you mean \"Deployment\"?"
    );
    // At 1.29 the v1beta3 FlowSchema is still served: a warning naming the removal.
    let r = at("1.29", "apis/removed.yaml");
    let flow = r
        .diagnostics
        .iter()
        .find(|d| d.span.as_ref().is_some_and(|s| s.line == 35))
        .unwrap();
    assert_eq!(flow.code, "api-deprecated");
    assert_eq!(flow.severity, Severity::Warning);
    assert!(flow.message.contains("Kubernetes 1.32 no longer serves it"));
    // A kind that only later versions serve.
    assert_eq!(
        located(&at("1.30", "apis/servicecidr.yaml")),
        pairs(&[("api-not-served", "apis/servicecidr.yaml:1:1")])
    );
    assert_eq!(located(&at("1.34", "apis/servicecidr.yaml")), vec![]);
}

/// Issue 13: the best-practice rules, warnings by default, errors with `--policy strict`, off
/// with `--policy off`; a selector the template does not satisfy is an error in every mode (the
/// API server refuses it).
#[test]
fn best_practice_rules_over_a_render() {
    let at = |level: PracticeLevel, dir: &str| {
        run(&VerifyOptions {
            practices: level,
            ..opts(&[dir])
        })
    };
    let r = at(PracticeLevel::Warn, "practices/bad");
    let w = "practices/bad/workload.yaml";
    let want: Vec<(String, String)> = [
        ("practice-pdb", 7, 3),
        ("practice-host-namespaces", 16, 7),
        ("practice-resources", 18, 11),
        ("practice-probes", 18, 11),
        ("practice-probes", 18, 11),
        ("practice-run-as-non-root", 18, 11),
        ("practice-image-tag", 19, 11),
        ("practice-privileged", 21, 13),
        ("practice-duplicate-env", 25, 15),
        ("practice-missing-reference", 29, 17),
        ("practice-service-selector", 37, 3),
        ("selector-mismatch", 50, 5),
    ]
    .iter()
    .map(|(c, l, col)| (c.to_string(), format!("{F}/{w}:{l}:{col}")))
    .collect();
    assert_eq!(located(&r), want);
    let severities: Vec<Severity> = r.diagnostics.iter().map(|d| d.severity).collect();
    assert_eq!(
        severities
            .iter()
            .filter(|s| **s == Severity::Warning)
            .count(),
        11
    );
    assert_eq!(
        r.diagnostics[2].message,
        "container \"web\" sets no CPU request, memory request, memory limit"
    );
    // Strict: every finding is an error.
    let r = at(PracticeLevel::Strict, "practices/bad");
    assert!(r.diagnostics.iter().all(|d| d.severity == Severity::Error));
    assert_eq!(r.counts().errors, 12);
    // Off: only what the API server refuses.
    let r = at(PracticeLevel::Off, "practices/bad");
    assert_eq!(
        located(&r),
        vec![("selector-mismatch".to_string(), format!("{F}/{w}:50:5"))]
    );
    // A hardened workload with its ConfigMap, PDB and Service passes every rule.
    let r = at(PracticeLevel::Strict, "practices/good");
    assert_eq!(located(&r), vec![]);
    assert_eq!(r.counts().objects, 4);
}
