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

use crate::json;
use crate::value::Value;

use crate::fsutil::{self, FsError, WriteResult};
use crate::live::cluster::{ClusterError, ClusterOptions, ClusterSource};
use crate::live::snapshot::SnapshotError;
use crate::live::{
    LabelSelector, LiveObjects, LiveQuery, ObjectKey, SelectorError, Snapshot, SourceInfo,
};
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

impl DiffOptions {
    /// `target` against the snapshot in `dir`, with nothing else set: no pruning, ignore rules or
    /// evidence files, the default expectations, stamped now.
    pub fn snapshot(target: PathBuf, dir: PathBuf) -> Self {
        DiffOptions {
            target,
            live: LiveOptions::Snapshot(dir),
            prune_selector: None,
            ignore: Vec::new(),
            expect: Expectations::default(),
            environment: None,
            evidence_markdown: None,
            evidence_json: None,
            now: None,
        }
    }
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
        resources,
        warnings,
    } = rendered;
    let (live, slots) = match &opts.live {
        LiveOptions::Snapshot(dir) => {
            // Each live object is compared as soon as it is read, on the thread that read it, and
            // dropped: what stays of it is its identity (for the snapshot's own checks) and the
            // result. A snapshot's namespaces are the rendered ones.
            let index: std::collections::HashMap<ObjectKey, usize> = query
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| (ObjectKey::of(id), i))
                .collect();
            let slots: Vec<std::sync::Mutex<Slot>> = resources
                .into_iter()
                .map(|r| std::sync::Mutex::new(Slot::Todo(r)))
                .collect();
            let compare_as_read = |live: &mut Value| {
                let id = ResourceId::of(live);
                let Some(&i) = index.get(&ObjectKey::of(&id)) else {
                    return;
                };
                let Ok(mut slot) = slots[i].lock() else {
                    return;
                };
                if let Slot::Todo(_) = &*slot
                    && let Slot::Todo(r) = std::mem::replace(&mut *slot, Slot::Taken)
                {
                    let whole = std::mem::replace(live, identity(live));
                    *slot = Slot::Done(Box::new(compare_one(
                        r,
                        Some(&query.ids[i].namespace),
                        Some(whole),
                        &opts.ignore,
                    )));
                }
            };
            let live = Snapshot::load_lean_each(dir, &compare_as_read)?.into_live(&query);
            let slots = slots
                .into_iter()
                .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
                .collect();
            (live, slots)
        }
        LiveOptions::Cluster(c) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(DiffError::Runtime)?;
            let live = rt.block_on(async {
                let source = ClusterSource::connect(c).await?;
                source.query(&query).await
            })?;
            (live, resources.into_iter().map(Slot::Todo).collect())
        }
    };
    let source = live.source.clone();
    // Each rendered and live object is dropped once compared: memory holds one side's parse at
    // most, not both sides and their normalized copies.
    let objects = compare_slots(slots, live, &opts.ignore);
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

/// A rendered object in [`run`]: not yet compared, being compared, or its result.
enum Slot {
    Todo(Resource),
    Taken,
    Done(Box<ObjectDiff>),
}

/// Only what names `value`: `apiVersion`, `kind`, and `metadata`'s `name` and `namespace`.
fn identity(value: &Value) -> Value {
    let mut out = crate::value::Map::new();
    for k in ["apiVersion", "kind"] {
        if let Some(v) = value.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let mut md = crate::value::Map::new();
    for k in ["name", "namespace"] {
        if let Some(v) = value.get("metadata").and_then(|m| m.get(k)) {
            md.insert(k.into(), v.clone());
        }
    }
    out.insert("metadata".into(), Value::Object(md));
    Value::Object(out)
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
    compare_slots(rendered.into_iter().map(Slot::Todo).collect(), live, rules)
}

/// The result of one slot: compared now, or already.
fn compare_slot(
    slot: Slot,
    namespace: Option<&String>,
    live: Option<Value>,
    rules: &[IgnoreRule],
) -> Option<ObjectDiff> {
    match slot {
        Slot::Todo(r) => Some(compare_one(r, namespace, live, rules)),
        Slot::Done(d) => Some(*d),
        Slot::Taken => None,
    }
}

/// [`compare_owned`] where some objects were compared already (their live side is ignored).
fn compare_slots(slots: Vec<Slot>, live: LiveObjects, rules: &[IgnoreRule]) -> Vec<ObjectDiff> {
    let mut out = Vec::with_capacity(slots.len() + live.prune.len());
    let mut found: Vec<Option<Value>> = live.found;
    found.resize(slots.len(), None);
    let tasks: Vec<(Slot, Option<&String>, Option<Value>)> = slots
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
                            .filter_map(|(r, ns, l)| compare_slot(r, ns, l, rules))
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
                .filter_map(|(r, ns, l)| compare_slot(r, ns, l, rules)),
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

    /// `run` compares each live object as the snapshot is read: the same objects, changes,
    /// texts and evidence views as comparing the snapshot read whole, prune candidates and
    /// Secrets included.
    #[test]
    fn objects_compared_as_read_are_those_compared_after_reading() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let target = root.join("overlays/staging");
        let dir = root.join("fixtures/live/staging");
        let selector = "app.kubernetes.io/part-of=media-clustering-pipeline";
        let opts = DiffOptions {
            prune_selector: Some(selector.into()),
            ..DiffOptions::snapshot(target.clone(), dir.clone())
        };
        let as_read = run(&opts).unwrap();
        let rendered = render_dir(&target).unwrap();
        let query = LiveQuery {
            ids: rendered.resources.iter().map(Resource::id).collect(),
            prune: Some(LabelSelector::parse(selector).unwrap()),
            rendered_crds: rendered_crds(&rendered.resources),
        };
        let whole = Snapshot::load(&dir).unwrap().query(&query);
        let after = compare_all(&rendered.resources, &whole, &[]);
        assert_eq!(as_read.objects.len(), after.len());
        assert!(as_read.objects.iter().any(|o| o.action == Action::Changed));
        assert!(as_read.objects.iter().any(|o| o.action == Action::Pruned));
        for (a, b) in as_read.objects.iter().zip(&after) {
            assert_eq!(
                (&a.id, a.action, &a.changes, &a.before_text, &a.after_text),
                (&b.id, b.action, &b.changes, &b.before_text, &b.after_text)
            );
            assert_eq!((&a.live, &a.rendered), (&b.live, &b.rendered));
        }
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
