//! The staging validation report: the plan's Evidence Capture Checklist filled from evidence files.
//!
//! Owns which evidence file answers which checklist item and how it is shown (Markdown and JSON).
//! Every value shown is copied from an evidence file; an item without evidence is listed as missing,
//! never filled in. Reads the evidence directory; writes nothing (the command writes the output).

use std::path::{Path, PathBuf};

use crate::value::Value;
use serde::Serialize;

use super::files;

/// The state of one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Evidence is there and records success.
    Present,
    /// Evidence is there and records a failure.
    Failed,
    /// No evidence (or only a dry run).
    Missing,
    /// An evidence file exists but cannot be read as the expected kind.
    Unreadable,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Failed => "failed",
            Status::Missing => "missing",
            Status::Unreadable => "unreadable",
        }
    }
}

/// A label and a value copied from evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub label: String,
    pub value: String,
}

/// A verbatim block (JSON response, command output, diff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// Code-fence language: `json`, `text`, `diff`.
    pub lang: &'static str,
    pub text: String,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// Stable key, e.g. `dashboard-response`.
    pub key: String,
    /// The checklist wording.
    pub title: String,
    pub status: Status,
    /// The evidence file(s) used, relative to the evidence directory's parent as given.
    pub sources: Vec<String>,
    pub fields: Vec<Field>,
    pub snippets: Vec<Snippet>,
    /// Why the item is missing, failed or unreadable, or a note on what the evidence does not show.
    pub notes: Vec<String>,
    /// What to run or add to fill it in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Charts: `(alt text, path relative to the evidence directory)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<(String, String)>,
}

impl Item {
    fn new(key: &str, title: &str) -> Self {
        Item {
            key: key.to_string(),
            title: title.to_string(),
            status: Status::Missing,
            sources: Vec::new(),
            fields: Vec::new(),
            snippets: Vec::new(),
            notes: Vec::new(),
            hint: None,
            images: Vec::new(),
        }
    }

    fn field(&mut self, label: &str, value: impl Into<String>) {
        self.fields.push(Field {
            label: label.to_string(),
            value: value.into(),
        });
    }
}

/// The assembled report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub kind: &'static str,
    pub evidence_dir: String,
    /// From the alert or flag evidence, if any recorded one.
    pub environment: Option<String>,
    /// The report's title (from the spec, else from the environment recorded).
    pub title: String,
    /// The Evidence Capture Checklist: what rollout's commands record, then the spec's own items.
    pub checklist: Vec<Item>,
    /// The other steps of the plan with evidence: maintenance window closed, Argo CD sync.
    pub steps: Vec<Item>,
    /// The hand-off to the next team, filled from the items above.
    pub handoff: Handoff,
    /// How the Markdown links charts: the evidence directory as seen from the report's file
    /// (default: as given).
    #[serde(skip)]
    pub image_base: String,
}

/// The report's closing section: where to look, what passed, what failed, what is still missing.
/// Everything is taken from the items (themselves copied from evidence).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Handoff {
    /// The URLs of the dashboards `dashboards push` recorded as pushed.
    pub dashboard_urls: Vec<String>,
    /// Titles of the items present.
    pub passed: Vec<String>,
    /// Items whose evidence records a failure (or cannot be read), with the reason recorded.
    pub failed: Vec<HandoffEntry>,
    /// Items without evidence, with what to run or add.
    pub missing: Vec<HandoffEntry>,
}

/// One failed or missing item in the hand-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoffEntry {
    pub title: String,
    /// The first note (why it failed), or the hint (how to fill it in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Handoff {
    /// The hand-off of `items`, with the dashboard URLs from the push evidence.
    fn of<'a>(items: impl Iterator<Item = &'a Item>, dashboard_urls: Vec<String>) -> Handoff {
        let mut h = Handoff {
            dashboard_urls,
            ..Default::default()
        };
        for i in items {
            match i.status {
                Status::Present => h.passed.push(i.title.clone()),
                Status::Failed | Status::Unreadable => h.failed.push(HandoffEntry {
                    title: i.title.clone(),
                    detail: i.notes.first().cloned().or_else(|| i.hint.clone()),
                }),
                Status::Missing => h.missing.push(HandoffEntry {
                    title: i.title.clone(),
                    detail: i.hint.clone().or_else(|| i.notes.first().cloned()),
                }),
            }
        }
        h
    }
}

/// The URLs of the dashboards a push evidence file records as pushed.
fn pushed_urls(loaded: &Loaded) -> Vec<String> {
    let Loaded::Ok(_, v) = loaded else {
        return Vec::new();
    };
    v.get("dashboards")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| d.get("result").and_then(Value::as_str) == Some("pushed"))
        .filter_map(|d| d.get("url").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

impl Report {
    /// Every item, checklist first.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.checklist.iter().chain(self.steps.iter())
    }

    /// True when every item is present.
    pub fn complete(&self) -> bool {
        self.items().all(|i| i.status == Status::Present)
    }

    /// One line: counts per status and the keys not present.
    pub fn summary(&self) -> String {
        let count = |s| self.items().filter(|i| i.status == s).count();
        let total = self.items().count();
        let mut line = format!("{} of {total} items present", count(Status::Present));
        for s in [Status::Failed, Status::Missing, Status::Unreadable] {
            let n = count(s);
            if n > 0 {
                let keys: Vec<&str> = self
                    .items()
                    .filter(|i| i.status == s)
                    .map(|i| i.key.as_str())
                    .collect();
                line.push_str(&format!("; {n} {}: {}", s.label(), keys.join(", ")));
            }
        }
        line
    }
}

/// What a report holds beyond rollout's own records: which commands the repository uses, its
/// title and the items the operator adds by hand (from the spec's `evidence`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSettings {
    /// The title; default `<Environment> validation report`.
    pub title: Option<String>,
    /// The repository pushes dashboards (`rollout dashboards push`).
    pub dashboards: bool,
    /// The repository fires synthetic alerts (`rollout alerts fire|quiet`).
    pub alerts: bool,
    /// The spec has feature flags (`rollout diff --evidence-json`).
    pub flags: bool,
    /// The repository has dashboards whose queries `rollout evidence metrics` evaluates, or the
    /// spec expects the item.
    pub metrics: bool,
    /// The spec expects `rollout evidence redis`.
    pub redis: bool,
    /// The spec expects `rollout status`.
    pub status: bool,
    /// Hand-added items, in order.
    pub manual: Vec<crate::spec::ManualEvidence>,
}

impl Default for ReportSettings {
    /// Every command's item, no hand-added item.
    fn default() -> Self {
        ReportSettings {
            title: None,
            dashboards: true,
            alerts: true,
            flags: true,
            metrics: false,
            redis: false,
            status: false,
            manual: Vec::new(),
        }
    }
}

/// [`assemble_with`] with the default settings.
pub fn assemble(evidence_dir: &Path) -> Report {
    assemble_with(evidence_dir, &ReportSettings::default())
}

/// Reads the evidence directory and assembles the report. Never fails: unreadable files become
/// `unreadable` items. A command's item is listed when the settings say the repository uses the
/// command, or when its evidence file is there.
pub fn assemble_with(evidence_dir: &Path, settings: &ReportSettings) -> Report {
    let dir_text = evidence_dir.display().to_string();
    let read = |name: &str| read_json(evidence_dir, name);
    let push = read(files::DASHBOARDS_PUSH);
    let fire = read(files::ALERTS_FIRE);
    let quiet = read(files::ALERTS_QUIET);
    let flags = read(files::FLAG_DIFF);
    let environment = [&fire, &flags, &quiet]
        .iter()
        .filter_map(|f| match f {
            Loaded::Ok(_, v) => v
                .get("environment")
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        })
        .next();
    let present = |l: &Loaded| !matches!(l, Loaded::Absent(_));
    let env_arg = environment.clone().unwrap_or_else(|| "ENV".into());
    let mut checklist = Vec::new();
    if settings.dashboards || present(&push) {
        checklist.push(dashboard_item(&push));
    }
    let restore = read(files::DASHBOARDS_RESTORE);
    if present(&restore) {
        checklist.push(restore_item(&restore));
    }
    if settings.alerts || present(&fire) {
        checklist.push(alert_item(&fire, &env_arg));
    }
    let metrics = read(crate::metrics::EVIDENCE_FILE);
    if settings.metrics || present(&metrics) {
        checklist.push(metrics_item(&metrics));
    }
    let redis = read(crate::redis::EVIDENCE_FILE);
    if settings.redis || present(&redis) {
        checklist.push(redis_item(&redis));
    }
    for m in &settings.manual {
        checklist.push(manual_item(evidence_dir, m));
    }
    if settings.flags || present(&flags) {
        checklist.push(flag_item(&flags));
    }
    let mut steps = Vec::new();
    if settings.alerts || present(&quiet) {
        steps.push(quiet_item(&quiet));
    }
    steps.push(sync_item(evidence_dir));
    let status = read(crate::status::EVIDENCE_FILE);
    if settings.status || present(&status) {
        steps.push(status_item(&status));
    }
    let title = settings
        .title
        .clone()
        .unwrap_or_else(|| match &environment {
            Some(e) => {
                let mut c = e.chars();
                let first: String = c
                    .next()
                    .map(|f| f.to_uppercase().collect())
                    .unwrap_or_default();
                format!("{first}{} validation report", c.as_str())
            }
            None => "Validation report".to_string(),
        });
    let handoff = Handoff::of(checklist.iter().chain(steps.iter()), pushed_urls(&push));
    Report {
        kind: "staging-validation-report",
        image_base: dir_text.clone(),
        evidence_dir: dir_text,
        title,
        environment,
        checklist,
        steps,
        handoff,
    }
}

fn text_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("txt" | "log" | "md" | "out")
    )
}

fn image_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("png" | "jpg" | "jpeg" | "gif" | "webp")
    )
}

/// A hand-added item: present when a non-empty file matches its pattern (`*` matches any text,
/// in the file name); a single text file is shown verbatim.
fn manual_item(dir: &Path, m: &crate::spec::ManualEvidence) -> Item {
    let mut item = Item::new(&m.key, &m.title);
    let (sub, pattern) = match m.file.rsplit_once('/') {
        Some((d, f)) => (dir.join(d), f.to_string()),
        None => (dir.to_path_buf(), m.file.clone()),
    };
    item.hint = Some(
        m.hint
            .clone()
            .unwrap_or_else(|| format!("add {}", dir.join(&m.file).display())),
    );
    let (head, tail) = pattern.split_once('*').unwrap_or((pattern.as_str(), ""));
    let exact = !pattern.contains('*');
    let mut found: Vec<PathBuf> = std::fs::read_dir(&sub)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            if exact {
                n == pattern
            } else {
                n.len() >= head.len() + tail.len() && n.starts_with(head) && n.ends_with(tail)
            }
        })
        .filter(|e| e.metadata().is_ok_and(|md| md.is_file()))
        .map(|e| e.path())
        // An empty command output is no evidence; an image is judged by its presence.
        .filter(|p| {
            !text_file(p) || crate::fsutil::read_to_string(p).is_ok_and(|t| !t.trim().is_empty())
        })
        .collect();
    found.sort();
    if found.is_empty() {
        item.notes.push(format!(
            "no {} file in {}",
            if exact {
                pattern.clone()
            } else {
                format!("{head}*{tail}")
            },
            sub.display()
        ));
        return item;
    }
    item.status = Status::Present;
    for p in &found {
        item.sources.push(p.display().to_string());
        if text_file(p)
            && let Ok(t) = crate::fsutil::read_to_string(p)
        {
            item.snippets.push(Snippet {
                lang: "text",
                text: t.trim_end().to_string(),
            });
        } else {
            let label = if image_file(p) { "Screenshot" } else { "File" };
            item.field(label, p.display().to_string());
        }
    }
    item
}

enum Loaded {
    Absent(String),
    Ok(String, Value),
    Bad(String, String),
}

fn read_json(dir: &Path, name: &str) -> Loaded {
    let path: PathBuf = dir.join(name);
    let shown = path.display().to_string();
    let text = match crate::fsutil::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => {
            return Loaded::Absent(shown);
        }
        Err(e) => return Loaded::Bad(shown, format!("cannot read: {}", e.source)),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(v) if v.is_object() => Loaded::Ok(shown, v),
        Ok(_) => Loaded::Bad(shown, "not a JSON object".into()),
        Err(e) => Loaded::Bad(shown, format!("invalid JSON: {e}")),
    }
}

/// Checks `kind`; on success returns the source path and value.
fn expect_kind<'a>(
    item: &mut Item,
    loaded: &'a Loaded,
    kind: &str,
    kind_required: bool,
    hint: &str,
) -> Option<(&'a str, &'a Value)> {
    item.hint = Some(hint.to_string());
    match loaded {
        Loaded::Absent(p) => {
            item.notes.push(format!("no evidence file {p}"));
            None
        }
        Loaded::Bad(p, reason) => {
            item.status = Status::Unreadable;
            item.sources.push(p.clone());
            item.notes.push(format!("{p}: {reason}"));
            None
        }
        Loaded::Ok(p, v) => {
            item.sources.push(p.clone());
            match v.get("kind").and_then(Value::as_str) {
                Some(k) if k == kind => Some((p.as_str(), v)),
                None if !kind_required => Some((p.as_str(), v)),
                other => {
                    item.status = Status::Unreadable;
                    item.notes.push(format!(
                        "{p}: kind is {:?}, expected {kind:?}",
                        other.unwrap_or("(none)")
                    ));
                    None
                }
            }
        }
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(not recorded)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A flag value: `null` means the variable is not set on that side; an absent key was not recorded.
fn flag_value(v: Option<&Value>) -> String {
    match v {
        Some(Value::Null) => "(unset)".into(),
        other => text(other),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn dashboard_item(loaded: &Loaded) -> Item {
    let mut item = Item::new(
        "dashboard-response",
        "Grafana dashboard deployment response (JSON snippet)",
    );
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_DASHBOARDS_PUSH,
        true,
        "run `rollout dashboards push` (writes evidence/dashboards-push.json)",
    ) else {
        return item;
    };
    let result = s(v, "/result").unwrap_or("(not recorded)");
    item.status = match result {
        "pushed" => Status::Present,
        "dry-run" => {
            item.notes
                .push("only a dry run was recorded: nothing was pushed".into());
            Status::Missing
        }
        _ => Status::Failed,
    };
    item.field("Grafana", text(v.get("grafanaUrl")));
    item.field("Result", result);
    item.field("Finished at", text(v.get("finishedAt")));
    if let Some(e) = s(v, "/error") {
        item.notes.push(e.to_string());
    }
    for d in v
        .get("dashboards")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let uid = text(d.get("uid"));
        item.field(
            &format!("Dashboard {uid}"),
            format!("{} ({})", text(d.get("result")), text(d.get("file"))),
        );
        if d.get("result").and_then(Value::as_str) == Some("pushed") {
            item.field(&format!("Dashboard {uid} URL"), text(d.get("url")));
            item.field(&format!("Dashboard {uid} version"), text(d.get("version")));
        }
        if let Some(resp) = d.get("response") {
            item.snippets.push(Snippet {
                lang: "json",
                text: pretty(resp),
            });
        }
    }
    item
}

fn alert_item(loaded: &Loaded, environment: &str) -> Item {
    let mut item = Item::new("alert-post-response", "Alertmanager POST response");
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_ALERTS_FIRE,
        true,
        &format!(
            "run `rollout alerts fire --alertmanager-url URL --environment {environment}` (writes evidence/alerts-fire.json)"
        ),
    ) else {
        return item;
    };
    let result = s(v, "/result").unwrap_or("(not recorded)");
    item.status = match result {
        "confirmed" => Status::Present,
        "dry-run" => {
            item.notes
                .push("only a dry run was recorded: no alert was sent".into());
            Status::Missing
        }
        _ => Status::Failed,
    };
    item.field("Alertmanager", text(v.get("alertmanagerUrl")));
    item.field("Environment", text(v.get("environment")));
    item.field("Result", result);
    item.field("Silence id", text(v.pointer("/silence/id")));
    item.field(
        "Maintenance window start",
        text(v.pointer("/silence/startsAt")),
    );
    item.field("Maintenance window end", text(v.pointer("/silence/endsAt")));
    item.field("Alerts posted at", text(v.pointer("/times/alertsPostedAt")));
    item.field(
        "Suppression confirmed at",
        text(v.pointer("/times/confirmedAt")),
    );
    for c in v
        .get("confirmations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ok = c.get("ok").and_then(Value::as_bool) == Some(true);
        let by = c
            .get("silencedBy")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        item.field(
            &format!("Alert {}", text(c.get("alertname"))),
            format!(
                "{} ({}{})",
                if ok { "confirmed" } else { "NOT confirmed" },
                text(c.get("state")),
                if by.is_empty() {
                    String::new()
                } else {
                    format!(", silenced by {by}")
                }
            ),
        );
    }
    if let Some(e) = s(v, "/error") {
        item.notes.push(e.to_string());
    }
    for ex in v
        .get("exchanges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let is_post = ex.get("method").and_then(Value::as_str) == Some("POST");
        if is_post {
            let shown = crate::json!({
                "request": format!("{} {}", text(ex.get("method")), text(ex.get("path"))),
                "at": ex.get("at"),
                "status": ex.get("status"),
                "response": ex.get("responseBody"),
            });
            item.snippets.push(Snippet {
                lang: "json",
                text: pretty(&shown),
            });
        }
    }
    item
}

fn flag_item(loaded: &Loaded) -> Item {
    let mut item = Item::new("feature-flag", "Feature flag confirmation (config diff)");
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_FLAG_DIFF,
        false,
        "run `rollout diff --evidence-json evidence/flag-diff.json`",
    ) else {
        return item;
    };
    item.status = Status::Present;
    item.field("Environment", text(v.get("environment")));
    item.field("Compared against", text(v.get("source")));
    item.field("Generated at", text(v.get("generatedAt")));
    match v.get("changes").and_then(Value::as_array) {
        None => {
            item.status = Status::Unreadable;
            item.notes
                .push("the flag evidence has no `changes` array".into());
        }
        Some(changes) if changes.is_empty() => {
            item.notes.push("the diff recorded no flag change".into())
        }
        Some(changes) => {
            for c in changes {
                item.field(
                    &format!(
                        "{} [{}] {}",
                        text(c.get("resource")),
                        text(c.get("container")),
                        text(c.get("name"))
                    ),
                    format!(
                        "{} → {}",
                        flag_value(c.get("before")),
                        flag_value(c.get("after"))
                    ),
                );
            }
        }
    }
    if let Some(diff) = s(v, "/diff").filter(|d| !d.trim().is_empty()) {
        item.snippets.push(Snippet {
            lang: "diff",
            text: diff.trim_end().to_string(),
        });
    }
    item
}

fn quiet_item(loaded: &Loaded) -> Item {
    let mut item = Item::new(
        "maintenance-window-closed",
        "Maintenance window closed (alerts resolved, silence expired)",
    );
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_ALERTS_QUIET,
        true,
        "run `rollout alerts quiet --alertmanager-url URL --environment staging`",
    ) else {
        return item;
    };
    let result = s(v, "/result").unwrap_or("(not recorded)");
    item.status = match result {
        "quiet" => Status::Present,
        "dry-run" => {
            item.notes.push("only a dry run was recorded".into());
            Status::Missing
        }
        _ => Status::Failed,
    };
    item.field("Result", result);
    item.field("Silence id", text(v.get("silenceId")));
    item.field("Silence state", text(v.get("silenceState")));
    item.field("Alerts resolved at", text(v.get("resolvedAt")));
    item.field("Silence expired at", text(v.get("silenceExpiredAt")));
    let remaining = v
        .get("remainingAlerts")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    item.field("Synthetic alerts still listed", remaining.to_string());
    if let Some(e) = s(v, "/error") {
        item.notes.push(e.to_string());
    }
    item
}

/// The `argocd-sync*.json` files (`rollout sync --evidence FILE`, one Application each), sorted.
fn sync_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(files::ARGOCD_SYNC_PREFIX) && n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Reads the evidence `rollout sync` writes (`argocd::evidence::Evidence`: snake_case fields, no `kind`).
fn sync_item(dir: &Path) -> Item {
    let mut item = Item::new("argocd-sync", "Service redeploy (Argo CD sync)");
    item.hint = Some(format!(
        "run `rollout sync APP --evidence {}`",
        dir.join(files::ARGOCD_SYNC).display()
    ));
    let names = sync_files(dir);
    if names.is_empty() {
        item.notes.push(format!(
            "no evidence file {}",
            dir.join(files::ARGOCD_SYNC).display()
        ));
        return item;
    }
    let mut statuses = Vec::new();
    for name in names {
        let loaded = read_json(dir, &name);
        let (path, v) = match &loaded {
            Loaded::Ok(p, v) if v.get("application").is_some() && v.get("result").is_some() => {
                (p.clone(), v)
            }
            Loaded::Ok(p, _) => {
                item.sources.push(p.clone());
                item.notes.push(format!(
                    "{p}: not `rollout sync` evidence (no application or result)"
                ));
                statuses.push(Status::Unreadable);
                continue;
            }
            Loaded::Bad(p, reason) => {
                item.sources.push(p.clone());
                item.notes.push(format!("{p}: {reason}"));
                statuses.push(Status::Unreadable);
                continue;
            }
            Loaded::Absent(_) => continue,
        };
        item.sources.push(path);
        let app = text(v.get("application"));
        let result = s(v, "/result").unwrap_or("(not recorded)");
        let dry_run = v.get("dry_run").and_then(Value::as_bool) == Some(true);
        statuses.push(match (result, dry_run) {
            ("succeeded", false) => Status::Present,
            ("succeeded", true) => {
                item.notes
                    .push(format!("{app}: only a dry run was recorded"));
                Status::Missing
            }
            _ => Status::Failed,
        });
        item.field(&format!("{app}: Argo CD"), text(v.get("server")));
        item.field(
            &format!("{app}: result"),
            if dry_run {
                format!("{result} (dry run)")
            } else {
                result.to_string()
            },
        );
        item.field(
            &format!("{app}: requested revision"),
            text(v.get("requested_revision")),
        );
        item.field(
            &format!("{app}: synced revision"),
            text(v.get("synced_revision")),
        );
        item.field(&format!("{app}: started at"), text(v.get("started_at")));
        item.field(&format!("{app}: finished at"), text(v.get("finished_at")));
        item.field(
            &format!("{app}: final sync / health"),
            format!(
                "{} / {}",
                text(v.get("sync_status")),
                text(v.get("health_status"))
            ),
        );
        if let Some(op) = v.get("operation") {
            let phase = text(op.get("phase"));
            item.field(
                &format!("{app}: operation"),
                match op.get("message").and_then(Value::as_str) {
                    Some(m) => format!("{phase}: {m}"),
                    None => phase,
                },
            );
        }
        for r in v
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let group = r.get("group").and_then(Value::as_str).unwrap_or_default();
            let kind = text(r.get("kind"));
            let gk = if group.is_empty() {
                kind
            } else {
                format!("{group}/{kind}")
            };
            let ns = r
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let name = text(r.get("name"));
            let id = if ns.is_empty() {
                format!("{gk} {name}")
            } else {
                format!("{gk} {ns}/{name}")
            };
            let health = r.get("health").and_then(Value::as_str).unwrap_or("-");
            item.field(
                &format!("{app}: {id}"),
                format!("{}, {health}", text(r.get("sync"))),
            );
        }
        if let Some(f) = s(v, "/failure") {
            item.notes.push(format!("{app}: {f}"));
        }
    }
    item.status = if statuses.contains(&Status::Failed) {
        Status::Failed
    } else if statuses.contains(&Status::Unreadable) {
        Status::Unreadable
    } else if statuses.iter().all(|s| *s == Status::Present) {
        Status::Present
    } else {
        Status::Missing
    };
    item
}

/// `rollout evidence metrics` evidence: each query's first and last value, a chart per panel.
fn metrics_item(loaded: &Loaded) -> Item {
    let mut item = Item::new(
        "metrics-before-after",
        "Metrics before and after (Prometheus)",
    );
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        crate::metrics::KIND,
        true,
        "run `rollout evidence metrics --prometheus-url URL --from T1 --to T2`",
    ) else {
        return item;
    };
    let result = judged(&mut item, v, "ok");
    item.field("Prometheus", text(v.get("prometheusUrl")));
    item.field("Dashboard", text(v.get("dashboard")));
    item.field(
        "Window",
        format!("{} → {}", text(v.get("from")), text(v.get("to"))),
    );
    item.field("Result", result);
    for p in v
        .get("panels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let title = text(p.get("title"));
        for t in p
            .get("targets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let series = t.get("series").and_then(Value::as_array);
            let value = match (t.get("result").and_then(Value::as_str), series) {
                (Some("ok"), Some(list)) => list
                    .iter()
                    .map(|se| {
                        let labels = se
                            .get("labels")
                            .and_then(Value::as_object)
                            .map(|m| {
                                m.iter()
                                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })
                            .unwrap_or_default();
                        format!(
                            "{}{} → {}",
                            if labels.is_empty() {
                                String::new()
                            } else {
                                format!("{{{labels}}} ")
                            },
                            text(se.get("first")),
                            text(se.get("last"))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                (r, _) => format!(
                    "{}{}",
                    r.unwrap_or("(not recorded)"),
                    t.get("error")
                        .and_then(Value::as_str)
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            };
            item.field(&format!("{title} [{}]", text(t.get("refId"))), value);
        }
        if let Some(c) = p.get("chart").and_then(Value::as_str) {
            item.images.push((title.clone(), c.to_string()));
        }
    }
    if let Some(e) = s(v, "/error") {
        item.notes.push(e.to_string());
    }
    item
}

/// The evidence's `result`: the item is present when it is `ok_value`, failed otherwise.
fn judged<'v>(item: &mut Item, v: &'v Value, ok_value: &str) -> &'v str {
    let result = s(v, "/result").unwrap_or("(not recorded)");
    item.status = if result == ok_value {
        Status::Present
    } else {
        Status::Failed
    };
    result
}

/// `rollout evidence redis` evidence: each judged group's backlog before and after.
fn redis_item(loaded: &Loaded) -> Item {
    let mut item = Item::new(
        "redis-backlog-check",
        "Redis backlog (rollout evidence redis)",
    );
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        crate::redis::KIND,
        true,
        "run `rollout evidence redis --url URL --stream NAME --group NAME`",
    ) else {
        return item;
    };
    let result = judged(&mut item, v, "ok");
    item.field("Redis", text(v.get("url")));
    item.field("Stream", text(v.get("stream")));
    item.field("Result", result);
    let samples = v.get("samples").and_then(Value::as_array);
    let first = samples.and_then(|a| a.first());
    let last = samples.and_then(|a| a.last());
    item.field(
        "Samples",
        format!(
            "{} ({} → {})",
            samples.map_or(0, Vec::len),
            text(first.and_then(|f| f.get("at"))),
            text(last.and_then(|f| f.get("at")))
        ),
    );
    item.field(
        "Stream length",
        format!(
            "{} → {}",
            text(first.and_then(|f| f.get("length"))),
            text(last.and_then(|f| f.get("length")))
        ),
    );
    for g in last
        .and_then(|l| l.get("groups"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        item.field(
            &format!("Group {}", text(g.get("name"))),
            format!(
                "pending {}, lag {}, oldest pending age {} ms",
                text(g.get("pending")),
                text(g.get("lag")),
                text(g.get("oldestPendingAgeMs"))
            ),
        );
    }
    for vd in v
        .get("verdicts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        item.field(
            &format!("Backlog of {}", text(vd.get("group"))),
            format!(
                "{} → {} (growth {}, max {})",
                text(vd.get("backlogBefore")),
                text(vd.get("backlogAfter")),
                text(vd.get("growth")),
                text(v.get("maxGrowth"))
            ),
        );
    }
    if let Some(e) = s(v, "/error") {
        item.notes.push(e.to_string());
    }
    item
}

/// `rollout dashboards restore` evidence: which version came back and as which new version.
fn restore_item(loaded: &Loaded) -> Item {
    let mut item = Item::new(
        "dashboard-restore",
        "Dashboard restored to an earlier version (rollback plan)",
    );
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_DASHBOARDS_RESTORE,
        true,
        "run `rollout dashboards restore UID --previous` (writes evidence/dashboards-restore.json)",
    ) else {
        return item;
    };
    let result = s(v, "/result").unwrap_or("(not recorded)");
    item.status = match result {
        "restored" => Status::Present,
        "dry-run" => {
            item.notes
                .push("only a dry run was recorded: nothing was restored".into());
            Status::Missing
        }
        _ => Status::Failed,
    };
    item.field("Grafana", text(v.get("grafanaUrl")));
    item.field("Dashboard", text(v.get("uid")));
    item.field("Result", result);
    item.field(
        "Restored",
        format!(
            "version {} ({}, {})",
            text(v.get("targetVersion")),
            text(v.get("requested")),
            text(v.get("versionSource"))
        ),
    );
    item.field("Latest version before", text(v.get("latestVersion")));
    if result == "restored" {
        item.field("Saved as version", text(v.get("restoredVersion")));
        item.field("URL", text(v.get("url")));
    }
    item.field("Finished at", text(v.get("finishedAt")));
    if let Some(e) = s(v, "/error") {
        item.notes.push(e.to_string());
    }
    item
}

/// `rollout status` evidence: each workload's result, pods Ready and restarts.
fn status_item(loaded: &Loaded) -> Item {
    let mut item = Item::new(
        "pods-healthy",
        "Pods healthy after the redeploy (rollout status)",
    );
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        crate::status::KIND,
        true,
        "run `rollout status` (writes evidence/rollout-status.json)",
    ) else {
        return item;
    };
    let result = judged(&mut item, v, "rolled-out");
    item.field("Environment", text(v.get("environment")));
    item.field("API server", text(v.get("server")));
    item.field("Result", result);
    item.field("Finished at", text(v.get("finishedAt")));
    for w in v
        .get("workloads")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pods = w.get("pods").and_then(Value::as_array);
        let ready = pods.map_or(0, |p| {
            p.iter()
                .filter(|p| p.get("ready").and_then(Value::as_bool) == Some(true))
                .count()
        });
        let mut value = format!(
            "{}, {ready}/{} pods Ready, {} restarts",
            text(w.get("result")),
            pods.map_or(0, Vec::len),
            text(w.get("restarts"))
        );
        if let Some(m) = w.get("message").and_then(Value::as_str) {
            value.push_str(&format!(": {m}"));
        }
        item.field(
            &format!(
                "{}/{} ({})",
                text(w.get("kind")),
                text(w.get("name")),
                text(w.get("namespace"))
            ),
            value,
        );
    }
    if let Some(e) = s(v, "/error") {
        item.notes.push(e.to_string());
    }
    item
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn fence(snippet: &Snippet) -> String {
    let longest = snippet
        .text
        .split('\n')
        .filter(|l| l.starts_with("```"))
        .map(|l| l.len())
        .max()
        .unwrap_or(0);
    let ticks = "`".repeat(longest.max(2) + 1);
    format!("{ticks}{}\n{}\n{ticks}\n", snippet.lang, snippet.text)
}

fn render_item(out: &mut String, n: usize, item: &Item, image_base: &str) {
    let mut blocks = vec![format!("### {n}. {}", item.title)];
    let mut status = format!("**Status:** {}", item.status.label());
    if !item.sources.is_empty() {
        let srcs: Vec<String> = item.sources.iter().map(|s| format!("`{s}`")).collect();
        status.push_str(&format!(" · source {}", srcs.join(", ")));
    }
    blocks.push(status);
    if !item.fields.is_empty() {
        let mut table = String::from("| | |\n|---|---|");
        for f in &item.fields {
            table.push_str(&format!("\n| {} | {} |", cell(&f.label), cell(&f.value)));
        }
        blocks.push(table);
    }
    if !item.notes.is_empty() {
        blocks.push(
            item.notes
                .iter()
                .map(|n| format!("> {}", cell(n)))
                .collect::<Vec<_>>()
                .join("\n>\n"),
        );
    }
    for sn in &item.snippets {
        blocks.push(fence(sn).trim_end().to_string());
    }
    for (alt, path) in &item.images {
        let base = image_base.trim_end_matches('/');
        let link = if base.is_empty() || base == "." {
            path.clone()
        } else {
            format!("{base}/{path}")
        };
        blocks.push(format!(
            "![{}]({})",
            alt.replace(['[', ']'], ""),
            link.replace(' ', "%20")
        ));
    }
    if item.status != Status::Present
        && let Some(h) = &item.hint
    {
        blocks.push(format!("To fill in: {h}."));
    }
    out.push('\n');
    out.push_str(&blocks.join("\n\n"));
    out.push('\n');
}

/// The report as Markdown (deterministic: no generation time; every time shown comes from evidence).
pub fn render_markdown(report: &Report) -> String {
    let mut out = format!("# {}\n\n", report.title);
    out.push_str(&format!(
        "Assembled by `rollout evidence` from `{}`. Every value below is copied from an evidence file; \
         items without evidence are listed as missing, not filled in.\n\n",
        report.evidence_dir
    ));
    out.push_str(&format!(
        "- Environment: {}\n",
        report.environment.as_deref().unwrap_or("(not recorded)")
    ));
    out.push_str(&format!("- Summary: {}\n", report.summary()));
    out.push_str("\n## Evidence Capture Checklist\n\n");
    for item in report.items() {
        let mark = if item.status == Status::Present {
            "x"
        } else {
            " "
        };
        out.push_str(&format!(
            "- [{mark}] {} ({})\n",
            item.title,
            item.status.label()
        ));
    }
    out.push_str("\n## Checklist items\n");
    for (i, item) in report.checklist.iter().enumerate() {
        render_item(&mut out, i + 1, item, &report.image_base);
    }
    out.push_str("\n## Other steps\n");
    for (i, item) in report.steps.iter().enumerate() {
        render_item(
            &mut out,
            report.checklist.len() + i + 1,
            item,
            &report.image_base,
        );
    }
    render_handoff(&mut out, &report.handoff);
    out
}

fn render_handoff(out: &mut String, h: &Handoff) {
    out.push_str("\n## Handoff\n\n");
    match h.dashboard_urls.as_slice() {
        [] => out.push_str("- Dashboard: not pushed (no `dashboards push` evidence of a push)\n"),
        urls => {
            for u in urls {
                out.push_str(&format!("- Dashboard: <{u}>\n"));
            }
        }
    }
    let entries = |out: &mut String, label: &str, list: &[HandoffEntry]| {
        if list.is_empty() {
            out.push_str(&format!("- {label}: none\n"));
            return;
        }
        out.push_str(&format!("- {label} ({}):\n", list.len()));
        for e in list {
            out.push_str(&format!("  - {}", e.title));
            if let Some(d) = &e.detail {
                out.push_str(&format!(": {}", cell(d)));
            }
            out.push('\n');
        }
    };
    if h.passed.is_empty() {
        out.push_str("- Passed: none\n");
    } else {
        out.push_str(&format!(
            "- Passed ({}): {}\n",
            h.passed.len(),
            h.passed.join("; ")
        ));
    }
    entries(out, "Failed", &h.failed);
    entries(out, "Still missing", &h.missing);
}

/// The report as pretty JSON.
pub fn render_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_directory_gives_every_item_missing_and_nothing_invented() {
        let dir = tempfile::tempdir().unwrap();
        let r = assemble(dir.path());
        assert!(r.items().all(|i| i.status == Status::Missing), "{r:?}");
        assert!(
            r.items()
                .all(|i| i.fields.is_empty() && i.snippets.is_empty())
        );
        assert_eq!(r.environment, None);
        assert!(!r.complete());
        assert!(
            r.summary()
                .starts_with("0 of 5 items present; 5 missing: dashboard-response")
        );
    }

    #[test]
    fn wrong_kind_and_bad_json_are_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(files::DASHBOARDS_PUSH),
            r#"{"kind":"alerts-fire"}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join(files::FLAG_DIFF), "{nope").unwrap();
        let r = assemble(dir.path());
        assert_eq!(r.checklist[0].status, Status::Unreadable);
        assert_eq!(r.checklist[2].status, Status::Unreadable);
        assert!(
            r.checklist[2].notes[0].contains("line 1 column 2"),
            "{:?}",
            r.checklist[2].notes
        );
    }

    #[test]
    fn issue_12_items_title_and_hints_come_from_the_settings_not_the_media_example() {
        let dir = tempfile::tempdir().unwrap();
        let settings = ReportSettings {
            title: None,
            dashboards: false,
            alerts: false,
            flags: true,
            metrics: false,
            redis: false,
            status: false,
            manual: vec![crate::spec::ManualEvidence {
                key: "smoke".into(),
                title: "Smoke test output".into(),
                file: "smoke-*.txt".into(),
                hint: None,
            }],
        };
        let r = assemble_with(dir.path(), &settings);
        let keys: Vec<&str> = r.items().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["smoke", "feature-flag", "argocd-sync"]);
        assert_eq!(r.title, "Validation report");
        assert!(!render_markdown(&r).contains("Redis") && !render_markdown(&r).contains("Staging"));
        std::fs::write(dir.path().join("smoke-1.txt"), "ok 12 checks\n").unwrap();
        std::fs::write(
            dir.path().join(files::FLAG_DIFF),
            r#"{"environment": "production", "changes": []}"#,
        )
        .unwrap();
        let r = assemble_with(dir.path(), &settings);
        assert_eq!(r.checklist[0].status, Status::Present);
        assert_eq!(r.checklist[0].snippets[0].text, "ok 12 checks");
        assert_eq!(r.title, "Production validation report");
    }

    #[test]
    fn handoff_takes_the_dashboard_url_and_each_verdict_from_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let settings = ReportSettings {
            dashboards: true,
            alerts: false,
            flags: false,
            metrics: true,
            redis: true,
            ..ReportSettings::default()
        };
        std::fs::write(
            dir.path().join(files::DASHBOARDS_PUSH),
            r#"{"kind": "dashboards-push", "result": "pushed", "grafanaUrl": "https://grafana.example",
                "dashboards": [{"uid": "pipe", "result": "pushed", "url": "https://grafana.example/d/pipe/pipeline", "version": 3},
                               {"uid": "old", "result": "rejected", "url": "https://grafana.example/d/old"}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join(crate::redis::EVIDENCE_FILE),
            r#"{"kind": "redis-backlog", "result": "backlog-grew", "error": "group clusterer pending grew by 500 (max 100)"}"#,
        )
        .unwrap();
        let r = assemble_with(dir.path(), &settings);
        let h = &r.handoff;
        assert_eq!(
            h.dashboard_urls,
            ["https://grafana.example/d/pipe/pipeline"]
        );
        assert_eq!(
            h.passed,
            ["Grafana dashboard deployment response (JSON snippet)"]
        );
        let failed: Vec<&str> = h.failed.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(failed, ["Redis backlog (rollout evidence redis)"]);
        assert!(h.failed[0].detail.is_some(), "{h:?}");
        let missing: Vec<&str> = h.missing.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            missing,
            [
                "Metrics before and after (Prometheus)",
                "Service redeploy (Argo CD sync)"
            ],
            "metrics listed though its file is absent: the settings expect it"
        );
        assert!(
            h.missing[0]
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("run `rollout evidence metrics")),
            "{h:?}"
        );
        let md = render_markdown(&r);
        let tail = &md[md.find("\n## Handoff\n").expect("handoff section")..];
        assert!(md.ends_with(tail), "the handoff ends the report");
        assert!(
            tail.contains("- Dashboard: <https://grafana.example/d/pipe/pipeline>\n"),
            "{tail}"
        );
        assert!(
            tail.contains("- Failed (1):\n  - Redis backlog (rollout evidence redis): "),
            "{tail}"
        );
        assert!(tail.contains("- Still missing (2):\n  - Metrics before and after (Prometheus): run `rollout evidence metrics"), "{tail}");
        let empty = assemble_with(
            tempfile::tempdir().unwrap().path(),
            &ReportSettings::default(),
        );
        assert!(render_markdown(&empty).contains("- Dashboard: not pushed"));
        assert!(render_markdown(&empty).contains("- Passed: none\n"));
    }

    #[test]
    fn fences_outgrow_backticks_in_the_text() {
        let f = fence(&Snippet {
            lang: "text",
            text: "```\nx\n```".into(),
        });
        assert!(f.starts_with("````text\n"), "{f}");
    }
}
