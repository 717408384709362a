//! `rollout diff`: rendered manifests against live state (a cluster or a snapshot), as a unified
//! diff, structured changes and feature-flag evidence.
//!
//! Owns the comparison: normalization (`normalize`), masking (`mask`), changes (`changes`), text
//! (`text`) and evidence (`evidence`). Reads live state only through `crate::live`; prints nothing.

pub mod changes;
pub mod evidence;
pub mod mask;
pub mod normalize;
pub mod render;
pub mod text;

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::fsutil::{self, FsError, WriteResult};
use crate::live::cluster::{ClusterError, ClusterOptions, ClusterSource};
use crate::live::snapshot::SnapshotError;
use crate::live::{LabelSelector, LiveObjects, LiveQuery, SelectorError, Snapshot, SourceInfo};
use crate::resource::{Resource, ResourceId};

pub use changes::{Change, FieldPath, Op};
pub use evidence::{Evidence, Expectations};
pub use normalize::{IgnoreError, IgnoreRule};
pub use render::{RenderError, Rendered, render_dir};

/// Where live state comes from.
#[derive(Debug, Clone)]
pub enum LiveOptions {
    /// `--live-dir DIR`.
    Snapshot(PathBuf),
    /// The cluster (kubeconfig, context, timeout).
    Cluster(ClusterOptions),
}

/// Everything `rollout diff` needs, resolved from flags and rollout.yaml.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The overlay directory or pre-rendered YAML file.
    pub target: PathBuf,
    /// Where live state comes from.
    pub live: LiveOptions,
    /// `--prune-selector`.
    pub prune_selector: Option<String>,
    /// `--ignore` rules and those from rollout.yaml.
    pub ignore: Vec<IgnoreRule>,
    /// What counts as an expected change (the flag, the base-image annotation).
    pub expect: Expectations,
    /// The environment recorded in the evidence (`staging`), when known.
    pub environment: Option<String>,
    /// `--evidence FILE.md`.
    pub evidence_markdown: Option<PathBuf>,
    /// `--evidence-json FILE.json`.
    pub evidence_json: Option<PathBuf>,
    /// The time stamped into the evidence (`None`: now).
    pub now: Option<jiff::Timestamp>,
}

/// What can stop `rollout diff`.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The target could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The snapshot directory could not be read.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The cluster could not be read.
    #[error(transparent)]
    Cluster(Box<ClusterError>),
    /// An ignore rule names a kind that does not exist.
    #[error(transparent)]
    Ignore(#[from] normalize::IgnoreError),
    /// `--prune-selector` is not a label selector.
    #[error(transparent)]
    Selector(#[from] SelectorError),
    /// A rendered object has no kind or name.
    #[error("{at}: rendered object has no {missing}")]
    Incomplete {
        /// Where (file:line:col).
        at: String,
        /// `apiVersion`, `kind` or `metadata.name`.
        missing: &'static str,
    },
    /// Two rendered objects share an identity.
    #[error("{second}: {id} is rendered twice (first at {first})")]
    Duplicate {
        /// The identity (`group.version.Kind.namespace.name`).
        id: String,
        /// Where it was first rendered.
        first: String,
        /// Where again.
        second: String,
    },
    /// An evidence file could not be written.
    #[error(transparent)]
    Write(#[from] FsError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl From<ClusterError> for DiffError {
    fn from(e: ClusterError) -> Self {
        DiffError::Cluster(Box::new(e))
    }
}

/// What happens to an object when the rendered manifests are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Live equals rendered on every rendered field.
    Unchanged,
    /// Some rendered field differs from live.
    Changed,
    /// Not found live: will be created.
    Created,
    /// Live, matching the prune selector, not rendered: would be pruned.
    Pruned,
}

/// The comparison of one object.
#[derive(Debug, Clone)]
pub struct ObjectDiff {
    /// Its identity (namespace resolved).
    pub id: ResourceId,
    /// What applying would do.
    pub action: Action,
    /// The structured changes (one whole-object change for created and pruned objects).
    pub changes: Vec<Change>,
    /// Live, normalized, masked and projected onto the rendered fields, as YAML (empty if created).
    pub before_text: String,
    /// Rendered, normalized and masked, as YAML (empty if pruned).
    pub after_text: String,
    /// Live, normalized and masked but not projected: the parts the evidence reads (a workload's
    /// annotations and containers, for the flag and base image before); `None` for other kinds.
    pub live: Option<Value>,
    /// Rendered, normalized and masked: the parts the evidence reads, as for `live`.
    pub rendered: Option<Value>,
}

impl ObjectDiff {
    /// An object only the new side has: one whole-object addition.
    pub fn created(id: ResourceId, after: Value) -> Self {
        let rendered = evidence::view(&id, &after);
        ObjectDiff {
            id,
            action: Action::Created,
            changes: vec![Change {
                path: FieldPath::default(),
                op: Op::Add,
                before: None,
                after: Some(after.clone()),
            }],
            before_text: String::new(),
            after_text: crate::yaml::emit(&after),
            live: None,
            rendered,
        }
    }

    /// An object only the old side has: one whole-object removal.
    pub fn pruned(id: ResourceId, before: Value) -> Self {
        let live = evidence::view(&id, &before);
        ObjectDiff {
            id,
            action: Action::Pruned,
            changes: vec![Change {
                path: FieldPath::default(),
                op: Op::Remove,
                before: Some(before.clone()),
                after: None,
            }],
            before_text: crate::yaml::emit(&before),
            after_text: String::new(),
            live,
            rendered: None,
        }
    }
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Objects with changes.
    pub changed: usize,
    /// Objects to create.
    pub created: usize,
    /// Objects that would be pruned.
    pub pruned: usize,
    /// Objects without changes.
    pub unchanged: usize,
}

impl Summary {
    /// One line: `3 changed, 0 to create, 0 to prune, 7 unchanged`.
    pub fn line(&self) -> String {
        format!(
            "{} changed, {} to create, {} to prune, {} unchanged",
            self.changed, self.created, self.pruned, self.unchanged
        )
    }
}

/// The result of `rollout diff`.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// The target as given.
    pub target: PathBuf,
    /// Where live state came from.
    pub source: SourceInfo,
    /// Every rendered object in render order, then prune candidates.
    pub objects: Vec<ObjectDiff>,
    /// Renderer warnings.
    pub warnings: Vec<String>,
    /// The flag and image evidence.
    pub evidence: Evidence,
    /// Evidence files written (and whether their bytes changed).
    pub written: Vec<(PathBuf, WriteResult)>,
    /// The unified diff without colours, as the evidence quotes it (computed once).
    text: String,
}

impl DiffReport {
    /// True when applying would change, create or prune anything (exit 1).
    pub fn has_diff(&self) -> bool {
        self.objects.iter().any(|o| o.action != Action::Unchanged)
    }

    /// Counts per action.
    pub fn summary(&self) -> Summary {
        summarize(&self.objects)
    }

    /// The unified diff of every object that differs (`color`: ANSI colours).
    pub fn render_text(&self, color: bool) -> String {
        if color {
            text::render(&self.objects, true)
        } else {
            self.text.clone()
        }
    }

    /// `--output json`: source, summary and every object with its structured changes.
    pub fn to_json(&self) -> Value {
        json!({
            "rendered": self.target.display().to_string(),
            "live": evidence::source_json(&self.source),
            "summary": self.summary(),
            "objects": self.objects.iter().map(object_json).collect::<Vec<_>>(),
        })
    }
}

fn summarize(objects: &[ObjectDiff]) -> Summary {
    let mut s = Summary::default();
    for o in objects {
        match o.action {
            Action::Unchanged => s.unchanged += 1,
            Action::Changed => s.changed += 1,
            Action::Created => s.created += 1,
            Action::Pruned => s.pruned += 1,
        }
    }
    s
}

fn object_json(o: &ObjectDiff) -> Value {
    json!({
        "id": o.id.to_string(),
        "apiVersion": o.id.gvk.api_version(),
        "kind": o.id.gvk.kind,
        "namespace": o.id.namespace,
        "name": o.id.name,
        "action": o.action,
        "changes": o.changes,
    })
}

/// Renders the target, reads live state, compares, and writes evidence files when asked.
///
/// # Errors
/// Any [`DiffError`]: render or snapshot input errors, cluster errors (timeout, 401, 403,
/// persistent 5xx), an invalid selector, an evidence file that cannot be written.
pub fn run(opts: &DiffOptions) -> Result<DiffReport, DiffError> {
    let prune = opts
        .prune_selector
        .as_deref()
        .map(LabelSelector::parse)
        .transpose()?;
    let rendered = render_dir(&opts.target)?;
    if let Err(e) = check_duplicates(&rendered.resources) {
        // Read without positions: point at the field, as a located read would.
        return Err(match render::render_located(&opts.target) {
            Ok(located) => check_duplicates(&located.resources).err().unwrap_or(e),
            Err(_) => e,
        });
    }
    let rendered_kinds: std::collections::BTreeSet<&str> = rendered
        .resources
        .iter()
        .filter_map(|r| r.value.get("kind").and_then(Value::as_str))
        .collect();
    for rule in &opts.ignore {
        rule.check_kind(rendered_kinds.iter().copied())?;
    }
    let query = LiveQuery {
        ids: rendered.resources.iter().map(Resource::id).collect(),
        prune,
        rendered_crds: rendered_crds(&rendered.resources),
    };
    let Rendered {
        mut resources,
        warnings,
    } = rendered;
    let live = match &opts.live {
        LiveOptions::Snapshot(dir) => {
            // Normalized first (the comparison does it again; it is idempotent): the live side is
            // projected onto these as it is read. A snapshot's namespaces are the rendered ones.
            for r in &mut resources {
                let id = r.id();
                r.value = normalized_owned(std::mem::take(&mut r.value), &id, &opts.ignore);
            }
            let index: std::collections::HashMap<ResourceId, usize> = query
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect();
            // Secrets stay whole: masking reads every value of both sides.
            let shrink = |live: &mut Value| {
                let id = ResourceId::of(live);
                if let Some(&i) = index.get(&id)
                    && !mask::is_secret(&id.gvk.group, &id.gvk.kind)
                {
                    shrink_onto(live, &resources[i].value, &id, &opts.ignore);
                }
            };
            Snapshot::load_lean_each(dir, &shrink)?.into_live(&query)
        }
        LiveOptions::Cluster(c) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(DiffError::Runtime)?;
            rt.block_on(async {
                let source = ClusterSource::connect(c).await?;
                source.query(&query).await
            })?
        }
    };
    let source = live.source.clone();
    // Each rendered and live object is dropped once compared: memory holds one side's parse at
    // most, not both sides and their normalized copies.
    let objects = compare_owned(resources, live, &opts.ignore);
    let now = opts.now.unwrap_or_else(jiff::Timestamp::now);
    let text = text::render(&objects, false);
    let evidence = evidence::build(
        &objects,
        &source,
        &opts.target,
        &opts.expect,
        opts.environment.as_deref(),
        now,
        &text,
    );
    let mut written = Vec::new();
    if let Some(p) = &opts.evidence_markdown {
        written.push((
            p.clone(),
            fsutil::write_evidence(p, &evidence.to_markdown())?,
        ));
    }
    if let Some(p) = &opts.evidence_json {
        let mut bytes = serde_json::to_string_pretty(&evidence.to_json()).unwrap_or_default();
        bytes.push('\n');
        written.push((p.clone(), fsutil::write_evidence(p, &bytes)?));
    }
    Ok(DiffReport {
        target: opts.target.clone(),
        source,
        objects,
        warnings,
        evidence,
        written,
        text,
    })
}

fn check_duplicates(resources: &[Resource]) -> Result<(), DiffError> {
    let mut seen = std::collections::HashMap::with_capacity(resources.len());
    for r in resources {
        for (missing, value, pointer) in [
            ("apiVersion", r.api_version(), "/apiVersion"),
            ("kind", r.kind(), "/kind"),
            ("metadata.name", r.name(), "/metadata"),
        ] {
            if value.is_empty() {
                return Err(DiffError::Incomplete {
                    at: r.origin.describe(pointer),
                    missing,
                });
            }
        }
        if let Some(first) = seen.insert(r.id(), r.origin.describe("")) {
            return Err(DiffError::Duplicate {
                id: r.id().to_string(),
                first,
                second: r.origin.describe(""),
            });
        }
    }
    Ok(())
}

fn rendered_crds(resources: &[Resource]) -> Vec<(String, String)> {
    resources
        .iter()
        .filter(|r| r.kind() == "CustomResourceDefinition")
        .filter_map(|r| {
            let g = r.value.pointer("/spec/group")?.as_str()?;
            let k = r.value.pointer("/spec/names/kind")?.as_str()?;
            Some((g.to_string(), k.to_string()))
        })
        .collect()
}

/// A live object reduced, as soon as it is read, to what comparing it with `rendered` (its
/// rendered counterpart, normalized) reads: normalized and projected onto the rendered fields
/// (what [`compare_one`] projects it onto again), with the parts the evidence reads kept whole.
/// Comparing the reduced object gives what comparing the whole one gives; identity is kept, as
/// the rendered object has it.
fn shrink_onto(live: &mut Value, rendered: &Value, id: &ResourceId, rules: &[IgnoreRule]) {
    let full = normalized_owned(std::mem::take(live), id, rules);
    let mut reduced = normalize::project(&full, rendered);
    if let Some(view) = evidence::view(id, &full) {
        overlay(&mut reduced, view);
    }
    *live = reduced;
}

/// `from`'s mappings merged into `into`, and its lists of named items (containers) item by item;
/// its other values replace `into`'s.
fn overlay(into: &mut Value, from: Value) {
    let named = |items: &[Value]| {
        items
            .iter()
            .all(|i| i.get("name").is_some_and(Value::is_string))
    };
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(slot) => overlay(slot, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if named(a) && named(&b) => {
            for item in b {
                match a.iter_mut().find(|x| x.get("name") == item.get("name")) {
                    Some(slot) => overlay(slot, item),
                    None => a.push(item),
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn normalized_owned(mut v: Value, id: &ResourceId, rules: &[IgnoreRule]) -> Value {
    normalize::drop_nulls(&mut v);
    normalize::strip(&mut v, id, rules);
    v
}

/// A copy of a live object without what is dropped anyway (pruned objects, which stay shared).
fn normalized(value: &Value, id: &ResourceId, rules: &[IgnoreRule]) -> Value {
    // Copy without the two largest server-owned fields instead of copying and then dropping them.
    let mut v = match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "status")
                .map(|(k, v)| match (k.as_str(), v) {
                    ("metadata", Value::Object(md)) => (
                        k.clone(),
                        Value::Object(
                            md.iter()
                                .filter(|(k, _)| k.as_str() != "managedFields")
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        ),
                    ),
                    _ => (k.clone(), v.clone()),
                })
                .collect(),
        ),
        other => other.clone(),
    };
    normalize::drop_nulls(&mut v);
    normalize::strip(&mut v, id, rules);
    v
}

/// Compares rendered objects with what a live source returned: the pure core of [`run`].
pub fn compare_all(
    rendered: &[Resource],
    live: &LiveObjects,
    rules: &[IgnoreRule],
) -> Vec<ObjectDiff> {
    compare_owned(rendered.to_vec(), live.clone(), rules)
}

/// Compares one rendered object with its live counterpart (`None`: not found). Of both sides,
/// the result keeps only what the evidence reads ([`evidence::view`]).
fn compare_one(
    r: Resource,
    namespace: Option<&String>,
    live: Option<Value>,
    rules: &[IgnoreRule],
) -> ObjectDiff {
    let mut id = r.id();
    if let Some(ns) = namespace {
        id.namespace = ns.clone();
    }
    let mut after = normalized_owned(r.value, &id, rules);
    let mut before = live.map(|l| normalized_owned(l, &id, rules));
    if mask::is_secret(&id.gvk.group, &id.gvk.kind) {
        mask::mask_secret(before.as_mut(), Some(&mut after));
    }
    match before {
        Some(b) => {
            normalize::reconcile(&mut after, &b);
            let projected = normalize::project(&b, &after);
            let changes = changes::compare(&projected, &after);
            let action = if changes.is_empty() {
                Action::Unchanged
            } else {
                Action::Changed
            };
            let (before_text, after_text) = if changes.is_empty() {
                (String::new(), String::new())
            } else {
                (crate::yaml::emit(&projected), crate::yaml::emit(&after))
            };
            let (live, rendered) = (evidence::view(&id, &b), evidence::view(&id, &after));
            ObjectDiff {
                id,
                action,
                changes,
                before_text,
                after_text,
                live,
                rendered,
            }
        }
        None => ObjectDiff::created(id, after),
    }
}

/// [`compare_all`], consuming both sides (no copies).
pub fn compare_owned(
    rendered: Vec<Resource>,
    live: LiveObjects,
    rules: &[IgnoreRule],
) -> Vec<ObjectDiff> {
    let mut out = Vec::with_capacity(rendered.len() + live.prune.len());
    let mut found: Vec<Option<Value>> = live.found;
    found.resize(rendered.len(), None);
    let tasks: Vec<(Resource, Option<&String>, Option<Value>)> = rendered
        .into_iter()
        .zip(found)
        .enumerate()
        .map(|(i, (r, l))| (r, live.namespaces.get(i), l))
        .collect();
    // Objects are independent: big inputs are compared on every core, order kept.
    let threads = crate::fsutil::cores().min(8);
    if tasks.len() >= 256 && threads > 1 {
        let per = tasks.len().div_ceil(threads);
        let mut chunks: Vec<Vec<_>> = Vec::new();
        let mut it = tasks.into_iter();
        loop {
            let c: Vec<_> = it.by_ref().take(per).collect();
            if c.is_empty() {
                break;
            }
            chunks.push(c);
        }
        let results: Vec<Vec<ObjectDiff>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|c| {
                    scope.spawn(move || {
                        c.into_iter()
                            .map(|(r, ns, l)| compare_one(r, ns, l, rules))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        out.extend(results.into_iter().flatten());
    } else {
        out.extend(
            tasks
                .into_iter()
                .map(|(r, ns, l)| compare_one(r, ns, l, rules)),
        );
    }
    for p in &live.prune {
        let id = ResourceId::of(p);
        let mut before = normalized(p, &id, rules);
        if mask::is_secret(&id.gvk.group, &id.gvk.kind) {
            mask::mask_secret(Some(&mut before), None);
        }
        out.push(ObjectDiff::pruned(id, before));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::SourceInfo;

    fn cm(name: &str, value: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "media"}, "data": {"k": value}})
    }

    #[test]
    fn a_live_object_shrunk_as_read_compares_as_the_whole_one() {
        let rendered = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "auth", "namespace": "media",
                "annotations": {"rollout.sploot.io/base-image": "py:3.11"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "app", "image": "auth:2", "env": [{"name": "FLAG", "value": "1"}],
                 "resources": {"limits": {"cpu": "500m"}}}]}}}});
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "auth", "namespace": "media", "uid": "u", "generation": 4,
                "annotations": {"rollout.sploot.io/base-image": "py:3.10", "team": "media"},
                "labels": {"app": "auth"}},
            "spec": {"replicas": 3, "progressDeadlineSeconds": 600,
                "template": {"spec": {"dnsPolicy": "ClusterFirst", "containers": [
                    {"name": "app", "image": "auth:1", "imagePullPolicy": "IfNotPresent",
                     "env": [{"name": "FLAG", "valueFrom": {"configMapKeyRef": {"name": "f", "key": "k"}}},
                             {"name": "OLD", "value": "x"}],
                     "resources": {"limits": {"cpu": "0.5"}}},
                    {"name": "sidecar", "image": "proxy:1"}]}}},
            "status": {"replicas": 3, "conditions": [{"type": "Available", "status": "True"}]}});
        let r = Resource::new(rendered, Default::default());
        let id = r.id();
        let rules = [];
        let whole = compare_one(r.clone(), None, Some(live.clone()), &rules);
        let normalized_rendered = normalized_owned(r.value.clone(), &id, &rules);
        let mut shrunk = live;
        shrink_onto(&mut shrunk, &normalized_rendered, &id, &rules);
        assert!(
            shrunk.get("status").is_none()
                && shrunk["spec"].get("progressDeadlineSeconds").is_none()
        );
        let reduced = compare_one(r, None, Some(shrunk), &rules);
        assert_eq!(reduced.action, whole.action);
        assert_eq!(reduced.changes, whole.changes);
        assert_eq!(reduced.before_text, whole.before_text);
        assert_eq!(reduced.after_text, whole.after_text);
        // The evidence still reads the flag's source and the image and annotation before.
        assert_eq!(reduced.live, whole.live);
        assert_eq!(reduced.rendered, whole.rendered);
        let env = &whole.live.as_ref().unwrap()["spec"]["template"]["spec"]["containers"][0]["env"];
        assert!(env[0].get("valueFrom").is_some(), "{env}");
    }

    #[test]
    fn many_objects_keep_their_order_and_results() {
        let n = 1000;
        let rendered: Vec<Resource> = (0..n)
            .map(|i| Resource::new(cm(&format!("c{i:04}"), "new"), Default::default()))
            .collect();
        let found = (0..n)
            .map(|i| match i % 3 {
                0 => Some(cm(&format!("c{i:04}"), "old")),
                1 => Some(cm(&format!("c{i:04}"), "new")),
                _ => None,
            })
            .collect();
        let live = LiveObjects {
            found,
            namespaces: vec!["media".into(); n],
            prune: vec![cm("gone", "x")],
            source: SourceInfo::Snapshot { dir: "s".into() },
        };
        let out = compare_owned(rendered, live, &[]);
        assert_eq!(out.len(), n + 1);
        for (i, o) in out.iter().take(n).enumerate() {
            assert_eq!(o.id.name, format!("c{i:04}"));
            let want = [Action::Changed, Action::Unchanged, Action::Created][i % 3];
            assert_eq!(o.action, want, "{i}");
        }
        assert_eq!(out[n].action, Action::Pruned);
        assert_eq!(out[0].changes[0].path.to_string(), "data.k");
    }
}
