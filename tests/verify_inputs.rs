//! `rollout verify` on inputs found in an audit of issue 13: Secrets where their layout does not
//! show them (a `List` item, a generator literal), one-line files with many findings, CRDs that
//! serve nothing or not what a resource asks for, the core group written out, unquoted waiver
//! dates, projected volumes, SARIF's base URI, and the API server's Secret and ConfigMap checks.
//! Every input is written here; nothing is read from elsewhere.

mod support;

use assert_cmd::Command;

fn verify(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("rollout")
        .expect("binary builds")
        .env_clear()
        .current_dir(dir)
        .arg("verify")
        .args(args)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const SECRET: &str = "hunter2-SuperSecretValue-XYZ";

#[test]
fn secret_values_stay_hidden_in_lists_and_generator_literals() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A Secret as a List item, with a duplicate key (the file does not parse), block and flow.
    write(
        d,
        "list.yaml",
        &format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {{name: s}}\n  stringData:\n    password: {SECRET}\n    password: {SECRET}\n"
        ),
    );
    write(
        d,
        "flow.yaml",
        &format!(
            "apiVersion: v1\nkind: List\nitems:\n- {{apiVersion: v1, kind: \"Secret\", metadata: {{name: s}}, stringData: {{password: {SECRET}, password: {SECRET}}}}}\n"
        ),
    );
    for f in ["list.yaml", "flow.yaml"] {
        let (code, out) = verify(d, &[f]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("duplicate-key"), "{out}");
        assert!(
            !out.contains(SECRET) && !out.contains("hunter2"),
            "{f}: {out}"
        );
    }
    // A secretGenerator literal that is not key=value: the literal is not shown.
    let k = d.join("gen");
    write(
        &k,
        "kustomization.yaml",
        &format!("secretGenerator:\n- name: db\n  literals: [\"{SECRET}\"]\n"),
    );
    let (code, out) = verify(&k, &["."]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("invalid literal #1 (value not shown)"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
    // A ConfigMap literal is shown as written.
    write(
        &k,
        "kustomization.yaml",
        "configMapGenerator:\n- name: cfg\n  literals: [\"plain\"]\n",
    );
    let (_, out) = verify(&k, &["."]);
    assert!(
        out.contains("invalid literal \\\"plain\\\"") || out.contains("invalid literal \"plain\""),
        "{out}"
    );
}

#[test]
fn a_one_line_file_with_many_findings_shows_a_window_of_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let alerts: Vec<String> = (0..300)
        .map(|i| format!("{{\"labels\": {{\"alertname\": \"A{i}\", \"x-y\": \"1\"}}}}"))
        .collect();
    write(
        dir.path(),
        "alerts.json",
        &format!("[{}]\n", alerts.join(", ")),
    );
    let (code, out) = verify(dir.path(), &["alerts.json", "--type", "alerts"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("error[alert-label-name-invalid]").count(), 300);
    let longest = out.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 200, "a line of {longest} characters");
    // The caret still points at the label: the window holds it at the caret's column.
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .rposition(|l| l.contains("alerts.json:1:"))
        .unwrap();
    let at = lines[i]
        .rsplit(':')
        .next()
        .unwrap()
        .trim()
        .parse::<usize>()
        .unwrap();
    assert!(at > 1000, "a late finding ({at})");
    let (src, caret) = (lines[i + 2], lines[i + 3]);
    let col = caret.find('^').unwrap();
    assert!(src.contains('…'), "{src}");
    let under: String = src.chars().skip(col).collect();
    assert!(under.starts_with("\"x-y\""), "{src}\n{caret}");
    assert!(out.len() < 300 * 800, "{} bytes", out.len());
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: streams.media.example.com}\nspec:\n  group: media.example.com\n  names: {kind: Stream, plural: streams}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n";

#[test]
fn crds_without_schemas_and_resources_they_do_not_serve_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "bare/crd.yaml", CRD);
    let (code, out) = verify(d, &["bare/crd.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required"
        ),
        "{out}"
    );
    let schema = "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}\n";
    write(d, "ok/crd.yaml", &format!("{CRD}{schema}"));
    write(
        d,
        "ok/cr.yaml",
        "apiVersion: media.example.com/v2\nkind: Stream\nmetadata: {name: s, namespace: m}\n---\napiVersion: media.example.com/v1\nkind: stream\nmetadata: {name: t, namespace: m}\n---\napiVersion: media.example.com/v1\nkind: Stream\nmetadata: {name: u, namespace: m}\n",
    );
    let (code, out) = verify(d, &["ok"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[crd-not-served]: no matches for kind \"Stream\" in version \"media.example.com/v2\": its CustomResourceDefinition serves v1"), "{out}");
    assert!(out.contains("error[crd-not-served]: no matches for kind \"stream\" in version \"media.example.com/v1\"; did you mean \"Stream\"?"), "{out}");
    assert_eq!(
        out.matches("error[").count(),
        2,
        "the served one is clean: {out}"
    );
    // The core group has no name.
    write(
        d,
        "core.yaml",
        "apiVersion: core/v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    let (code, out) = verify(d, &["core.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[api-unknown-version]: core/v1 is not a version"),
        "{out}"
    );
}

#[test]
fn secrets_and_config_maps_are_checked_as_the_api_server_checks_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "data.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: a, namespace: m}}\ndata:\n  broken: \"{SECRET}!\"\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: b, namespace: m}}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: m}}\ndata:\n  Bad Key: v\n"
        ),
    );
    let (code, out) = verify(d, &["data.yaml", "--policy", "off"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("data.broken: Invalid value: illegal base64 data at input byte 7"),
        "{out}"
    );
    assert!(out.contains("data.tls.key: Required value"), "{out}");
    assert!(
        out.contains("data.Bad Key: Invalid value: \"Bad Key\": a valid config key"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
}

#[test]
fn unquoted_waiver_dates_projected_volumes_and_sarif_base() {
    let repo = support::repo::TempRepo::new();
    let spec = repo.read("rollout.yaml");
    assert!(spec.contains("expires: \"2027-03-31\""));
    repo.write(
        "rollout.yaml",
        &spec.replace("expires: \"2027-03-31\"", "expires: 2027-03-31"),
    );
    let (code, out) = verify(repo.path(), &["overlays/staging"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("waived until 2027-03-31").count(), 6, "{out}");
    // A projected volume's ConfigMap that is not in the render.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: m}\nspec:\n  containers: [{name: c, image: \"busybox:1.36\"}]\n  volumes:\n  - name: v\n    projected:\n      sources:\n      - configMap: {name: proj-missing}\n      - secret: {name: proj-secret, optional: true}\n",
    );
    write(dir.path(), "kustomization.yaml", "resources: [pod.yaml]\n");
    let (_, out) = verify(dir.path(), &["."]);
    assert!(
        out.contains("ConfigMap \"proj-missing\" is referenced but not in the render"),
        "{out}"
    );
    assert!(!out.contains("proj-secret"), "optional: {out}");
    // SARIF: the base the relative paths resolve against is an absolute directory URI.
    let (_, sarif) = verify(dir.path(), &["pod.yaml", "--output", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let base = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
}

#[test]
fn a_kustomization_hides_no_file_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "app/kustomization.yaml",
        "resources: [cm.yaml]\npatches: [{path: patch.yaml}]\n",
    );
    write(
        d,
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    );
    // A patch is partial on purpose: it is read by the build, so it is not checked on its own.
    write(
        d,
        "app/patch.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {b: c}\n",
    );
    write(d, "app/junk.yaml", "foo: bar\n");
    write(
        d,
        "app/old-ingress.yaml",
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\n",
    );
    write(d, "app/dashboards/bad.json", "{\"panels\": []}\n");
    // A kustomization beside it that nothing uses is rendered on its own.
    write(d, "app/unused/kustomization.yaml", "resources: [x.yaml]\n");
    write(
        d,
        "app/unused/x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 1}\n",
    );
    let (code, out) = verify(d, &["app"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("app/junk.yaml: not recognised"), "{out}");
    assert!(
        out.contains("error[api-removed]: extensions/v1beta1 Ingress was removed"),
        "{out}"
    );
    assert!(out.contains("error[dashboard-title-missing]"), "{out}");
    assert!(out.contains("app/unused (kustomization"), "{out}");
    assert!(
        !out.contains("app/patch.yaml (") && !out.contains("app/cm.yaml ("),
        "{out}"
    );
    // The same kustomization with only what it uses is clean.
    for f in [
        "junk.yaml",
        "old-ingress.yaml",
        "dashboards/bad.json",
        "unused/x.yaml",
        "unused/kustomization.yaml",
    ] {
        std::fs::remove_file(d.join("app").join(f)).unwrap();
    }
    let (code, out) = verify(d, &["app"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_crd_pattern_the_api_server_cannot_compile_is_an_error_at_the_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let crd = |pattern: &str| {
        format!(
            "{CRD}    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              id: {{type: string, pattern: '{pattern}'}}\n"
        )
    };
    for (pattern, why) in [
        ("([a-z", "must be a valid regular expression, but isn't"),
        ("a{1001}", "invalid repeat count: `{1001}`"),
    ] {
        write(dir.path(), "crd.yaml", &crd(pattern));
        let (code, out) = verify(dir.path(), &["crd.yaml"]);
        assert_eq!(code, 1, "{out}");
        let line = out
            .lines()
            .find(|l| l.starts_with("error[crd-structural]"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.contains("spec.id.pattern: Invalid value"), "{line}");
        assert!(line.contains(why), "{line}");
        assert!(!out.contains("x-rollout"), "{out}");
        assert!(out.contains("crd.yaml:19:"), "at the pattern's line: {out}");
    }
    // The Kubernetes dialect compiles.
    write(dir.path(), "crd.yaml", &crd("(?i)^[a-z]{1,1000}\\z"));
    let (code, out) = verify(dir.path(), &["crd.yaml"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn one_error_per_cause_and_a_walk_that_meets_any_file_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `$prom` and `${prom}` are one missing variable.
    write(
        d,
        "dash.json",
        r#"{"title": "t", "uid": "abc", "schemaVersion": 39, "panels": [
 {"id": 1, "type": "timeseries", "title": "a", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}, "datasource": "${prom}"},
 {"id": 2, "type": "timeseries", "title": "b", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}, "datasource": "$prom"}]}
"#,
    );
    let (code, out) = verify(d, &["dash.json", "--type", "dashboard"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.matches("error[datasource-unresolved]").count(),
        1,
        "{out}"
    );
    assert!(out.contains("(also at panels[1].datasource)"), "{out}");
    // A Deployment without a pod template: the schema's error only, no selector mismatch.
    write(
        d,
        "w/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: m}\nspec:\n  selector: {matchLabels: {app: web}}\n",
    );
    let (_, out) = verify(d, &["w/deploy.yaml"]);
    assert_eq!(out.matches("error[").count(), 1, "{out}");
    assert!(out.contains("schema-required"), "{out}");
    // A walk over a binary file and a broken YAML file reports both and checks the rest.
    write(
        d,
        "walk/good.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    );
    write(d, "walk/notes.yaml", "title: x\nitems: [1\n");
    std::fs::write(d.join("walk/bin.yaml"), [0xff_u8, 0xfe, 0x00, 0x9c, 0x80]).unwrap();
    let (code, out) = verify(d, &["walk"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[input-unreadable]: walk/bin.yaml: cannot read"),
        "{out}"
    );
    assert!(
        out.contains("error[yaml-syntax]") && out.contains("walk/notes.yaml:2:"),
        "{out}"
    );
    assert!(out.contains("walk/good.yaml (manifests"), "{out}");
}

#[test]
fn control_characters_in_a_quoted_line_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nul.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: 1, \u{0}b: 2}\n",
    )
    .unwrap();
    let (code, out) = verify(dir.path(), &["nul.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains('\u{0}'), "{out:?}");
    let src = out.lines().find(|l| l.starts_with(" 4 | ")).unwrap();
    let caret = out
        .lines()
        .find(|l| l.trim_start().starts_with("| ") && l.contains('^'))
        .unwrap();
    // The replacement keeps the caret under the character it points at.
    let col = caret.find('^').unwrap();
    assert_eq!(src.chars().nth(col), Some('\u{FFFD}'), "{src}\n{caret}");
}

/// A CRD whose rule on `spec` is `rule`, and a resource with `spec.a: 2`.
fn crd_with_rule(rule: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: ws.x.io}}\nspec:\n  group: x.io\n  names: {{kind: W, plural: ws, singular: w, listKind: WList}}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              a: {{type: integer}}\n            x-kubernetes-validations:\n            - rule: '{rule}'\n---\napiVersion: x.io/v1\nkind: W\nmetadata: {{name: w}}\nspec: {{a: 2}}\n"
    )
}

/// Rules nested as deep as the API server's parser reads (cel-go: 250 levels of one grammar rule)
/// compile and run, in this debug build too: 240 parentheses and 240 nested lists (the `cel`
/// crate's own limit was 96, and its parser overflowed a 8 MB stack at 60 levels in debug builds).
/// Deeper ones are refused with the parser's limit, and nothing overflows.
#[test]
fn deeply_nested_rules_compile_as_the_api_server_parses_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 240;
    let parens = format!("{}self.a == 1{}", "(".repeat(n), ")".repeat(n));
    let lists = format!("size({}1{}) == 2", "[".repeat(n), "]".repeat(n));
    write(d, "parens.yaml", &crd_with_rule(&parens));
    write(d, "lists.yaml", &crd_with_rule(&lists));
    for f in ["parens.yaml", "lists.yaml"] {
        let (code, out) = verify(d, &["--policy", "off", f]);
        assert_eq!(code, 1, "{out}");
        // The rule ran and is false for a: 2 (and a one-element list): one rule failure, no
        // compile error.
        assert!(out.contains("error[cel-rule]"), "{f}: {out}");
        assert!(!out.contains("crd-rule-compile"), "{f}: {out}");
        assert!(out.contains("1 error,"), "{f}: {out}");
    }
    let deep = format!("{}self.a == 1{}", "(".repeat(300), ")".repeat(300));
    write(d, "deep.yaml", &crd_with_rule(&deep));
    let (code, out) = verify(d, &["--policy", "off", "deep.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[crd-rule-compile]") && out.contains("over the parser's limit of 250"),
        "{out}"
    );
}

/// An empty file is empty whatever its extension (named: nothing to verify, exit 2; walked: a
/// note), and a file that does not parse is its syntax error at its place, YAML as JSON, named or
/// walked (exit 1). A lone UTF-16 surrogate escape in JSON reads as U+FFFD, as Go reads it.
#[test]
fn empty_and_broken_files_are_judged_alike_whatever_their_extension() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "empty.json", " \n");
    write(d, "empty.yaml", "# nothing\n");
    for f in ["empty.json", "empty.yaml"] {
        let (code, out) = verify(d, &[f]);
        assert_eq!(code, 2, "{out}");
        assert!(
            out.contains(&format!(
                "{f}: is empty (only blank lines or comments): nothing to verify"
            )),
            "{out}"
        );
    }
    write(d, "walk/empty.json", "");
    write(d, "walk/empty.yaml", "");
    let (code, out) = verify(d, &["walk"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("note[input-empty]").count(), 2, "{out}");

    write(
        d,
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata: [\n",
    );
    write(d, "broken.json", "{\"apiVersion\": \"v1\",}\n");
    let (code, out) = verify(d, &["broken.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[yaml-syntax]") && out.contains("broken.yaml:3:7"),
        "{out}"
    );
    let (code, out) = verify(d, &["broken.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[json-syntax]") && out.contains("broken.json:1:"),
        "{out}"
    );

    write(
        d,
        "dash.json",
        r#"{"title": "x\ud800", "uid": "u", "schemaVersion": 39, "panels": []}"#,
    );
    let (code, out) = verify(d, &["dash.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(dashboard,"), "{out}");
}

/// A one-line dashboard of 3,000 panels on one spot: every panel but the first is warned once,
/// naming the first, and every snippet is a short window of the line. (Each panel was compared
/// with every other, and every finding copied the whole line: 50,000 such panels took 426 s and
/// 1.2 GB; the sweep and the column index take 1.9 s and 352 MB.)
#[test]
fn a_one_line_pile_of_panels_is_warned_once_each_in_linear_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let panels: Vec<String> = (0..3000)
        .map(|i| {
            format!(
                r#"{{"id": {}, "type": "timeseries", "title": "p{i}", "gridPos": {{"x": 0, "y": 0, "w": 24, "h": 8}}}}"#,
                i + 1
            )
        })
        .collect();
    write(
        d,
        "pile.json",
        &format!(
            r#"{{"title": "pile", "uid": "pile", "schemaVersion": 39, "panels": [{}]}}"#,
            panels.join(", ")
        ),
    );
    let (code, out) = verify(d, &["--policy", "off", "pile.json"]);
    assert_eq!(code, 0, "{}", &out[..out.len().min(2000)]);
    assert_eq!(out.matches("warning[gridpos-overlap]").count(), 2999);
    assert_eq!(
        out.matches("covers exactly the same area as panels[0]")
            .count(),
        2999
    );
    assert!(out.lines().all(|l| l.chars().count() <= 200));
}
