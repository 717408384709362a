//! `rollout diff` against the committed pre-rollout snapshot (`fixtures/live/staging`): the real
//! binary, exit codes, the exact set of changes, masking, ignore rules, snapshots of every output.

#[path = "support/diff_cli.rs"]
mod diff_cli;

use std::collections::BTreeSet;

use diff_cli::{rollout, root};
use rollout::value::Value;

const STAGING: &str = "fixtures/diff/rendered-staging.yaml";
const LIVE: &str = "fixtures/live/staging";

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
        (
            r#"(rollout version:\*\* |"rolloutVersion": ")\d+\.\d+\.\d+"#,
            "${1}[VERSION]",
        ),
    ]
}

fn diff(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    rollout(&root(), &all, &[])
}

/// Every (object, path, op) of a `--output json` report.
fn change_set(json: &str) -> BTreeSet<(String, String, String)> {
    let v: Value = serde_json::from_str(json).unwrap();
    let mut out = BTreeSet::new();
    for o in v["objects"].as_array().unwrap() {
        for c in o["changes"].as_array().unwrap() {
            out.insert((
                o["id"].as_str().unwrap().to_string(),
                c["path"].as_str().unwrap().to_string(),
                c["op"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

#[test]
fn staging_render_changes_exactly_the_flag_images_and_base_image_annotation() {
    let (code, out, err) = diff(&[STAGING, "--live-dir", LIVE, "--output", "json"]);
    assert_eq!(code, 1, "{err}");
    let mut want = BTreeSet::new();
    let ann = r#"metadata.annotations["rollout.sploot.io/base-image"]"#;
    for (svc, flag) in [
        ("auth", true),
        ("embedder", true),
        ("media-clustering", false),
    ] {
        let id = format!("apps.v1.Deployment.media.{svc}");
        let c = format!("spec.template.spec.containers[name={svc}]");
        want.insert((id.clone(), ann.to_string(), "add".to_string()));
        want.insert((id.clone(), format!("{c}.image"), "change".to_string()));
        if flag {
            want.insert((
                id.clone(),
                format!("{c}.env[name=ENABLE_EMBEDDING_EVENT_STREAMS]"),
                "add".to_string(),
            ));
        }
    }
    assert_eq!(change_set(&out), want);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["summary"],
        rollout::json!({"changed": 3, "created": 0, "pruned": 0, "unchanged": 9})
    );
}

#[test]
fn no_server_default_noise_in_the_text_diff() {
    let (code, out, _) = diff(&[STAGING, "--live-dir", LIVE]);
    assert_eq!(code, 1);
    for noise in [
        "managedFields",
        "resourceVersion",
        "uid:",
        "generation",
        "creationTimestamp",
        "status:",
        "last-applied-configuration",
        "deployment.kubernetes.io/revision",
        "restartedAt",
        "progressDeadlineSeconds",
        "revisionHistoryLimit",
        "strategy",
        "dnsPolicy",
        "schedulerName",
        "terminationMessagePath",
        "terminationGracePeriodSeconds",
        "timeoutSeconds",
        "scheme: HTTP",
        "clusterIP",
        "ipFamilies",
        "sessionAffinity",
        "internalTrafficPolicy",
    ] {
        assert!(
            !out.contains(noise),
            "server-owned or defaulted field {noise:?} in the diff"
        );
    }
    let changed: Vec<&str> = out
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    // Per Deployment: two annotation lines and two image lines; auth and embedder: two flag lines.
    assert_eq!(changed.len(), 3 * 4 + 2 * 2, "{changed:#?}");
}

#[test]
fn the_render_that_made_the_live_state_is_clean() {
    let (code, out, err) = diff(&["fixtures/diff/rendered-before.yaml", "--live-dir", LIVE]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert_eq!(
        err,
        "0 changed, 0 to create, 0 to prune, 12 unchanged (live: snapshot fixtures/live/staging)\n"
    );
}

#[test]
fn text_diff_snapshot() {
    let (code, out, err) = diff(&[STAGING, "--live-dir", LIVE]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "3 changed, 0 to create, 0 to prune, 9 unchanged (live: snapshot fixtures/live/staging)\n"
    );
    insta::assert_snapshot!("staging_text", out);
}

#[test]
fn json_snapshot() {
    let (_, out, _) = diff(&[STAGING, "--live-dir", LIVE, "--output", "json"]);
    insta::assert_snapshot!("staging_json", out);
}

#[test]
fn evidence_snapshots_and_rewrite_is_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("evidence/diff.md");
    let js = tmp.path().join("evidence/diff.json");
    let (code, _, err) = diff(&[
        STAGING,
        "--live-dir",
        LIVE,
        "--evidence",
        md.to_str().unwrap(),
        "--evidence-json",
        js.to_str().unwrap(),
        "--environment",
        "staging",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("wrote {}", md.display())), "{err}");
    let md_text = std::fs::read_to_string(&md).unwrap();
    let js_text = std::fs::read_to_string(&js).unwrap();
    let v: Value = serde_json::from_str(&js_text).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "baseImageAnnotation",
            "changes",
            "diff",
            "environment",
            "expectedOnly",
            "flag",
            "generatedAt",
            "kind",
            "live",
            "rendered",
            "rolloutVersion",
            "schemaVersion",
            "source",
            "summary",
            "unexpected",
            "workloads"
        ],
        "top-level evidence fields are an interface (rollout evidence reads them)"
    );
    assert_eq!(v["rolloutVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["expectedOnly"], true);
    assert_eq!(v["kind"], "flag-diff");
    assert_eq!(v["schemaVersion"], 1);
    assert_eq!(v["environment"], "staging");
    assert_eq!(
        v["changes"],
        rollout::json!([
            {"resource": "apps/v1/Deployment/media/auth", "container": "auth",
             "name": "ENABLE_EMBEDDING_EVENT_STREAMS", "before": null, "after": "1"},
            {"resource": "apps/v1/Deployment/media/embedder", "container": "embedder",
             "name": "ENABLE_EMBEDDING_EVENT_STREAMS", "before": null, "after": "1"},
        ])
    );
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("staging_evidence_md", md_text);
        insta::assert_snapshot!("staging_evidence_json", js_text);
    });
}

#[test]
fn colour_only_when_asked() {
    let (_, plain, _) = diff(&[STAGING, "--live-dir", LIVE]);
    assert!(!plain.contains('\x1b'), "not a terminal: no colour");
    let (_, never, _) = diff(&[STAGING, "--live-dir", LIVE, "--color", "never"]);
    assert_eq!(never, plain);
    let (_, always, _) = diff(&[STAGING, "--live-dir", LIVE, "--color", "always"]);
    assert!(
        always.contains("\x1b[31m-        image: sploot/auth-service:2.13.1\x1b[0m"),
        "{always}"
    );
    assert!(
        always.contains("\x1b[32m+        image: sploot/auth-service:2.14.0-python3.11-cpu\x1b[0m")
    );
    let (_, no_color, _) = rollout(
        &root(),
        &["diff", STAGING, "--live-dir", LIVE],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(no_color, plain);
}

#[test]
fn ignore_rules_remove_fields_from_the_comparison() {
    let (code, out, _) = diff(&[
        STAGING,
        "--live-dir",
        LIVE,
        "--output",
        "json",
        "--ignore",
        "apps/Deployment:/spec/template/spec/containers/*/image",
        "--ignore",
        "Deployment:/metadata/annotations/rollout.sploot.io~1base-image",
    ]);
    assert_eq!(code, 1);
    let paths: Vec<String> = change_set(&out)
        .into_iter()
        .map(|(id, p, _)| format!("{id} {p}"))
        .collect();
    assert_eq!(
        paths,
        [
            "apps.v1.Deployment.media.auth spec.template.spec.containers[name=auth].env[name=ENABLE_EMBEDDING_EVENT_STREAMS]",
            "apps.v1.Deployment.media.embedder spec.template.spec.containers[name=embedder].env[name=ENABLE_EMBEDDING_EVENT_STREAMS]",
        ]
    );
    let (code, _, err) = diff(&[STAGING, "--live-dir", LIVE, "--ignore", "Deployment"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: invalid --ignore \"Deployment\": missing ':' (expected KIND:POINTER or GROUP/KIND:POINTER, e.g. Deployment:/spec/replicas)\n"
    );
}

/// Writes the staging render with extra edits into a temp file.
fn edited(dir: &std::path::Path, edit: impl Fn(&mut Vec<Value>)) -> String {
    let text = std::fs::read_to_string(root().join(STAGING)).unwrap();
    let mut docs: Vec<Value> =
        rollout::resource::parse_resources(&text, std::path::Path::new(STAGING))
            .unwrap()
            .into_iter()
            .map(|r| r.value)
            .collect();
    edit(&mut docs);
    let p = dir.join("rendered.yaml");
    std::fs::write(&p, rollout::yaml::emit_stream(docs.iter())).unwrap();
    p.to_str().unwrap().to_string()
}

/// Issue 12: on a first rollout the live objects lack the labels and annotations rollout itself
/// writes (`<domain>/environment`, under the spec's `domain`): adding them is expected, not an
/// UNEXPECTED change; a look-alike key outside the domain still is.
#[test]
fn issue_12_rollouts_own_labels_and_annotations_are_expected() {
    let tmp = tempfile::tempdir().unwrap();
    // The cluster before the first rollout: no object carries the environment label yet.
    let live = tmp.path().join("live");
    std::fs::create_dir_all(&live).unwrap();
    let mut stripped = 0;
    for f in std::fs::read_dir(root().join(LIVE)).unwrap() {
        let f = f.unwrap().path();
        let text = std::fs::read_to_string(&f).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| {
                let own = l.trim() == "rollout.sploot.io/environment: staging";
                stripped += usize::from(own);
                !own
            })
            .collect();
        std::fs::write(live.join(f.file_name().unwrap()), kept.join("\n") + "\n").unwrap();
    }
    assert!(stripped >= 10, "{stripped}");
    let rendered = edited(tmp.path(), |docs| {
        for d in docs.iter_mut() {
            d["metadata"]["labels"]["rollout.sploot.io/environment"] = "staging".into();
            if d["kind"] == "Deployment" {
                d["spec"]["template"]["metadata"]["annotations"]["rollout.sploot.io/environment"] =
                    "staging".into();
            }
            if d["kind"] == "Service" && d["metadata"]["name"] == "auth" {
                d["metadata"]["labels"]["rollout.sploot.io.evil/x"] = "y".into();
            }
        }
    });
    let unexpected = |spec: &str| {
        let (code, _, err) = rollout(
            tmp.path(),
            &[
                "diff",
                &rendered,
                "--live-dir",
                "live",
                "--spec",
                spec,
                "--evidence-json",
                "e.json",
            ],
            &[],
        );
        assert_eq!(code, 1, "{err}");
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join("e.json")).unwrap())
                .unwrap();
        v["unexpected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                format!(
                    "{} {}",
                    u["id"].as_str().unwrap(),
                    u["path"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        unexpected(root().join("rollout.yaml").to_str().unwrap()),
        [r#"v1.Service.media.auth metadata.labels["rollout.sploot.io.evil/x"]"#]
    );
    // Without a spec there is no domain: the same labels are unexpected (each of the 12 rendered
    // objects, and the three pod templates).
    let without = unexpected("no-such-rollout.yaml");
    assert_eq!(
        without
            .iter()
            .filter(|u| u.contains(r#"["rollout.sploot.io/environment"]"#))
            .count(),
        12 + 3,
        "{without:#?}"
    );
}

#[test]
fn changes_outside_the_rollout_are_flagged_unexpected() {
    let tmp = tempfile::tempdir().unwrap();
    let rendered = edited(tmp.path(), |docs| {
        for d in docs.iter_mut() {
            if d["kind"] == "Service" && d["metadata"]["name"] == "auth" {
                d["spec"]["ports"][0]["port"] = 8080.into();
            }
            if d["kind"] == "Deployment" && d["metadata"]["name"] == "embedder" {
                d["spec"]["replicas"] = 4.into();
                d["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "0".into();
            }
        }
    });
    let js = tmp.path().join("e.json");
    let md = tmp.path().join("e.md");
    let (code, _, _) = rollout(
        tmp.path(),
        &[
            "diff",
            &rendered,
            "--live-dir",
            root().join(LIVE).to_str().unwrap(),
            "--evidence-json",
            "e.json",
            "--evidence",
            "e.md",
        ],
        &[],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(js).unwrap()).unwrap();
    assert_eq!(v["expectedOnly"], false);
    let unexpected: Vec<String> = v["unexpected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {} -> {}",
                u["id"].as_str().unwrap(),
                u["path"].as_str().unwrap(),
                u["before"],
                u["after"]
            )
        })
        .collect();
    assert_eq!(
        unexpected,
        [
            "v1.Service.media.auth spec.ports[name=http].port 80 -> 8080",
            "apps.v1.Deployment.media.embedder spec.replicas 3 -> 4",
        ]
    );
    let embedder = &v["workloads"][1]["containers"][0];
    assert_eq!(
        embedder["flag"],
        rollout::json!({"before": null, "after": "0"}),
        "the flag's value is evidence, not an unexpected change"
    );
    let md = std::fs::read_to_string(md).unwrap();
    assert!(
        md.contains(
            "- **UNEXPECTED** `v1.Service.media.auth` `spec.ports[name=http].port`: `80` → `8080`"
        ),
        "{md}"
    );
    assert!(
        md.contains("| `apps.v1.Deployment.media.embedder` | `embedder` | absent | `\"0\"` |"),
        "{md}"
    );
}

#[test]
fn secret_values_never_printed_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let rendered = edited(tmp.path(), |docs| {
        docs.push(rollout::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "media-redis", "namespace": "media",
                "labels": {"app.kubernetes.io/part-of": "media-clustering-pipeline"},
                "annotations": {"media.sploot.io/rotated-from": "S3cr3t-Redis-Pass"}},
            "stringData": {"password": "N3w-Redis-Pass-2026",
                "url": "redis://:N3w-Redis-Pass-2026@redis-master.media:6379/0"},
        }));
    });
    let live = root().join(LIVE);
    let args = [
        "diff",
        &rendered,
        "--live-dir",
        live.to_str().unwrap(),
        "--prune-selector",
        "app.kubernetes.io/part-of=media-clustering-pipeline",
        "--evidence",
        "e.md",
        "--evidence-json",
        "e.json",
    ];
    let (code, text, err) = rollout(tmp.path(), &args, &[]);
    assert_eq!(code, 1, "{err}");
    let mut json_args = args.to_vec();
    json_args.extend(["--output", "json"]);
    let (_, json, _) = rollout(tmp.path(), &json_args, &[]);
    let md = std::fs::read_to_string(tmp.path().join("e.md")).unwrap();
    let ej = std::fs::read_to_string(tmp.path().join("e.json")).unwrap();
    for out in [&text, &json, &md, &ej, &err] {
        for secret in [
            "S3cr3t-Redis-Pass",
            "UzNjcjN0LVJlZGlzLVBhc3M",
            "N3w-Redis-Pass-2026",
            "TjN3LVJlZGlz",
            "cmVkaXM6Ly",
        ] {
            assert!(!out.contains(secret), "secret {secret} printed:\n{out}");
        }
    }
    for line in [
        "-  password: '*** (before)'",
        "-  url: '*** (before)'",
        "+  password: '*** (after)'",
        "+  url: '*** (after)'",
        "+    media.sploot.io/rotated-from: '***'",
    ] {
        assert!(
            text.contains(&format!("\n{line}\n")),
            "{line} missing:\n{text}"
        );
    }
    let v: Value = serde_json::from_str(&json).unwrap();
    let secret = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Secret")
        .unwrap();
    let paths: Vec<&str> = secret["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            r#"data.password"#,
            r#"data.url"#,
            r#"metadata.annotations["media.sploot.io/rotated-from"]"#
        ]
    );
    // The leftover ConfigMap is a prune candidate; the rendered Secret is not.
    assert!(
        text.contains("diff v1.ConfigMap.media.embedder-legacy-config (would be pruned)"),
        "{text}"
    );
}

#[test]
fn input_errors_exit_2_with_a_location() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("bad.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    )
    .unwrap();
    let live = root().join(LIVE);
    let (code, out, err) = rollout(
        tmp.path(),
        &["diff", "bad.yaml", "--live-dir", live.to_str().unwrap()],
        &[],
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.starts_with("error: bad.yaml:5:3: duplicate key \"name\" (first at line 4)\n"),
        "{err}"
    );
    let (code, _, err) = rollout(&root(), &["diff", STAGING, "--live-dir", "nowhere"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read directory nowhere: "),
        "{err}"
    );
    let (code, _, err) = rollout(
        &root(),
        &[
            "diff",
            STAGING,
            "--live-dir",
            LIVE,
            "--prune-selector",
            "a=b c",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: invalid label selector \"a=b c\": \"b c\" is not a valid label value\n"
    );
}

#[test]
fn a_kustomization_directory_renders_like_its_kubectl_output() {
    // The engine's build of the overlay and kubectl kustomize's output of it give the same diff.
    let from_dir = rollout(
        &root(),
        &["diff", "fixtures/diff/overlays/staging", "--live-dir", LIVE],
        &[],
    );
    let from_file = rollout(
        &root(),
        &[
            "diff",
            "fixtures/diff/rendered-staging.yaml",
            "--live-dir",
            LIVE,
        ],
        &[],
    );
    assert_eq!(from_dir.0, 1, "{}", from_dir.2);
    assert_eq!(from_dir, from_file);
}

#[test]
fn rendered_objects_need_kind_and_name() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("r.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: media\n",
    )
    .unwrap();
    let live = root().join(LIVE);
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", "r.yaml", "--live-dir", live.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: r.yaml:3:1: rendered object has no metadata.name\n"
    );
}

#[test]
fn rollback_overlay_turns_the_flag_to_zero_and_nothing_else() {
    // Live state after the rollout: the staging render as applied (a snapshot made of it).
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("live")).unwrap();
    std::fs::copy(root().join(STAGING), tmp.path().join("live/applied.yaml")).unwrap();
    let rollback = root().join("fixtures/diff/rendered-staging-rollback.yaml");
    let (code, _, err) = rollout(
        tmp.path(),
        &[
            "diff",
            rollback.to_str().unwrap(),
            "--live-dir",
            "live",
            "--evidence-json",
            "e.json",
        ],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("e.json")).unwrap()).unwrap();
    assert_eq!(v["expectedOnly"], true);
    assert_eq!(
        v["changes"],
        rollout::json!([
            {"resource": "apps/v1/Deployment/media/auth", "container": "auth",
             "name": "ENABLE_EMBEDDING_EVENT_STREAMS", "before": "1", "after": "0"},
            {"resource": "apps/v1/Deployment/media/embedder", "container": "embedder",
             "name": "ENABLE_EMBEDDING_EVENT_STREAMS", "before": "1", "after": "0"},
        ])
    );
    let images: Vec<&Value> = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["containers"][0]["image"])
        .collect();
    assert!(
        images.iter().all(|i| i["before"] == i["after"]),
        "images stay on the new builds: {images:?}"
    );
}

/// Issue 12: an `--ignore` rule whose kind does not exist would silently ignore nothing: it is
/// refused (exit 2) with the close spelling; kinds of the rendered set (custom resources) and `*`
/// are accepted; the pointer must start with `/`.
#[test]
fn issue_12_ignore_rules_with_an_unknown_kind_are_refused() {
    let ignore = |rule: &str| diff(&[STAGING, "--live-dir", LIVE, "--ignore", rule]);
    let (code, out, err) = ignore("Deploymnt:/spec/replicas");
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "error: invalid --ignore \"Deploymnt:/spec/replicas\": unknown kind \"Deploymnt\", neither \
         a built-in Kubernetes kind nor one rendered; did you mean \"Deployment\"? (expected \
         KIND:POINTER or GROUP/KIND:POINTER, e.g. Deployment:/spec/replicas)\n"
    );
    let (code, _, err) = ignore("apps/deployment:/spec/replicas");
    assert_eq!(code, 2);
    assert!(err.contains("did you mean \"Deployment\"?"), "{err}");
    let (code, _, err) = ignore("Gizmo:/spec/replicas");
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "unknown kind \"Gizmo\", neither a built-in Kubernetes kind nor one rendered (expected"
        ),
        "{err}"
    );
    let (code, _, err) = ignore("Deployment:spec/replicas");
    assert_eq!(code, 2);
    assert!(err.contains("the pointer must start with '/'"), "{err}");
    for ok in [
        "Deployment:/spec/replicas",
        "*:/metadata/labels",
        "apps/Deployment:/spec",
    ] {
        let (code, _, err) = ignore(ok);
        assert_eq!(code, 1, "{ok}: {err}");
    }

    // A custom resource's kind is known once it is rendered.
    let tmp = tempfile::tempdir().unwrap();
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: media\nspec:\n  size: 1\n";
    std::fs::write(tmp.path().join("w.yaml"), widget).unwrap();
    std::fs::create_dir_all(tmp.path().join("live")).unwrap();
    std::fs::write(
        tmp.path().join("live/w.yaml"),
        widget.replace("size: 1", "size: 2"),
    )
    .unwrap();
    let (code, _, err) = rollout(
        tmp.path(),
        &[
            "diff",
            "w.yaml",
            "--live-dir",
            "live",
            "--ignore",
            "Widget:/spec/size",
        ],
        &[],
    );
    assert_eq!(code, 0, "the rule applies: no drift left; {err}");
}

/// Issue 16: the rendered file is read without node positions; a message that needs one still
/// points at the document's line.
#[test]
fn a_twice_rendered_object_is_named_at_both_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: media\n";
    std::fs::write(
        tmp.path().join("r.yaml"),
        format!("# rendered\n{cm}---\n{cm}"),
    )
    .unwrap();
    let live = root().join(LIVE);
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", "r.yaml", "--live-dir", live.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: r.yaml:8:1: v1.ConfigMap.media.a is rendered twice (first at r.yaml:2:1)\n"
    );
}
