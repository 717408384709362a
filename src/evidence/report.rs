//! The staging validation report: the plan's Evidence Capture Checklist filled from evidence files.
//!
//! Owns which evidence file answers which checklist item and how it is shown (Markdown and JSON).
//! Every value shown is copied from an evidence file; an item without evidence is listed as missing,
//! never filled in. Reads the evidence directory; writes nothing (the command writes the output).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

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
    pub key: &'static str,
    /// The checklist wording.
    pub title: &'static str,
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
}

impl Item {
    fn new(key: &'static str, title: &'static str) -> Self {
        Item {
            key,
            title,
            status: Status::Missing,
            sources: Vec::new(),
            fields: Vec::new(),
            snippets: Vec::new(),
            notes: Vec::new(),
            hint: None,
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
    /// The plan's Evidence Capture Checklist, in the plan's order.
    pub checklist: Vec<Item>,
    /// The other steps of the plan with evidence: maintenance window closed, Argo CD sync.
    pub steps: Vec<Item>,
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
                    .map(|i| i.key)
                    .collect();
                line.push_str(&format!("; {n} {}: {}", s.label(), keys.join(", ")));
            }
        }
        line
    }
}

/// Reads the evidence directory and assembles the report. Never fails: unreadable files become
/// `unreadable` items.
pub fn assemble(evidence_dir: &Path) -> Report {
    let dir_text = evidence_dir.display().to_string();
    let read = |name: &str| read_json(evidence_dir, name);
    let push = read(files::DASHBOARDS_PUSH);
    let fire = read(files::ALERTS_FIRE);
    let quiet = read(files::ALERTS_QUIET);
    let flags = read(files::FLAG_DIFF);
    let sync = read(files::ARGOCD_SYNC);
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
    let checklist = vec![
        dashboard_item(&push),
        alert_item(&fire),
        screenshot_item(
            evidence_dir,
            "notification-screenshots",
            "Notification screenshots",
            "notifications",
            "the synthetic alerts fire inside a silence, so no Slack or PagerDuty notification is expected; \
             a screenshot of the silenced alerts in the Alertmanager UI shows the same",
        ),
        screenshot_item(
            evidence_dir,
            "metrics-screenshots",
            "Metrics screenshots (Pipeline Health dashboard)",
            "metrics",
            "before/after screenshots of the pushed dashboard",
        ),
        redis_item(evidence_dir),
        flag_item(&flags),
    ];
    let steps = vec![quiet_item(&quiet), sync_item(&sync)];
    Report {
        kind: "staging-validation-report",
        evidence_dir: dir_text,
        environment,
        checklist,
        steps,
    }
}

enum Loaded {
    Absent(String),
    Ok(String, Value),
    Bad(String, String),
}

fn read_json(dir: &Path, name: &str) -> Loaded {
    let path: PathBuf = dir.join(name);
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Absent(shown),
        Err(e) => return Loaded::Bad(shown, format!("cannot read: {e}")),
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

fn alert_item(loaded: &Loaded) -> Item {
    let mut item = Item::new("alert-post-response", "Alertmanager POST response");
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_ALERTS_FIRE,
        "run `rollout alerts fire --alertmanager-url URL --environment staging` (writes evidence/alerts-fire.json)",
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
            let shown = serde_json::json!({
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

fn screenshot_item(
    dir: &Path,
    key: &'static str,
    title: &'static str,
    prefix: &str,
    what: &str,
) -> Item {
    let mut item = Item::new(key, title);
    let shots = dir.join(files::SCREENSHOTS);
    let mut found: Vec<String> = std::fs::read_dir(&shots)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    found.sort();
    item.hint = Some(format!("add {}/{prefix}-*.png ({what})", shots.display()));
    if found.is_empty() {
        item.notes
            .push(format!("no {prefix}-* file in {}", shots.display()));
        return item;
    }
    item.status = Status::Present;
    for f in found {
        let p = shots.join(&f).display().to_string();
        item.sources.push(p.clone());
        item.field("Screenshot", p);
    }
    item
}

fn redis_item(dir: &Path) -> Item {
    let mut item = Item::new("redis-backlog", "Redis backlog command output");
    let path = dir.join(files::REDIS_BACKLOG);
    item.hint = Some(format!(
        "save the output of `redis-cli XINFO GROUPS <stream>` and `XPENDING <stream> <group>` to {}",
        path.display()
    ));
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => {
            item.status = Status::Present;
            item.sources.push(path.display().to_string());
            item.snippets.push(Snippet {
                lang: "text",
                text: t.trim_end().to_string(),
            });
        }
        Ok(_) => item.notes.push(format!("{} is empty", path.display())),
        Err(_) => item
            .notes
            .push(format!("no evidence file {}", path.display())),
    }
    item
}

fn flag_item(loaded: &Loaded) -> Item {
    let mut item = Item::new("feature-flag", "Feature flag confirmation (config diff)");
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_FLAG_DIFF,
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

fn sync_item(loaded: &Loaded) -> Item {
    let mut item = Item::new("argocd-sync", "Service redeploy (Argo CD sync)");
    let Some((_, v)) = expect_kind(
        &mut item,
        loaded,
        super::KIND_ARGOCD_SYNC,
        "run `rollout sync --evidence evidence/argocd-sync.json`",
    ) else {
        return item;
    };
    let result = s(v, "/result").unwrap_or("(not recorded)");
    item.status = if result == "synced" {
        Status::Present
    } else {
        Status::Failed
    };
    item.field("Argo CD", text(v.get("server")));
    item.field("Result", result);
    item.field("Started at", text(v.get("startedAt")));
    item.field("Finished at", text(v.get("finishedAt")));
    for app in v
        .get("applications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        item.field(
            &format!("Application {}", text(app.get("name"))),
            format!(
                "revision {}, sync {}, health {}, operation {}",
                text(app.get("revision")),
                text(app.get("syncStatus")),
                text(app.get("healthStatus")),
                text(app.get("operationPhase"))
            ),
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

fn render_item(out: &mut String, n: usize, item: &Item) {
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
    let mut out = String::from("# Staging validation report\n\n");
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
        render_item(&mut out, i + 1, item);
    }
    out.push_str("\n## Other steps\n");
    for (i, item) in report.steps.iter().enumerate() {
        render_item(&mut out, report.checklist.len() + i + 1, item);
    }
    let missing: Vec<&Item> = report
        .items()
        .filter(|i| i.status != Status::Present)
        .collect();
    if !missing.is_empty() {
        out.push_str("\n## Missing or failed\n\n");
        for item in missing {
            out.push_str(&format!("- {} ({})", item.title, item.status.label()));
            if let Some(h) = &item.hint {
                out.push_str(&format!(": {h}"));
            }
            out.push('\n');
        }
    }
    out
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
                .starts_with("0 of 8 items present; 8 missing: dashboard-response")
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
        assert_eq!(r.checklist[5].status, Status::Unreadable);
        assert!(
            r.checklist[5].notes[0].contains("line 1 column 2"),
            "{:?}",
            r.checklist[5].notes
        );
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
