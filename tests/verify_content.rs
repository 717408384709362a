//! `rollout verify` on content inputs (issue 13): strict JSON for `.json` files, dashboards and
//! alert payloads as Grafana and Alertmanager take them, directory mode that passes no file it cannot
//! classify, and one-line bounded messages.

mod support;

use std::path::{Path, PathBuf};

use rollout::verify::{Report, Severity, VerifyOptions};
use serde_json::{Value, json};

fn verify_paths(paths: &[PathBuf], strict: bool) -> Report {
    rollout::verify::run(&VerifyOptions {
        paths: paths.to_vec(),
        strict,
        ..VerifyOptions::default()
    })
    .expect("verify runs")
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// (code, file:line:col) of every diagnostic, in report order.
fn codes_at(r: &Report) -> Vec<(String, String)> {
    r.diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.span.as_ref().unwrap().describe()))
        .collect()
}

/// (code, severity, file:line:col) of every error and warning.
fn located(r: &Report) -> Vec<(String, Severity, String)> {
    r.diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .map(|d| {
            let at = d.span.as_ref().map(|s| s.describe()).unwrap_or_default();
            (d.code.clone(), d.severity, at)
        })
        .collect()
}

const DASHBOARD: &str = r#"{
  "title": "t",
  "uid": "abc",
  "schemaVersion": 39,
  "panels": [
    {"id": 1, "type": "stat", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}}
  ]
}
"#;

#[test]
fn json_files_are_strict_json_with_the_error_at_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    // (name, mistake replacing a line of DASHBOARD, line, column)
    let cases = [
        (
            "trailing comma",
            ("\"schemaVersion\": 39,", "\"schemaVersion\": 39,,"),
            4,
            23,
        ),
        (
            "hash comment",
            ("\"uid\": \"abc\",", "# a comment\n  \"uid\": \"abc\","),
            3,
            3,
        ),
        ("unquoted key", ("\"uid\": \"abc\",", "uid: \"abc\","), 3, 3),
        (
            "single quotes",
            ("\"uid\": \"abc\",", "\"uid\": 'abc',"),
            3,
            10,
        ),
        ("trailing comma in array", ("}}\n  ]", "}},\n  ]"), 7, 3),
    ];
    for (name, (from, to), line, col) in cases {
        assert!(DASHBOARD.contains(from), "{name}");
        let text = DASHBOARD.replacen(from, to, 1);
        let file = write(
            dir.path(),
            &format!("dashboards/{}.json", name.replace(' ', "-")),
            &text,
        );
        let r = verify_paths(std::slice::from_ref(&file), true);
        assert_eq!(
            located(&r),
            vec![(
                "json-syntax".to_string(),
                Severity::Error,
                format!("{}:{line}:{col}", file.display())
            )],
            "{name}: {:?}",
            r.diagnostics
        );
        assert!(r.failed());
    }
    // The clean dashboard passes, so each failure above is the mistake alone.
    let file = write(dir.path(), "dashboards/clean.json", DASHBOARD);
    let r = verify_paths(&[file], true);
    assert!(!r.failed(), "{:?}", r.diagnostics);
}

#[test]
fn a_manifest_in_json_is_json_and_the_same_text_in_yaml_is_yaml() {
    let dir = tempfile::tempdir().unwrap();
    // A trailing comma in a flow mapping is valid YAML.
    let text =
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"x\"},}\n";
    let yaml = write(dir.path(), "cm.yaml", text);
    let json = write(dir.path(), "cm.json", text);
    assert!(!verify_paths(&[yaml], true).failed());
    let r = verify_paths(std::slice::from_ref(&json), true);
    assert_eq!(
        located(&r),
        vec![(
            "json-syntax".to_string(),
            Severity::Error,
            format!("{}:1:69", json.display())
        )]
    );
    // The message says what is wrong on one line, without serde's own "at line" suffix.
    let message = &r.diagnostics[0].message;
    assert_eq!(
        message,
        "invalid JSON: trailing comma (JSON allows no comma after the last item)"
    );
}

#[test]
fn findings_in_valid_json_are_located_even_with_tabs() {
    let dir = tempfile::tempdir().unwrap();
    // Tab indentation is JSON but not YAML: positions come from the JSON reader.
    let text = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"ConfigMap\",\n\t\"metadata\": {\"name\": \"x\"},\n\t\"data\": {\n\t\t\"A\": 1\n\t}\n}\n";
    let file = write(dir.path(), "cm.json", text);
    let r = verify_paths(std::slice::from_ref(&file), true);
    assert_eq!(
        located(&r),
        vec![(
            "schema-type".to_string(),
            Severity::Error,
            format!("{}:6:3", file.display())
        )]
    );
    // A list in JSON: the bad item is located inside it.
    let list = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}},\n  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"b\"}, \"data\": {\"A\": true}}\n]}\n";
    let file = write(dir.path(), "list.json", list);
    let r = verify_paths(std::slice::from_ref(&file), true);
    assert_eq!(
        located(&r),
        vec![(
            "schema-type".to_string(),
            Severity::Error,
            format!("{}:3:81", file.display())
        )]
    );
}

#[test]
fn repeated_keys_in_json_fail_strict_and_the_last_wins_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    // The first value is wrong, the last is right: Go's encoding/json keeps the last.
    let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"x\"},\n  \"data\": {\"A\": 1},\n  \"data\": {\"A\": \"1\"}\n}\n";
    let file = write(dir.path(), "cm.json", text);
    let at = format!("{}:6:3", file.display());
    let strict = verify_paths(std::slice::from_ref(&file), true);
    assert_eq!(
        located(&strict),
        vec![("duplicate-key".to_string(), Severity::Error, at.clone())]
    );
    assert_eq!(
        strict.diagnostics[0].message,
        "duplicate key \"data\" (first at line 5)"
    );
    let lenient = verify_paths(std::slice::from_ref(&file), false);
    assert_eq!(
        located(&lenient),
        vec![("duplicate-key".to_string(), Severity::Warning, at)]
    );
    // The other way round, the kept (last) value is the wrong one and is reported where it is.
    let swapped = text
        .replace("{\"A\": 1}", "{\"A\": \"tmp\"}")
        .replace("{\"A\": \"1\"}", "{\"A\": 1}");
    let file = write(dir.path(), "swapped.json", &swapped);
    let lenient = verify_paths(std::slice::from_ref(&file), false);
    assert_eq!(
        located(&lenient),
        vec![
            (
                "duplicate-key".to_string(),
                Severity::Warning,
                format!("{}:6:3", file.display())
            ),
            (
                "schema-type".to_string(),
                Severity::Error,
                format!("{}:6:12", file.display())
            ),
        ]
    );
}

#[test]
fn an_unparseable_json_file_with_no_clue_is_its_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "data/x.json", "{\n  note: 1\n}\n");
    for paths in [vec![file.clone()], vec![dir.path().join("data")]] {
        let r = verify_paths(&paths, true);
        assert_eq!(
            located(&r),
            vec![(
                "json-syntax".to_string(),
                Severity::Error,
                format!("{}:2:3", file.display())
            )],
            "{paths:?}"
        );
    }
}

#[test]
fn dashboards_grafana_loads_pass_with_warnings_and_v2_resources_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let quirky = DASHBOARD
        .replace("\"uid\": \"abc\",", "\"uid\": \"\",\n  \"rows\": null,")
        .replace("{\"x\": 0, ", "{");
    let file = write(dir.path(), "dashboards/quirky.json", &quirky);
    let r = verify_paths(std::slice::from_ref(&file), true);
    assert!(!r.failed(), "{:?}", r.diagnostics);
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        ["dashboard-uid-missing", "legacy-rows", "gridpos-incomplete"]
    );
    // A v2 resource in YAML outside dashboards/ is recognised by content and checked.
    let v2 = "apiVersion: dashboard.grafana.app/v2beta1\nkind: Dashboard\nmetadata: {name: m}\nspec:\n  title: M\n  elements:\n    p1: {kind: Panel, spec: {id: 1, title: a, vizConfig: {kind: VizConfig, group: stat}}}\n  layout:\n    kind: GridLayout\n    spec:\n      items:\n        - kind: GridLayoutItem\n          spec: {x: 0, y: 0, width: 12, height: 8, element: {kind: ElementReference, name: p2}}\n";
    let file = write(dir.path(), "m.yaml", v2);
    let r = verify_paths(std::slice::from_ref(&file), true);
    assert_eq!(r.inputs[0].kind.as_str(), "dashboard");
    assert_eq!(
        located(&r),
        vec![
            (
                "element-unused".to_string(),
                Severity::Warning,
                format!("{}:7:5", file.display())
            ),
            (
                "layout-element-unresolved".to_string(),
                Severity::Error,
                format!("{}:13:86", file.display())
            ),
        ]
    );
}

/// Each payload goes to a real Alertmanager 0.25 and through `verify`'s check: the server accepts
/// it exactly when the check finds no error (extra fields such as `status` and `fingerprint`
/// included), and a refusal is an error naming the field.
#[test]
fn alert_payloads_are_judged_as_the_real_alertmanager_judges_them() {
    let am = support::alertmanager::Alertmanager::start();
    let a = |extra: Value| {
        let mut alert = json!({"labels": {"alertname": "VerifyProbe"}});
        for (k, v) in extra.as_object().unwrap() {
            alert[k] = v.clone();
        }
        json!([alert])
    };
    let cases: Vec<(&str, Value)> = vec![
        ("minimal", a(json!({}))),
        (
            "status and fingerprint",
            a(json!({"status": {"state": "active"}, "fingerprint": "abc"})),
        ),
        (
            "receivers and updatedAt",
            a(json!({"receivers": [{"name": "x"}], "updatedAt": "2020-01-01T00:00:00Z"})),
        ),
        ("typo startAt", a(json!({"startAt": "x"}))),
        ("labels empty", json!([{"labels": {}}])),
        ("only empty label values", json!([{"labels": {"a": ""}}])),
        (
            "one empty label value",
            json!([{"labels": {"alertname": "A", "b": ""}}]),
        ),
        ("labels missing", json!([{"annotations": {}}])),
        ("labels null", json!([{"labels": null}])),
        ("label name with dash", json!([{"labels": {"a-b": "x"}}])),
        ("label name unicode", json!([{"labels": {"é": "x"}}])),
        ("annotation name", a(json!({"annotations": {"1x": "y"}}))),
        (
            "annotation value number",
            a(json!({"annotations": {"x": 1}})),
        ),
        ("label value number", json!([{"labels": {"alertname": 1}}])),
        (
            "ends before starts",
            a(json!({"startsAt": "2026-11-27T10:00:00Z", "endsAt": "2026-11-27T09:00:00Z"})),
        ),
        (
            "equal times",
            a(json!({"startsAt": "2026-11-27T10:00:00Z", "endsAt": "2026-11-27T10:00:00Z"})),
        ),
        (
            "time with a space",
            a(json!({"startsAt": "2026-11-27 10:00"})),
        ),
        (
            "time without offset",
            a(json!({"startsAt": "2026-11-27T10:00:00"})),
        ),
        (
            "time lowercase",
            a(json!({"startsAt": "2026-11-27t10:00:00z"})),
        ),
        (
            "time plain offset",
            a(json!({"startsAt": "2026-11-27T10:00:00+0100"})),
        ),
        (
            "time millis plain offset",
            a(json!({"startsAt": "2026-11-27T10:00:00.123+0100"})),
        ),
        ("date only", a(json!({"startsAt": "2026-11-27"}))),
        ("month 13", a(json!({"startsAt": "2026-13-27T10:00:00Z"}))),
        ("time number", a(json!({"startsAt": 5}))),
        (
            "generatorURL relative",
            a(json!({"generatorURL": "/graph"})),
        ),
        (
            "generatorURL words",
            a(json!({"generatorURL": "not a url"})),
        ),
        (
            "generatorURL space in host",
            a(json!({"generatorURL": "http://x y"})),
        ),
        ("generatorURL bad escape", a(json!({"generatorURL": "%zz"}))),
        (
            "generatorURL opaque",
            a(json!({"generatorURL": "mailto:a@b"})),
        ),
        ("generatorURL number", a(json!({"generatorURL": 1}))),
        ("not a list", json!({"labels": {"alertname": "A"}})),
        ("empty list", json!([])),
        ("alert a string", json!(["x"])),
    ];
    let mut disagree = Vec::new();
    for (name, body) in &cases {
        let (status, reply) = am.post("/api/v2/alerts", body);
        let findings = rollout::schema::alertmanager::check_alerts(&body.clone().into());
        let errors: Vec<&rollout::finding::Finding> = findings
            .iter()
            .filter(|f| f.severity == rollout::finding::Severity::Error)
            .collect();
        if (status == 200) != errors.is_empty() {
            disagree.push(format!(
                "{name}: server {status} {reply:?}, verify {errors:?}"
            ));
        }
        for e in &errors {
            let path = rollout::finding::display_path(&e.pointer);
            assert!(e.message.starts_with(&path), "{name}: {}", e.message);
        }
    }
    assert!(disagree.is_empty(), "{disagree:#?}");
}

/// Issue 13: in directory mode a Helm chart's templates and helm-unittest suites are not inputs
/// (they are YAML only once rendered) and the report says so per chart; its `values*.yaml` and
/// `ci/*.yaml` are values files wherever the chart lies. A `templates/` directory outside a chart
/// is walked like any other.
#[test]
fn helm_chart_templates_are_reported_not_checked_and_other_templates_dirs_are_walked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(
        &root,
        "deploy/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(&root, "deploy/web/values.yaml", "replicas: 2\n");
    write(
        &root,
        "deploy/web/values.schema.json",
        "{\"type\": \"object\", \"properties\": {\"replicas\": {\"type\": \"integer\"}}}",
    );
    write(&root, "deploy/web/ci/lint-values.yaml", "replicas: three\n");
    write(
        &root,
        "deploy/web/templates/deployment.yaml",
        "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\n{{- end }}\n",
    );
    write(&root, "deploy/web/templates/_helpers.tpl", "{{/* x */}}\n");
    write(
        &root,
        "deploy/web/tests/deployment_test.yaml",
        "suite: web\ntemplates: [deployment.yaml]\ntests: []\n",
    );
    let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  A: 1\n";
    write(&root, "deploy/other/templates/cm.yaml", bad);
    let r = verify_paths(&[root.join("deploy")], true);
    let found = codes_at(&r);
    let chart = root.join("deploy/web");
    assert_eq!(
        found,
        vec![
            (
                "schema-type".to_string(),
                format!(
                    "{}:5:3",
                    root.join("deploy/other/templates/cm.yaml").display()
                )
            ),
            (
                "schema-type".to_string(),
                format!("{}:1:1", chart.join("ci/lint-values.yaml").display())
            ),
            (
                "chart-templates-not-checked".to_string(),
                chart.join("Chart.yaml").display().to_string()
            ),
        ],
        "{:?}",
        r.diagnostics
    );
    let note = &r.diagnostics[2];
    assert_eq!(note.severity, Severity::Note);
    assert!(
        note.message
            .contains("2 template files and 1 unit-test file not checked"),
        "{}",
        note.message
    );
    assert!(note.help[0].contains("helm template"), "{:?}", note.help);
    let kinds: Vec<(String, &str)> = r
        .inputs
        .iter()
        .map(|i| (i.path.display().to_string(), i.kind.as_str()))
        .collect();
    assert!(
        kinds.contains(&(chart.join("values.yaml").display().to_string(), "values")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            chart.join("ci/lint-values.yaml").display().to_string(),
            "values"
        )),
        "{kinds:?}"
    );
}

/// Issue 13: a manifest that is a template (Helm, Go, Jinja) fails as one, naming the expression
/// (never from among a Secret's values); `{{ }}` inside a string value (alert or legend templates)
/// is plain YAML and passes.
#[test]
fn unrendered_templates_fail_as_templates_and_template_strings_pass() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(
        &root,
        "deploy/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicas }}\n",
    );
    write(
        &root,
        "deploy/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {{ .Values.password }}\n",
    );
    write(
        &root,
        "deploy/alerts.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rules\ndata:\n  summary: \"{{ $labels.instance }} is down\"\n  legend: '{{pod}}'\n",
    );
    let r = verify_paths(&[root.join("deploy")], true);
    let found = codes_at(&r);
    assert_eq!(
        found,
        vec![
            (
                "yaml-template".to_string(),
                format!("{}:6:14", root.join("deploy/secret.yaml").display())
            ),
            (
                "yaml-template".to_string(),
                format!("{}:6:14", root.join("deploy/web.yaml").display())
            ),
        ],
        "{:?}",
        r.diagnostics
    );
    assert!(
        r.diagnostics[1]
            .message
            .contains("\"{{ .Values.replicas }}\" near line 6"),
        "{}",
        r.diagnostics[1].message
    );
    assert!(
        !r.diagnostics[0].message.contains("password"),
        "{}",
        r.diagnostics[0].message
    );
    assert!(r.diagnostics[0].help[0].contains("helm template"));
}

/// Issue 13: kubectl (and kubeconform) read manifests with go-yaml v2, where a plain `yes`, `no`,
/// `on`, `off` is a boolean: a string field given one is rejected by the cluster, a boolean field
/// given one is accepted; quoted, it stays a string.
#[test]
fn yaml_1_1_booleans_are_read_as_kubectl_sends_them() {
    let dir = tempfile::tempdir().unwrap();
    let pod = write(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n    env:\n    - name: QUOTED\n      value: \"yes\"\n    - name: PLAIN\n      value: on\n    volumeMounts:\n    - name: v\n      mountPath: /x\n      readOnly: yes\n  volumes:\n  - name: v\n    emptyDir: {}\n",
    );
    let r = verify_paths(std::slice::from_ref(&pod), true);
    let errors: Vec<_> = located(&r)
        .into_iter()
        .filter(|(_, s, _)| *s == Severity::Error)
        .collect();
    assert_eq!(
        errors,
        vec![(
            "schema-type".to_string(),
            Severity::Error,
            format!("{}:13:7", pod.display())
        )],
        "{:?}",
        r.diagnostics
    );
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.code == "schema-type")
        .unwrap();
    assert_eq!(
        d.message,
        "spec.containers[0].env[1].value: expected string, got boolean true"
    );
    assert!(d.help[0].contains("quote it"), "{:?}", d.help);
}

/// Issue 13: a YAML file with no document (empty, comments only, bare `---`) is nothing to apply:
/// in directory mode it is a note, not an unrecognised file; named on its own it is an input
/// error that says it is empty.
#[test]
fn empty_yaml_files_are_notes_in_directory_mode() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("deploy");
    write(
        &root,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    );
    let empty = write(&root, "empty.yaml", "");
    write(
        &root,
        "later.yaml",
        "\u{feff}# enable when ready\n---\n# kind: Secret\n...\n",
    );
    let r = verify_paths(std::slice::from_ref(&root), true);
    assert!(!r.failed(), "{:?}", r.diagnostics);
    let notes: Vec<(&str, String)> = r
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.span.as_ref().unwrap().describe()))
        .collect();
    assert_eq!(
        notes,
        [
            ("input-empty", empty.display().to_string()),
            ("input-empty", root.join("later.yaml").display().to_string()),
        ]
    );
    let err = rollout::verify::run(&VerifyOptions {
        paths: vec![empty.clone()],
        ..VerifyOptions::default()
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("is empty (only blank lines or comments)"),
        "{err}"
    );
}

/// Issue 13: what the API server's validation refuses beyond the OpenAPI schema fails the gate at
/// the field's line: a quantity that does not parse, a request above its limit, a mount of a
/// volume the pod lacks, a Job without a restart policy. A StatefulSet's claim templates count as
/// volumes.
#[test]
fn api_server_validation_beyond_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "app.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels: {app: db}\n  template:\n    metadata:\n      labels: {app: db}\n    spec:\n      containers:\n      - name: db\n        image: postgres:16\n        resources:\n          requests:\n            cpu: \"2\"\n          limits:\n            cpu: \"1\"\n            memory: 1GB\n        volumeMounts:\n        - name: data\n          mountPath: /var/lib/postgresql\n        - name: config\n          mountPath: /etc/pg\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      containers:\n      - name: m\n        image: migrate:1\n",
    );
    let r = verify_paths(std::slice::from_ref(&f), true);
    let errors: Vec<(String, String)> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.span.as_ref().unwrap().describe(), d.message.clone()))
        .collect();
    let at = |l: &str| format!("{}:{l}", f.display());
    let c = "spec.template.spec.containers[0]";
    assert_eq!(
        errors,
        vec![
            (at("18:13"), format!("{c}.resources.requests.cpu: Invalid value: \"2\": must be less than or equal to cpu limit of 1")),
            (at("21:13"), format!("{c}.resources.limits.memory: Invalid value: \"1GB\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")),
            (at("25:11"), format!("{c}.volumeMounts[1].name: Not found: \"config\"")),
            (at("42:5"), "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"".to_string()),
        ],
        "{:?}",
        r.diagnostics
    );
}

#[test]
fn directory_mode_passes_no_file_it_cannot_classify() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {A: \"1\"}\n";
    write(&root, "deploy/cm.yaml", cm);
    let stray = write(&root, "deploy/settings.yaml", "replicas: 2\nimage: x\n");
    let stray_json = write(&root, "deploy/notes.json", "{\"owner\": \"team\"}\n");
    // Chart files and dot-files are not inputs of their own.
    write(
        &root,
        "deploy/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(&root, "deploy/Chart.lock", "dependencies: []\n");
    write(
        &root,
        "deploy/values.schema.json",
        "{\"type\": \"object\"}\n",
    );
    write(&root, "deploy/.hidden.yaml", "whatever: 1\n");
    write(&root, "deploy/.git/config.yaml", "x: 1\n");
    let r = verify_paths(&[root.join("deploy")], true);
    assert!(r.failed());
    let found = codes_at(&r);
    assert_eq!(
        found,
        vec![
            (
                "input-unrecognised".to_string(),
                stray_json.display().to_string()
            ),
            (
                "input-unrecognised".to_string(),
                stray.display().to_string()
            ),
        ]
    );
    let d = &r.diagnostics[1];
    assert!(
        d.message.contains("settings.yaml") && d.message.contains("expected Kubernetes objects")
    );
    assert!(d.help[0].contains("--type"), "{:?}", d.help);
    // Through the binary: exit 1, and --type makes the same file an input.
    let out = assert_cmd::Command::cargo_bin("rollout")
        .unwrap()
        .args(["verify", "deploy"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("error[input-unrecognised]: deploy/settings.yaml: not recognised:"),
        "{stdout}"
    );
    let r = rollout::verify::run(&VerifyOptions {
        paths: vec![stray.clone()],
        kind: Some(rollout::verify::InputKind::Values),
        ..VerifyOptions::default()
    })
    .unwrap();
    assert_eq!(r.inputs.len(), 1);
}

/// Every diagnostic over every fixture and a set of broken inputs (values of 25,000 characters in
/// wrong places, long syntax errors) is one line of at most 200 characters, help lines included.
#[test]
fn every_message_is_one_bounded_line() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(25_000);
    let broken = [
        (
            "big/replicas.yaml",
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: a}}\nspec:\n  replicas: \"{big}\"\n  selector: {{matchLabels: {{a: b}}}}\n  template:\n    metadata: {{labels: {{a: b}}}}\n    spec: {{containers: [{{name: c, image: \"i:1\"}}]}}\n"
            ),
        ),
        (
            "big/service.yaml",
            format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec:\n  type: \"{big}\"\n  ports: [{{port: 80}}]\n  {big}: 1\n"
            ),
        ),
        (
            "big/list.json",
            format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"c\"}}, \"data\": {{\"a\": {{\"{big}\": [1, 2, 3]}}}}}}"
            ),
        ),
        (
            "big/syntax.yaml",
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: \"{big}\n"),
        ),
        (
            "big/syntax.json",
            format!("{{\"apiVersion\": \"v1\", \"kind\": \"{big}\",, }}"),
        ),
        (
            "dashboards/big.json",
            format!(
                "{{\"title\": {{\"a\": \"{big}\"}}, \"uid\": \"{big}\", \"templating\": {{\"list\": {{\"x\": \"{big}\"}}}}, \"panels\": [{{\"id\": 1, \"type\": \"{big}\", \"gridPos\": {{\"x\": \"{big}\"}}, \"datasource\": {{\"uid\": \"${big}\"}}}}]}}"
            ),
        ),
        (
            "alerts/big.json",
            format!(
                "[{{\"labels\": {{\"{big}-x\": \"{big}\"}}, \"startsAt\": \"{big}\", \"generatorURL\": \"{big} y\", \"{big}\": 1}}, {{\"labels\": \"{big}\"}}]"
            ),
        ),
        ("big/unknown.yaml", format!("{big}: 1\nother: 2\n")),
    ];
    for (rel, text) in &broken {
        write(dir.path(), rel, text);
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> = [
        "fixtures/verify/good",
        "fixtures/verify/bad",
        "fixtures/verify/duplicates",
        "fixtures/verify/overlay",
        "fixtures/verify/charts",
        "fixtures/verify/dashboards",
        "fixtures/verify/alerts",
        "fixtures/verify/argocd",
        "fixtures/dashboards",
        "dashboards",
        "alerts",
    ]
    .iter()
    .map(|p| fixtures.join(p))
    .collect();
    paths.extend(["big", "dashboards", "alerts"].map(|d| dir.path().join(d)));
    let mut all = Vec::new();
    for strict in [true, false] {
        all.extend(verify_paths(&paths, strict).diagnostics);
    }
    assert!(all.len() > 40, "{}", all.len());
    let mut cut = 0;
    for d in &all {
        for line in std::iter::once(&d.message).chain(&d.help) {
            assert!(
                !line.contains('\n') && !line.contains('\r'),
                "{}: {line}",
                d.code
            );
            assert!(
                line.chars().count() <= 200,
                "{}: {} chars",
                d.code,
                line.chars().count()
            );
            cut += usize::from(line.ends_with('…'));
        }
    }
    // The bound did some work: long values were cut, not shown.
    assert!(cut > 0);
    assert!(all.iter().all(|d| !d.message.contains(&"x".repeat(201))));
}

/// A ConfigMap of the Grafana sidecar's kind: one good dashboard, one broken, one that is not
/// JSON, settings that are not a dashboard, and a dashboard in a quoted string.
const DASHBOARD_CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: grafana-dashboards
  namespace: monitoring
  labels:
    grafana_dashboard: "1"
data:
  api.json: |
    {
      "title": "API",
      "uid": "api",
      "schemaVersion": 39,
      "panels": [
        {"id": 1, "type": "timeseries", "title": "Requests",
         "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}}
      ]
    }
  broken.json: |-
    {
      "title": "Broken",
      "uid": "broken",
      "schemaVersion": 39,
      "panels": [
        {"id": 1, "type": "timeseries", "title": "A", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}},
        {"id": 1, "type": "timeseries", "title": "B", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}}
      ]
    }
  trailing.json: |
    {"title": "T", "uid": "t", "panels": [],}
  settings.json: '{"theme": "dark"}'
  notes.txt: '{"panels": 1}'
  quoted.json: "{\"title\": \"Q\", \"uid\": \"q\", \"schemaVersion\": 39, \"panels\": [{\"id\": 1, \"gridPos\": {\"x\": 0, \"y\": 0, \"w\": 6, \"h\": 3}}]}"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-settings
  namespace: media
data:
  config.json: '{"feature": true, oops}'
"#;

#[test]
fn dashboards_in_configmaps_are_checked_at_their_own_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "dashboards.yaml", DASHBOARD_CONFIGMAP);
    let r = verify_paths(std::slice::from_ref(&file), false);
    let f = file.display();
    let got: Vec<(String, Severity, String, String)> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .map(|d| {
            let at = d.span.as_ref().map(|s| s.describe()).unwrap_or_default();
            (d.code.clone(), d.severity, at, d.message.clone())
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "panel-id-duplicate".to_string(),
                Severity::Error,
                format!("{f}:26:10"),
                "data.broken.json: panels[1].id: panel id 1 is also used by panels[0]".to_string()
            ),
            (
                "json-syntax".to_string(),
                Severity::Error,
                format!("{f}:30:45"),
                "data.trailing.json: invalid JSON: trailing comma (JSON allows no comma after the last item)".to_string()
            ),
            // A quoted string keeps no lines: the finding is at the value.
            (
                "panel-type-missing".to_string(),
                Severity::Error,
                format!("{f}:33:3"),
                "data.quoted.json: panels[0]: panel 1 has no type".to_string()
            ),
        ],
        "{got:#?}"
    );
    // The good dashboard alone passes, through the fast path too.
    let good = DASHBOARD_CONFIGMAP
        .split("  broken.json")
        .next()
        .unwrap()
        .to_string();
    let file = write(dir.path(), "good.yaml", &good);
    let r = verify_paths(&[file], false);
    assert_eq!(located(&r), [], "{:#?}", r.diagnostics);
}

#[test]
fn a_byte_order_mark_passes_in_a_json_manifest_as_kubectl_reads_it_and_fails_a_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let bom = "\u{feff}";
    let manifest = write(
        dir.path(),
        "cm.json",
        &format!(
            "{bom}{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {{\"name\": \"c\", \"namespace\": \"m\"}}, \"data\": {{\"a\": \"b\"}}}}\n"
        ),
    );
    let r = verify_paths(std::slice::from_ref(&manifest), true);
    assert_eq!(located(&r), [], "{:#?}", r.diagnostics);
    assert_eq!(r.inputs[0].objects, 1);
    // A finding in such a file is still located (line 2: the misspelt field).
    let broken = write(
        dir.path(),
        "broken.json",
        &format!(
            "{bom}{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {{\"name\": \"c\", \"namespace\": \"m\"}}, \"dta\": {{\"a\": \"b\"}}}}\n"
        ),
    );
    let r = verify_paths(std::slice::from_ref(&broken), true);
    let got = located(&r);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].2.ends_with("broken.json:2:47"), "{got:?}");

    // Grafana and Alertmanager read with encoding/json, which refuses the mark.
    let dashboard = write(dir.path(), "dash.json", &format!("{bom}{DASHBOARD}"));
    let alerts = write(
        dir.path(),
        "alerts/synthetic.json",
        &format!("{bom}[{{\"labels\": {{\"alertname\": \"x\"}}}}]"),
    );
    for file in [dashboard, alerts] {
        let r = verify_paths(std::slice::from_ref(&file), true);
        let errors: Vec<(&str, String, &str)> = r
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                let at = d.span.as_ref().map(|s| s.describe()).unwrap_or_default();
                (d.code.as_str(), at, d.message.as_str())
            })
            .collect();
        assert_eq!(
            errors,
            [(
                "json-syntax",
                format!("{}:1:1", file.display()),
                "invalid JSON: the file starts with a byte order mark (U+FEFF), which Go's encoding/json refuses (save it as UTF-8 without BOM)"
            )],
            "{file:?}"
        );
    }
}
