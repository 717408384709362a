//! Recognition of inputs: what each path is taken for (by its place in the repo layout, then by
//! its content, or `--type`), and the inputs of the whole-repo mode.
//!
//! Owns the layout rules and the walk; checks nothing.

use std::path::{Path, PathBuf};

use crate::value::Value;

use super::diagnostic::{Diagnostic, InputKind, Span};
use super::json::{self, is_json_file};
use super::{VerifyError, VerifyOptions, render};
use crate::yaml::{self, Document};

/// One input to check: a path and what it is taken for.
#[derive(Debug, Clone)]
pub(super) struct Input {
    pub(super) path: PathBuf,
    pub(super) kind: InputKind,
    pub(super) reason: String,
    /// The text and its fast-parsed documents, when recognition already read them.
    pub(super) preloaded: Option<(String, Option<FastDocs>)>,
    /// Taken for manifests by its words only (a large stream, [`super::load::chunkable`]): the
    /// check reads it chunk by chunk, and if that does not confirm every document as a clean
    /// object, the text is recognised again in full ([`recognise_in_full`]).
    pub(super) unconfirmed: bool,
    /// Found by walking a directory ([`Candidate`]).
    pub(super) walked: bool,
}

impl Input {
    /// The input's text: the one recognition read, else read now.
    ///
    /// # Errors
    /// An unreadable file.
    pub(super) fn take_text(&mut self) -> Result<String, VerifyError> {
        match self.preloaded.take() {
            Some((text, _)) => Ok(text),
            None => read(&self.path),
        }
    }
}

/// Why a file of Kubernetes objects was taken for manifests.
const MANIFESTS: &str = "by content: apiVersion and kind";

/// Documents read without positions ([`yaml::parse_stream_fast`]).
pub(super) type FastDocs = Vec<Document>;

/// `root/rel`, or just `rel` when the root is the current directory (no `./` in reports).
pub(super) fn under(root: &Path, rel: &str) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        PathBuf::from(rel)
    } else {
        root.join(rel)
    }
}

pub(super) fn read(path: &Path) -> Result<String, VerifyError> {
    // Regular files only, size-capped, read whole (a FIFO or /dev/zero is refused by name).
    crate::fsutil::read_to_string(path).map_err(|e| VerifyError::Read {
        path: path.to_path_buf(),
        source: e.source,
    })
}

/// Recognises a path by its place in the repo layout.
pub(super) fn by_place(path: &Path) -> Option<(InputKind, &'static str)> {
    if path.is_dir() && render::is_kustomization_dir(path) {
        return Some((
            InputKind::Kustomization,
            "by place: kustomization directory",
        ));
    }
    let comps: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let name = comps.last().map(String::as_str).unwrap_or("");
    let n = comps.len();
    if n >= 3
        && comps[n - 3] == "charts"
        && name.starts_with("values")
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
    {
        return Some((InputKind::Values, "by place: charts/<chart>/values*.yaml"));
    }
    if path.is_file() && is_chart_values(path) {
        return Some((InputKind::Values, "by place: values of the chart beside"));
    }
    if matches!(name, "alertmanager.yml" | "alertmanager.yaml") {
        return Some((InputKind::AlertmanagerConfig, "by place: alertmanager.yml"));
    }
    for (dir, kind, why) in [
        ("dashboards", InputKind::Dashboard, "by place: dashboards/"),
        ("alerts", InputKind::Alerts, "by place: alerts/"),
        ("argocd", InputKind::Argocd, "by place: argocd/"),
    ] {
        if comps[..n.saturating_sub(1)].iter().any(|c| c == dir) {
            return Some((kind, why));
        }
    }
    None
}

/// Recognises a file by what it holds; also hands back the documents when the fast reader could
/// read them, so the file is not parsed twice. A `.json` file is read as strict JSON only.
/// `duplicates` says whether a repeated mapping key makes the text unparseable (`--strict`).
fn by_content(
    path: &Path,
    text: &str,
    duplicates: yaml::Duplicates,
) -> (Option<(InputKind, &'static str)>, Option<FastDocs>) {
    if is_json_file(path) {
        // Classified as kubectl reads a manifest; a dashboard's byte order mark fails its load.
        return match json::parse(json::manifest_text(text)) {
            Ok(v) => (classify(vec![&v]), None),
            Err(_) => (by_words(text), None),
        };
    }
    let fast = yaml::parse_stream_fast(text, &[]).ok();
    let kind = match &fast {
        Some(docs) => classify(docs.iter().map(|d| &d.value).collect()),
        None => by_content_slow(text, duplicates),
    };
    (kind, fast)
}

/// What an unparseable text probably is, from the words in it, so that its parse error is reported
/// by the check of that kind.
fn by_words(text: &str) -> Option<(InputKind, &'static str)> {
    if text.contains("apiVersion") && text.contains("kind") {
        return Some((
            InputKind::Manifests,
            "by content: apiVersion and kind (unparseable)",
        ));
    }
    if text.contains("\"panels\"") {
        return Some((
            InputKind::Dashboard,
            "by content: dashboard object (unparseable)",
        ));
    }
    if text.trim_start().starts_with('[') && text.contains("\"labels\"") {
        return Some((
            InputKind::Alerts,
            "by content: array of alerts (unparseable)",
        ));
    }
    None
}

fn by_content_slow(text: &str, duplicates: yaml::Duplicates) -> Option<(InputKind, &'static str)> {
    let docs = match yaml::parse_stream_with(text, duplicates) {
        Ok(s) => s.documents.into_iter().map(|d| d.value).collect::<Vec<_>>(),
        // Unparseable: guess from the words so that the parse error gets reported.
        Err(_) => return by_words(text),
    };
    classify(docs.iter().collect())
}

/// What parsed documents are: alerts, manifests or a dashboard.
fn classify(docs: Vec<&Value>) -> Option<(InputKind, &'static str)> {
    let docs: Vec<&Value> = docs.into_iter().filter(|v| !v.is_null()).collect();
    let first = docs.first()?;
    if let Value::Array(items) = first
        && docs.len() == 1
        && items.iter().all(|a| a.get("labels").is_some())
    {
        return Some((InputKind::Alerts, "by content: array of alerts"));
    }
    if docs.len() == 1 && is_rollout_spec(first) {
        return Some((
            InputKind::Spec,
            "by content: rollout spec (kind Rollout, environments, services)",
        ));
    }
    if docs.len() == 1 && crate::schema::grafana::is_dashboard_resource(first) {
        return Some((
            InputKind::Dashboard,
            "by content: dashboard.grafana.app resource",
        ));
    }
    if docs.len() == 1 && is_alertmanager_config(first) {
        return Some((
            InputKind::AlertmanagerConfig,
            "by content: Alertmanager route and receivers",
        ));
    }
    let k8s = |v: &Value| v.get("apiVersion").is_some() && v.get("kind").is_some();
    if docs.iter().all(|d| k8s(d)) {
        return Some((InputKind::Manifests, MANIFESTS));
    }
    if docs.len() == 1
        && first.is_object()
        && (first.get("panels").is_some()
            || first.get("rows").is_some()
            || first.get("schemaVersion").is_some()
            || first.get("dashboard").is_some_and(Value::is_object))
    {
        return Some((InputKind::Dashboard, "by content: dashboard object"));
    }
    None
}

/// An Alertmanager configuration: no `apiVersion`/`kind`, a `route` mapping or a `receivers`
/// list, and most top-level keys Alertmanager's own.
fn is_alertmanager_config(v: &Value) -> bool {
    let Some(m) = v.as_object() else {
        return false;
    };
    let own = m
        .keys()
        .filter(|k| super::alertmanager_config::CONFIG.contains(&k.as_str()))
        .count();
    !m.contains_key("apiVersion")
        && !m.contains_key("kind")
        && (m.get("route").is_some_and(Value::is_object)
            || m.get("receivers").is_some_and(Value::is_array))
        && own * 2 > m.len()
}

/// A rollout spec: `kind: Rollout` with `environments` and `services`, and not Argo Rollouts'
/// `argoproj.io` Rollout (which has a pod template instead).
fn is_rollout_spec(v: &Value) -> bool {
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    v.get("kind").and_then(Value::as_str) == Some("Rollout")
        && !api.starts_with("argoproj.io/")
        && v.get("environments").is_some()
        && v.get("services").is_some()
}

/// A span naming a whole file (no line).
fn file_span(path: &Path) -> Span {
    Span {
        file: path.to_path_buf(),
        line: 0,
        col: 0,
        label: String::new(),
        caret: 0,
        source_line: None,
    }
}

/// Whether YAML text holds no document: only blank lines, comments, `---` and `...` markers (and
/// a byte-order mark).
fn is_blank_yaml(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..." || t.starts_with("--- #")
    })
}

/// Files of a Helm chart that are not inputs of their own (the schema is used by the values check).
fn is_chart_file(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("values.schema.json" | "Chart.yaml" | "Chart.lock")
    )
}

fn is_data_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// What a directory walk found besides inputs: Helm charts whose templates (and unit tests) are
/// not inputs of their own, so the report says they were not checked.
#[derive(Debug, Default)]
pub(super) struct Walked {
    /// Chart directories (holding `Chart.yaml`) with how many template and test files each has.
    charts: Vec<(PathBuf, usize, usize)>,
}

impl Walked {
    /// One note per chart whose templates or tests were not checked.
    pub(super) fn notes(&self) -> Vec<Diagnostic> {
        self.charts
            .iter()
            .filter(|(_, t, u)| t + u > 0)
            .map(|(dir, templates, tests)| {
                let span = file_span(&dir.join("Chart.yaml"));
                let files = |n: usize, what: &str| match n {
                    0 => None,
                    1 => Some(format!("1 {what} file")),
                    n => Some(format!("{n} {what} files")),
                };
                let what: Vec<String> = [files(*templates, "template"), files(*tests, "unit-test")]
                    .into_iter()
                    .flatten()
                    .collect();
                Diagnostic::new(
                    "chart-templates-not-checked",
                    super::Severity::Note,
                    format!(
                        "Helm chart {}: {} not checked (templates are YAML only once rendered)",
                        dir.display(),
                        what.join(" and ")
                    ),
                )
                .at(span)
                .help(format!(
                    "run `helm template {}` and verify its output",
                    dir.display()
                ))
            })
            .collect()
    }
}

fn count_files(dir: &Path, pick: &dyn Fn(&Path) -> bool) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.filter_map(|e| e.ok().map(|e| e.path()))
        .map(|p| {
            if p.is_dir() {
                count_files(&p, pick)
            } else {
                usize::from(pick(&p))
            }
        })
        .sum()
}

/// Files under a directory, sorted, skipping dot-directories. In a Helm chart (a directory with
/// `Chart.yaml`), `templates/` and the helm-unittest suites under `tests/` are counted, not walked
/// (see [`Walked::notes`]), and `ci/*.yaml` are values files.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, walked: &mut Walked) -> Result<(), VerifyError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| VerifyError::Read {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let chart = dir.join("Chart.yaml").is_file();
    let (mut templates, mut tests) = (0, 0);
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if chart && name == "templates" {
                templates += count_files(&p, &|_| true);
                continue;
            }
            if chart && name == "tests" {
                let is_test = |f: &Path| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with("_test.yaml") || n.ends_with("_test.yml"))
                };
                tests += count_files(&p, &is_test);
                walk_except(&p, &is_test, out, walked)?;
                continue;
            }
            if render::is_kustomization_dir(&p) {
                out.push(p);
            } else {
                walk(&p, out, walked)?;
            }
        } else if is_data_file(&p) {
            out.push(p);
        }
    }
    if chart {
        walked.charts.push((dir.to_path_buf(), templates, tests));
    }
    Ok(())
}

/// The files under a kustomization directory that its build did not read (`reads`), as walked
/// candidates: a stray manifest, dashboard or alert file is checked on its own, and one that is
/// nothing known is an error, so a kustomization never hides a file. A nested kustomization the
/// build used is walked the same way; one it did not use is a kustomization input of its own.
pub(super) fn strays(
    dir: &Path,
    reads: &std::collections::HashSet<PathBuf>,
    walked: &mut Walked,
    out: &mut Vec<Candidate>,
) -> Result<(), VerifyError> {
    let mut found = Vec::new();
    walk(dir, &mut found, walked)?;
    for p in found {
        let key = p.canonicalize().unwrap_or_else(|_| p.clone());
        if p.is_dir() {
            let used = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
                .iter()
                .any(|f| reads.contains(&key.join(f)));
            if used {
                strays(&p, reads, walked, out)?;
            } else {
                out.push(stray(p, false));
            }
        } else if !render::is_kustomization_file(&p) && !reads.contains(&key) {
            out.push(stray(p, true));
        }
    }
    Ok(())
}

/// A candidate found beside a kustomization: recognised by place, else by content.
fn stray(path: PathBuf, walked: bool) -> Candidate {
    let known = by_place(&path).map(|(k, why)| (k, why.to_string()));
    Candidate {
        path,
        walked,
        known,
    }
}

/// [`walk`], leaving out the files `skip` picks.
fn walk_except(
    dir: &Path,
    skip: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
    walked: &mut Walked,
) -> Result<(), VerifyError> {
    let mut found = Vec::new();
    walk(dir, &mut found, walked)?;
    out.extend(found.into_iter().filter(|f| !skip(f)));
    Ok(())
}

/// Whether a file is a values file of the Helm chart it lies in: `<chart>/values*.yaml` or
/// `<chart>/ci/*.yaml` (chart-testing's values), `<chart>` holding `Chart.yaml`.
fn is_chart_values(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
        return false;
    }
    let Some(parent) = path.parent() else {
        return false;
    };
    if name.starts_with("values") && parent.join("Chart.yaml").is_file() {
        return true;
    }
    parent.file_name().is_some_and(|n| n == "ci")
        && parent
            .parent()
            .is_some_and(|c| c.join("Chart.yaml").is_file())
}

/// A path to check, before its content is read: recognised by `--type` or by place, or left to
/// be recognised by content when it is checked (so no file is held in memory before its turn).
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) path: PathBuf,
    /// Found by walking a directory (an unrecognised file is an error finding, not an input error).
    walked: bool,
    known: Option<(InputKind, String)>,
}

impl Candidate {
    /// Whether the candidate is a kustomization directory to render.
    pub(super) fn is_kustomization(&self) -> bool {
        matches!(&self.known, Some((InputKind::Kustomization, _)))
    }

    /// Whether the candidate was found by walking a directory.
    pub(super) fn walked(&self) -> bool {
        self.walked
    }

    /// Whether the candidate may hold Kubernetes objects (so possibly CustomResourceDefinitions).
    pub(super) fn may_hold_objects(&self) -> bool {
        matches!(
            &self.known,
            None | Some((InputKind::Manifests | InputKind::Argocd, _))
        )
    }
}

/// Recognises a candidate: by what was already known, else by content. `text` is the file's text
/// when the caller read it. `Ok(None)`: a walked file that is not recognised or a `.json` file that
/// is not JSON (an error finding is pushed to `notes`), or a chart file that is no input of its own.
///
/// # Errors
/// An unreadable file; a named file that is not recognised.
pub(super) fn recognise(
    candidate: Candidate,
    text: Option<String>,
    options: &VerifyOptions,
    notes: &mut Vec<Diagnostic>,
) -> Result<Option<Input>, VerifyError> {
    let Candidate {
        path,
        walked,
        known,
    } = candidate;
    if let Some((kind, reason)) = known {
        return Ok(Some(Input {
            path,
            kind,
            reason,
            preloaded: text.map(|t| (t, None)),
            unconfirmed: false,
            walked,
        }));
    }
    let text = match text {
        Some(t) => t,
        None => match read(&path) {
            Ok(t) => t,
            // A file found by walking that cannot be read as text is a finding, not the end of
            // the run.
            Err(VerifyError::Read { source, .. }) if walked => {
                notes.push(
                    Diagnostic::error(
                        "input-unreadable",
                        format!("{}: cannot read: {source}", path.display()),
                    )
                    .at(file_span(&path)),
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        },
    };
    // Nothing in it, whatever its extension: a `.json` file of white space is as empty as a YAML
    // file of comments (an explicit one has nothing to verify; a walked one is noted).
    let blank = if is_json_file(&path) {
        json::manifest_text(&text).trim().is_empty()
    } else {
        is_blank_yaml(&text)
    };
    if blank {
        if !walked {
            return Err(VerifyError::Empty { path });
        }
        // Nothing to apply: kubectl skips it, and so does the gate, saying so.
        let span = file_span(&path);
        notes.push(
            Diagnostic::new(
                "input-empty",
                super::Severity::Note,
                format!(
                    "{}: no objects (only comments or empty documents)",
                    path.display()
                ),
            )
            .at(span),
        );
        return Ok(None);
    }
    // A large stream of what look like objects is not parsed here: the check reads it in chunks.
    if !is_json_file(&path)
        && super::load::chunkable(&text)
        && text.contains("apiVersion")
        && text.contains("kind")
    {
        return Ok(Some(Input {
            path,
            kind: InputKind::Manifests,
            reason: MANIFESTS.into(),
            preloaded: Some((text, None)),
            unconfirmed: true,
            walked,
        }));
    }
    recognise_text(path, text, walked, options, notes)
}

/// The input an [`Input::unconfirmed`] one is when recognised by all of its content.
///
/// # Errors
/// As [`recognise`].
pub(super) fn recognise_in_full(
    mut input: Input,
    options: &VerifyOptions,
    notes: &mut Vec<Diagnostic>,
) -> Result<Option<Input>, VerifyError> {
    let text = input.take_text()?;
    recognise_text(input.path, text, input.walked, options, notes)
}

fn recognise_text(
    path: PathBuf,
    text: String,
    walked: bool,
    options: &VerifyOptions,
    notes: &mut Vec<Diagnostic>,
) -> Result<Option<Input>, VerifyError> {
    match by_content(&path, &text, options.duplicates()) {
        (Some((kind, why)), fast) => Ok(Some(Input {
            path,
            kind,
            reason: why.into(),
            preloaded: Some((text, fast)),
            unconfirmed: false,
            walked,
        })),
        (None, _) if walked && is_chart_file(&path) => Ok(None),
        // A `.json` file that is not JSON: its syntax error is the finding, whatever it was meant to be.
        (None, _) if is_json_file(&path) && json::parse(&text).is_err() => {
            if let Err(e) = json::parse(&text) {
                let span = Span {
                    file: path.clone(),
                    line: e.pos.line,
                    col: e.pos.col,
                    label: String::new(),
                    caret: 0,
                    source_line: text.lines().nth(e.pos.line - 1).map(str::to_string),
                };
                notes.push(Diagnostic::error("json-syntax", e.message).at(span));
            }
            Ok(None)
        }
        // A YAML file that does not parse: its syntax error is the finding, at its place, as a
        // `.json` file's is (named or walked: what it was meant to be does not matter).
        (None, _)
            if !is_json_file(&path)
                && let Err(e) = crate::yaml::parse_stream(&text) =>
        {
            let pos = e.pos();
            let span = Span {
                file: path.clone(),
                line: pos.line,
                col: pos.col,
                label: String::new(),
                caret: 0,
                source_line: text
                    .lines()
                    .nth(pos.line.saturating_sub(1))
                    .map(str::to_string),
            };
            notes.push(Diagnostic::error("yaml-syntax", e.to_string()).at(span));
            Ok(None)
        }
        // Directory mode passes no file it cannot classify: the file is a finding (exit 1).
        (None, _) if walked => {
            let span = file_span(&path);
            notes.push(
                Diagnostic::error(
                    "input-unrecognised",
                    format!(
                        "{}: not recognised: expected Kubernetes objects (apiVersion and kind), a dashboard, alerts or chart values",
                        path.display()
                    ),
                )
                .at(span)
                .help("pass it with --type (choose from: manifests, kustomization, dashboard, alerts, values, argocd, spec, alertmanager-config), or move it out of the directory"),
            );
            Ok(None)
        }
        (None, _) => Err(VerifyError::Unrecognized { path }),
    }
}

/// Turns the given paths (or the repo) into candidates, in the order they are checked. Reads no
/// file's content: recognition by content happens when each is checked.
pub(super) fn candidates(options: &VerifyOptions) -> Result<(Vec<Candidate>, Walked), VerifyError> {
    let mut out = Vec::new();
    let mut walked = Walked::default();
    let candidate = |path: PathBuf, walked: bool| -> Candidate {
        let known = match options.kind {
            Some(kind) => Some((kind, "--type".to_string())),
            None => by_place(&path).map(|(k, why)| (k, why.to_string())),
        };
        Candidate {
            path,
            walked,
            known,
        }
    };
    if options.paths.is_empty() {
        let root = &options.root;
        let mut found = Vec::new();
        let overlays = under(root, "overlays");
        if overlays.is_dir() {
            walk(&overlays, &mut found, &mut walked)?;
        }
        let mut charts = Vec::new();
        if let Ok(rd) = std::fs::read_dir(under(root, "charts")) {
            for chart in rd.filter_map(|e| e.ok().map(|e| e.path())) {
                if let Ok(files) = std::fs::read_dir(&chart) {
                    for f in files.filter_map(|e| e.ok().map(|e| e.path())) {
                        if by_place(&f).is_some_and(|(k, _)| k == InputKind::Values) {
                            charts.push(f);
                        }
                    }
                }
            }
        }
        charts.sort();
        found.extend(charts);
        for d in ["argocd", "dashboards", "alerts"] {
            let p = under(root, d);
            if p.is_dir() {
                walk(&p, &mut found, &mut walked)?;
            }
        }
        if found.is_empty() {
            return Err(VerifyError::Nothing { root: root.clone() });
        }
        // Inside overlays/, a plain file is taken for manifests (the hydrated base).
        for p in found {
            let in_overlays = p.starts_with(&overlays) && !p.is_dir();
            if in_overlays && options.kind.is_none() {
                out.push(Candidate {
                    path: p,
                    walked: true,
                    known: Some((InputKind::Manifests, "by place: overlays/".into())),
                });
            } else {
                out.push(candidate(p, true));
            }
        }
    } else {
        for p in &options.paths {
            if !p.exists() {
                return Err(VerifyError::NotFound { path: p.clone() });
            }
            if p.is_dir() && options.kind != Some(InputKind::Kustomization) {
                if options.kind.is_none() && render::is_kustomization_dir(p) {
                    out.push(candidate(p.clone(), false));
                } else {
                    let mut files = Vec::new();
                    walk(p, &mut files, &mut walked)?;
                    out.extend(files.into_iter().map(|f| candidate(f, true)));
                }
            } else {
                if options.kind == Some(InputKind::Kustomization) && !p.is_dir() {
                    return Err(VerifyError::NotKustomization { path: p.clone() });
                }
                out.push(candidate(p.clone(), false));
            }
        }
    }
    Ok((out, walked))
}
