//! Feature-flag evidence for the staging validation report: per workload and container, the flag
//! and image before and after, the base image, every change outside the expected ones (flagged),
//! when, against what, by which `rollout`, and the diff itself; as Markdown and as JSON.
//!
//! Owns the evidence model, the rule for "expected change", and both renderings. Pure: the caller
//! writes the files. Values come already masked; nothing here sees a credential.

use std::path::{Path, PathBuf};

use crate::json;
use crate::value::Value;

use super::changes::{FieldPath, Op, Seg, leaves};
use super::{Action, ObjectDiff, Summary, summarize};
use crate::live::SourceInfo;
use crate::resource::ResourceId;

/// Version stamped into evidence.
pub const ROLLOUT_VERSION: &str = env!("CARGO_PKG_VERSION");
/// `kind` of the JSON evidence (`evidence/flag-diff.json`, read by `rollout evidence`).
pub const EVIDENCE_KIND: &str = "flag-diff";
/// `schemaVersion` of the JSON evidence; bumped only when a field changes meaning.
pub const EVIDENCE_SCHEMA_VERSION: u32 = 1;

/// What the rollout is expected to change (filled from rollout.yaml by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// The feature-flag environment variable.
    pub flag: String,
    /// The annotation carrying the base image on each workload.
    pub base_image_annotation: String,
    /// The spec's label and annotation domain: labels and annotations `<domain>/…` are rollout's
    /// own (the environment label, the base-image annotation), so changing them is expected.
    /// `None` without a spec.
    pub domain: Option<String>,
}

impl Default for Expectations {
    fn default() -> Self {
        Expectations {
            flag: "ENABLE_EMBEDDING_EVENT_STREAMS".into(),
            base_image_annotation: "rollout.sploot.io/base-image".into(),
            domain: None,
        }
    }
}

/// A value before (live) and after (rendered); `None` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BeforeAfter {
    /// Live.
    pub before: Option<String>,
    /// Rendered.
    pub after: Option<String>,
}

impl BeforeAfter {
    fn json(&self) -> Value {
        json!({"before": self.before, "after": self.after})
    }
}

/// One container of a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvidence {
    /// Container name.
    pub name: String,
    /// True for an init container.
    pub init: bool,
    /// The flag's value (`valueFrom …` when it comes from a reference).
    pub flag: BeforeAfter,
    /// The image.
    pub image: BeforeAfter,
}

/// One workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadEvidence {
    /// `group.version.Kind.namespace.name`.
    pub id: String,
    /// `apps/v1/Deployment/media/auth` (the form `rollout evidence` shows).
    pub resource: String,
    /// What applying does to it.
    pub action: Action,
    /// The base-image annotation.
    pub base_image: BeforeAfter,
    /// Its containers (init containers first), rendered order, then live-only ones.
    pub containers: Vec<ContainerEvidence>,
}

/// A change outside the expected ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Unexpected {
    /// The object.
    pub id: String,
    /// What applying does to it.
    pub action: Action,
    /// The field (empty for a whole object created or pruned).
    pub path: FieldPath,
    /// add, remove, change, type-change.
    pub op: Op,
    /// Live value (`None` for whole objects and additions).
    pub before: Option<Value>,
    /// Rendered value (`None` for whole objects and removals).
    pub after: Option<Value>,
}

/// The evidence of one `rollout diff` run.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// When (UTC, seconds).
    pub generated_at: jiff::Timestamp,
    /// The target as given.
    pub rendered: PathBuf,
    /// Where live state came from.
    pub source: SourceInfo,
    /// The expectations checked.
    pub expect: Expectations,
    /// The environment (`staging`), when known.
    pub environment: Option<String>,
    /// Counts per action.
    pub summary: Summary,
    /// Per workload.
    pub workloads: Vec<WorkloadEvidence>,
    /// Changes outside the expected ones.
    pub unexpected: Vec<Unexpected>,
    /// The plain unified diff.
    pub diff: String,
}

/// Where the pod spec of a workload kind is.
fn pod_spec(group: &str, kind: &str) -> Option<&'static [&'static str]> {
    match (group, kind) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            Some(&["spec", "template", "spec"])
        }
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// The parts of an object the evidence reads (its annotations and, at its pod spec, the name,
/// image and env of its containers and init containers), or `None` when it reads nothing of this
/// kind: what an [`ObjectDiff`] keeps of each side once compared, so that a large diff does not
/// hold every object twice.
pub fn view(id: &ResourceId, value: &Value) -> Option<Value> {
    let pod = pod_spec(&id.gvk.group, &id.gvk.kind)?;
    let mut out = Value::Object(crate::value::Map::new());
    if let Some(a) = at(Some(value), &["metadata", "annotations"]) {
        out["metadata"] = json!({ "annotations": a.clone() });
    }
    for field in ["initContainers", "containers"] {
        let mut keys = pod.to_vec();
        keys.push(field);
        if let Some(c) = at(Some(value), &keys) {
            let mut slot = &mut out;
            for k in pod {
                slot = &mut slot[*k];
            }
            let read = |c: &Value| -> Value {
                let keep = ["name", "image", "env"];
                match c.as_object() {
                    Some(m) => Value::Object(
                        m.iter()
                            .filter(|(k, _)| keep.contains(&k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                    None => c.clone(),
                }
            };
            slot[field] = match c {
                Value::Array(items) => Value::Array(items.iter().map(read).collect()),
                other => other.clone(),
            };
        }
    }
    Some(out)
}

fn at<'a>(v: Option<&'a Value>, keys: &[&str]) -> Option<&'a Value> {
    let mut cur = v?;
    for k in keys {
        cur = cur.get(*k)?;
    }
    Some(cur)
}

fn flag_value(container: &Value, flag: &str) -> Option<String> {
    let entry = container
        .get("env")?
        .as_array()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(flag))?;
    Some(match (entry.get("value"), entry.get("valueFrom")) {
        (Some(Value::String(s)), _) => s.clone(),
        (Some(other), _) => other.to_string(),
        (None, Some(from)) => format!("valueFrom {from}"),
        (None, None) => String::new(),
    })
}

fn containers(v: Option<&Value>, pod: &[&str], field: &str) -> Vec<Value> {
    let mut keys = pod.to_vec();
    keys.push(field);
    at(v, &keys)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn name_of(c: &Value) -> String {
    c.get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn workload(o: &ObjectDiff, pod: &[&str], expect: &Expectations) -> WorkloadEvidence {
    let ann = |v: Option<&Value>| {
        at(
            v,
            &["metadata", "annotations", &expect.base_image_annotation],
        )
        .and_then(Value::as_str)
        .map(str::to_string)
    };
    let mut out = Vec::new();
    for (field, init) in [("initContainers", true), ("containers", false)] {
        let before = containers(o.live.as_ref(), pod, field);
        let after = containers(o.rendered.as_ref(), pod, field);
        let mut names: Vec<String> = after.iter().map(name_of).collect();
        for b in &before {
            let n = name_of(b);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        for name in names {
            let b = before.iter().find(|c| name_of(c) == name);
            let a = after.iter().find(|c| name_of(c) == name);
            let image = |c: Option<&Value>| {
                c.and_then(|c| c.get("image"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            out.push(ContainerEvidence {
                name,
                init,
                flag: BeforeAfter {
                    before: b.and_then(|c| flag_value(c, &expect.flag)),
                    after: a.and_then(|c| flag_value(c, &expect.flag)),
                },
                image: BeforeAfter {
                    before: image(b),
                    after: image(a),
                },
            });
        }
    }
    WorkloadEvidence {
        id: o.id.to_string(),
        resource: format!(
            "{}/{}/{}/{}",
            o.id.gvk.api_version(),
            o.id.gvk.kind,
            o.id.namespace,
            o.id.name
        ),
        action: o.action,
        base_image: BeforeAfter {
            before: ann(o.live.as_ref()),
            after: ann(o.rendered.as_ref()),
        },
        containers: out,
    }
}

/// True when a leaf path is one the rollout is expected to change: a container image, the flag's
/// env entry, or the base-image annotation (on the workload or its pod template).
fn expected_leaf(path: &FieldPath, pod: &[&str], expect: &Expectations) -> bool {
    let s = &path.0;
    let key = |i: usize, k: &str| matches!(s.get(i), Some(Seg::Key(x)) if x == k);
    let ann = &expect.base_image_annotation;
    if s.len() == 3 && key(0, "metadata") && key(1, "annotations") && key(2, ann) {
        return true;
    }
    let template = &pod[..pod.len() - 1];
    if s.len() == template.len() + 3
        && path.starts_with_keys(template)
        && key(template.len(), "metadata")
        && key(template.len() + 1, "annotations")
        && key(template.len() + 2, ann)
    {
        return true;
    }
    let n = pod.len();
    if !path.starts_with_keys(pod) || !(key(n, "containers") || key(n, "initContainers")) {
        return false;
    }
    if !matches!(s.get(n + 1), Some(Seg::Named { key: "name", .. })) {
        return false;
    }
    (s.len() == n + 3 && key(n + 2, "image"))
        || (key(n + 2, "env")
            && matches!(s.get(n + 3), Some(Seg::Named { key: "name", value }) if value == &expect.flag))
}

/// True when a leaf path is a label or annotation rollout itself writes (`<domain>/…`), on the
/// object or on a workload's pod template.
fn owned_metadata(path: &FieldPath, pod: Option<&[&str]>, expect: &Expectations) -> bool {
    let Some(domain) = expect.domain.as_deref().filter(|d| !d.is_empty()) else {
        return false;
    };
    let s = &path.0;
    let owned_at = |i: usize| {
        s.len() == i + 3
            && matches!(s.get(i), Some(Seg::Key(k)) if k == "metadata")
            && matches!(s.get(i + 1), Some(Seg::Key(k)) if k == "labels" || k == "annotations")
            && matches!(s.get(i + 2), Some(Seg::Key(k))
                if k.strip_prefix(domain).is_some_and(|rest| rest.starts_with('/')))
    };
    if owned_at(0) {
        return true;
    }
    pod.is_some_and(|pod| {
        let template = &pod[..pod.len() - 1];
        path.starts_with_keys(template) && owned_at(template.len())
    })
}

fn unexpected(o: &ObjectDiff, expect: &Expectations, out: &mut Vec<Unexpected>) {
    if matches!(o.action, Action::Created | Action::Pruned) {
        out.push(Unexpected {
            id: o.id.to_string(),
            action: o.action,
            path: FieldPath::default(),
            op: if o.action == Action::Created {
                Op::Add
            } else {
                Op::Remove
            },
            before: None,
            after: None,
        });
        return;
    }
    let pod = pod_spec(&o.id.gvk.group, &o.id.gvk.kind);
    for c in &o.changes {
        let mut ls = Vec::new();
        for v in [&c.before, &c.after].into_iter().flatten() {
            leaves(&c.path, v, &mut ls);
        }
        let ok = !ls.is_empty()
            && ls.iter().all(|l| {
                owned_metadata(l, pod, expect)
                    || pod.is_some_and(|pod| expected_leaf(l, pod, expect))
            });
        if !ok {
            out.push(Unexpected {
                id: o.id.to_string(),
                action: o.action,
                path: c.path.clone(),
                op: c.op,
                before: c.before.clone(),
                after: c.after.clone(),
            });
        }
    }
}

/// Builds the evidence from compared objects.
pub fn build(
    objects: &[ObjectDiff],
    source: &SourceInfo,
    rendered: &Path,
    expect: &Expectations,
    environment: Option<&str>,
    now: jiff::Timestamp,
    diff: &str,
) -> Evidence {
    let mut workloads = Vec::new();
    let mut unexp = Vec::new();
    for o in objects {
        if let Some(pod) = pod_spec(&o.id.gvk.group, &o.id.gvk.kind) {
            workloads.push(workload(o, pod, expect));
        }
        unexpected(o, expect, &mut unexp);
    }
    Evidence {
        generated_at: now,
        rendered: rendered.to_path_buf(),
        source: source.clone(),
        expect: expect.clone(),
        environment: environment.map(str::to_string),
        summary: summarize(objects),
        workloads,
        unexpected: unexp,
        diff: diff.to_string(),
    }
}

/// The `live` object of the JSON outputs.
pub fn source_json(source: &SourceInfo) -> Value {
    match source {
        SourceInfo::Snapshot { dir } => {
            json!({"kind": "snapshot", "dir": dir.display().to_string()})
        }
        SourceInfo::Cluster {
            context,
            cluster,
            server,
        } => json!({"kind": "cluster", "cluster": cluster, "context": context, "server": server}),
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code(s: &str) -> String {
    format!("`{}`", md_escape(s))
}

fn shown(v: &Option<String>, quote: bool) -> String {
    match v {
        None => "absent".into(),
        Some(s) if quote => code(&format!("{s:?}")),
        Some(s) => code(s),
    }
}

fn value_md(v: &Option<Value>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => code(&v.to_string()),
    }
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::Unchanged => "unchanged",
        Action::Changed => "changed",
        Action::Created => "will be created",
        Action::Pruned => "would be pruned",
    }
}

impl Evidence {
    /// `2026-11-27T11:30:00Z`.
    pub fn time(&self) -> String {
        self.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// The Markdown evidence, to paste into the staging validation report unchanged.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let live = match &self.source {
            SourceInfo::Snapshot { dir } => {
                format!("snapshot {}", code(&dir.display().to_string()))
            }
            SourceInfo::Cluster {
                context,
                cluster,
                server,
            } => format!(
                "cluster {} (context {}, server {})",
                code(cluster.as_deref().unwrap_or("in-cluster")),
                code(context.as_deref().unwrap_or("in-cluster")),
                code(server)
            ),
        };
        md.push_str(&format!(
            "## Rollout diff: {} against live state\n\n",
            code(&self.rendered.display().to_string())
        ));
        md.push_str(&format!("- **Time:** {}\n", self.time()));
        if let Some(env) = &self.environment {
            md.push_str(&format!("- **Environment:** {}\n", code(env)));
        }
        md.push_str(&format!("- **Live state:** {live}\n"));
        md.push_str(&format!(
            "- **Rendered:** {}\n",
            code(&self.rendered.display().to_string())
        ));
        md.push_str(&format!("- **rollout version:** {ROLLOUT_VERSION}\n"));
        md.push_str(&format!(
            "- **Result:** {}; {} unexpected change{}\n\n",
            self.summary.line(),
            self.unexpected.len(),
            if self.unexpected.len() == 1 { "" } else { "s" }
        ));
        md.push_str(&format!(
            "### Feature flag {} and images\n\n",
            code(&self.expect.flag)
        ));
        md.push_str(
            "| Workload | Container | Flag before | Flag after | Image before | Image after |\n",
        );
        md.push_str("|---|---|---|---|---|---|\n");
        for w in &self.workloads {
            for c in &w.containers {
                let name = if c.init {
                    format!("{} (init)", code(&c.name))
                } else {
                    code(&c.name)
                };
                md.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    code(&w.id),
                    name,
                    shown(&c.flag.before, true),
                    shown(&c.flag.after, true),
                    shown(&c.image.before, false),
                    shown(&c.image.after, false),
                ));
            }
        }
        md.push_str(&format!(
            "\n### Base image ({})\n\n| Workload | Before | After |\n|---|---|---|\n",
            code(&self.expect.base_image_annotation)
        ));
        for w in &self.workloads {
            md.push_str(&format!(
                "| {} | {} | {} |\n",
                code(&w.id),
                shown(&w.base_image.before, false),
                shown(&w.base_image.after, false)
            ));
        }
        md.push_str("\n### Unexpected changes\n\n");
        if self.unexpected.is_empty() {
            md.push_str(
                "None: every change is the flag, a container image or the base-image annotation.\n",
            );
        } else {
            for u in &self.unexpected {
                if u.path.0.is_empty() {
                    md.push_str(&format!(
                        "- **UNEXPECTED** {}: {}\n",
                        code(&u.id),
                        action_word(u.action)
                    ));
                } else {
                    md.push_str(&format!(
                        "- **UNEXPECTED** {} {}: {} → {}\n",
                        code(&u.id),
                        code(&u.path.to_string()),
                        value_md(&u.before),
                        value_md(&u.after)
                    ));
                }
            }
        }
        md.push_str("\n### Diff\n\n");
        if self.diff.is_empty() {
            md.push_str("No differences.\n");
        } else {
            md.push_str("```diff\n");
            md.push_str(&self.diff);
            md.push_str("```\n");
        }
        md
    }

    /// The flag changes, one per container whose flag value differs: `resource`
    /// (`apps/v1/Deployment/media/auth`), `container`, `name`, `before`, `after` (`null`: unset).
    pub fn flag_changes(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for w in &self.workloads {
            for c in w
                .containers
                .iter()
                .filter(|c| c.flag.before != c.flag.after)
            {
                out.push(json!({
                    "resource": w.resource,
                    "container": c.name,
                    "name": self.expect.flag,
                    "before": c.flag.before,
                    "after": c.flag.after,
                }));
            }
        }
        out
    }

    /// The JSON evidence (`evidence/flag-diff.json`, read by `rollout evidence`). Top-level fields
    /// are an interface: `kind`, `schemaVersion`, `generatedAt`, `environment`, `source`,
    /// `changes`, `diff` (the shape `rollout evidence` reads), and `rolloutVersion`, `rendered`,
    /// `live`, `flag`, `baseImageAnnotation`, `summary`, `expectedOnly`, `workloads`, `unexpected`.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": EVIDENCE_KIND,
            "schemaVersion": EVIDENCE_SCHEMA_VERSION,
            "generatedAt": self.time(),
            "environment": self.environment,
            "source": self.source.to_string(),
            "changes": self.flag_changes(),
            "rolloutVersion": ROLLOUT_VERSION,
            "rendered": self.rendered.display().to_string(),
            "live": source_json(&self.source),
            "flag": self.expect.flag,
            "baseImageAnnotation": self.expect.base_image_annotation,
            "summary": self.summary,
            "expectedOnly": self.unexpected.is_empty(),
            "workloads": self.workloads.iter().map(|w| json!({
                "id": w.id,
                "resource": w.resource,
                "action": w.action,
                "baseImage": w.base_image.json(),
                "containers": w.containers.iter().map(|c| json!({
                    "name": c.name,
                    "init": c.init,
                    "flag": c.flag.json(),
                    "image": c.image.json(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "unexpected": self.unexpected.iter().map(|u| json!({
                "id": u.id,
                "action": u.action,
                "path": u.path.to_string(),
                "op": u.op,
                "before": u.before,
                "after": u.after,
            })).collect::<Vec<_>>(),
            "diff": self.diff,
        })
    }
}
