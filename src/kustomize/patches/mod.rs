//! Patches: `patches`, `patchesStrategicMerge` and `patchesJson6902`, applied to the working list.
//!
//! Owns patch parsing (strategic merge or JSON 6902, decided by content), target selection and
//! kustomize's "no match" rule. Does no I/O: the loader passes patch text in.

pub mod json6902;
mod keyed;
pub mod strategic;

use crate::value::Value;

use super::KustomizeError;
use super::resmap::{KRes, ResMap, kid, ns_equal};
use super::schema::Schema;
use super::selector::Selector;
use crate::resource::{Gvk, ResourceId};
use crate::yaml;

/// A parsed patch.
#[derive(Debug, Clone)]
pub enum Patch {
    /// One or more strategic-merge documents.
    Strategic(Vec<Value>, Source),
    /// A JSON 6902 operation list.
    Json(json_patch::Patch, Source),
}

/// Where a patch was read from, with its documents' positions, so the fields it sets can point
/// at it ([`super::provenance`]). Empty for inline patches.
#[derive(Debug, Clone, Default)]
pub struct Source {
    file: Option<std::sync::Arc<std::path::Path>>,
    /// Per document (strategic) or the one operation list (JSON): the value and its positions.
    docs: Vec<(Value, std::sync::Arc<yaml::Locations>)>,
}

impl Patch {
    /// Whether the patch holds nothing (an empty file or only comments).
    pub fn is_empty(&self) -> bool {
        match self {
            Patch::Strategic(docs, _) => docs.is_empty(),
            Patch::Json(ops, _) => ops.0.is_empty(),
        }
    }

    /// Marks the patch as read from `file`, so the fields it sets point there.
    pub fn from_file(mut self, file: &std::path::Path) -> Patch {
        let source = match &mut self {
            Patch::Strategic(_, s) | Patch::Json(_, s) => s,
        };
        source.file = Some(std::sync::Arc::from(file));
        self
    }
}

/// Parses patch text: a list is JSON 6902, mappings are strategic merge (several documents allowed).
///
/// # Errors
/// Malformed YAML or JSON patch, with `at` naming the patch.
pub fn parse(text: &str, at: &str) -> Result<Patch, KustomizeError> {
    // kustomize reads a strategic-merge patch with kyaml, where a repeated key's first value
    // wins, and a JSON 6902 patch through YAML-to-JSON, where the last one does.
    let invalid = |e: yaml::YamlError| KustomizeError::invalid(at, format!("invalid patch: {e}"));
    let first = yaml::parse_stream_with(text, yaml::Duplicates::FirstWins).map_err(invalid)?;
    let docs = if !first.duplicates.is_empty()
        && matches!(first.documents.iter().find(|d| !d.value.is_null()), Some(d) if d.value.is_array())
    {
        yaml::parse_stream_with(text, yaml::Duplicates::LastWins)
            .map_err(invalid)?
            .documents
    } else {
        first.documents
    };
    let located: Vec<(Value, std::sync::Arc<yaml::Locations>)> = docs
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| (d.value, std::sync::Arc::new(d.locations)))
        .collect();
    let docs: Vec<Value> = located.iter().map(|(v, _)| v.clone()).collect();
    let source = Source {
        file: None,
        docs: located,
    };
    // kustomize v5.8 reads JSON 6902 text through YAML-to-JSON, which takes the first document:
    // of several lists of operations, only the first applies.
    if docs.first().is_some_and(Value::is_array) && docs.iter().all(Value::is_array) {
        let ops = json6902::parse_ops(&docs[0])
            .map_err(|e| KustomizeError::invalid(at, format!("invalid JSON patch: {e}")))?;
        return Ok(Patch::Json(ops, source));
    }
    if docs.iter().any(|d| !d.is_object()) {
        return Err(KustomizeError::invalid(
            at,
            "a patch must be a mapping (strategic merge) or a list of operations (JSON 6902)",
        ));
    }
    Ok(Patch::Strategic(docs, source))
}

/// A `patches` entry's `options`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// `allowNameChange`: a targeted strategic-merge patch may rename its targets.
    pub allow_name_change: bool,
    /// `allowKindChange`: a targeted strategic-merge patch may change its targets' kind.
    pub allow_kind_change: bool,
}

/// Applies one patch (with an optional target) to the list.
///
/// # Errors
/// A strategic-merge patch without target matching nothing, a JSON patch that does not apply,
/// a JSON patch without target.
pub fn apply(
    list: &mut ResMap,
    patch: &Patch,
    target: Option<&Selector>,
    at: &str,
    schema: &Schema,
    legacy_psm: bool,
) -> Result<(), KustomizeError> {
    apply_with(
        list,
        patch,
        target,
        at,
        schema,
        legacy_psm,
        Options::default(),
    )
}

/// [`apply`] with a `patches` entry's options.
///
/// # Errors
/// As [`apply`].
pub fn apply_with(
    list: &mut ResMap,
    patch: &Patch,
    target: Option<&Selector>,
    at: &str,
    schema: &Schema,
    legacy_psm: bool,
    opts: Options,
) -> Result<(), KustomizeError> {
    match (patch, target) {
        (Patch::Json(ops, source), Some(sel)) => {
            let sel = sel
                .compile()
                .map_err(|e| KustomizeError::invalid(at, format!("invalid target: {e}")))?;
            for r in list.list.iter_mut().filter(|r| sel.matches(r)) {
                // kustomize records the id before a JSON patch (it may rename).
                r.store_previous_id();
                json6902::apply(&mut r.res.value, ops).map_err(|message| {
                    KustomizeError::Patch {
                        location: at.to_string(),
                        target: kid(&r.id()),
                        message,
                    }
                })?;
                if let (Some(file), Some((doc, locs))) = (&source.file, source.docs.first()) {
                    super::provenance::record_json(
                        &mut r.res.origin,
                        &r.res.value,
                        doc,
                        locs,
                        file,
                    );
                }
            }
            Ok(())
        }
        (Patch::Json(..), None) => Err(KustomizeError::invalid(
            at,
            "a JSON 6902 patch needs a `target`",
        )),
        (Patch::Strategic(docs, _), Some(_)) if docs.len() > 1 => Err(KustomizeError::invalid(
            at,
            "several strategic-merge patches in one `patches` entry may not set `target` (kustomize's rule: one patch per entry with a target)",
        )),
        (Patch::Strategic(docs, source), Some(sel)) => {
            let sel = sel
                .compile()
                .map_err(|e| KustomizeError::invalid(at, format!("invalid target: {e}")))?;
            for (d, doc) in docs.iter().enumerate() {
                let new_name = doc
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Value::as_str)
                    .filter(|n| opts.allow_name_change && !n.is_empty())
                    .map(str::to_string);
                let new_kind = doc
                    .get("kind")
                    .and_then(Value::as_str)
                    .filter(|k| opts.allow_kind_change && !k.is_empty())
                    .map(str::to_string);
                let patch_kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
                let mut doc = doc.clone();
                strip_identity(&mut doc);
                let mut delete = Vec::new();
                for (i, r) in list.list.iter_mut().enumerate() {
                    if !sel.matches(r) {
                        continue;
                    }
                    drop_blank_nulls(r);
                    let before = before_view(source, d, &r.res.value);
                    let merged =
                        strategic::merge_resource(&mut r.res.value, &doc, patch_kind, schema)
                            .map_err(|e| KustomizeError::Patch {
                                location: at.to_string(),
                                target: kid(&r.id()),
                                message: e.to_string(),
                            })?;
                    if merged == strategic::Outcome::Delete {
                        delete.push(i);
                        continue;
                    }
                    record(source, d, before.as_ref(), &mut r.res);
                    if let Some(k) = &new_kind
                        && let Value::Object(m) = &mut r.res.value
                    {
                        m.insert("kind".into(), Value::String(k.clone()));
                    }
                    if let Some(n) = &new_name {
                        r.set_name(n);
                    }
                }
                remove_indices(list, &delete);
            }
            Ok(())
        }
        (Patch::Strategic(docs, source), None) => {
            for (d, doc) in docs.iter().enumerate() {
                let pid = patch_id(doc);
                let matches: Vec<usize> = list
                    .list
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| matches_by_id(r, &pid))
                    .map(|(i, _)| i)
                    .collect();
                if matches.is_empty() {
                    let id = kid(&pid);
                    return Err(if legacy_psm {
                        KustomizeError::invalid(
                            at,
                            format!(
                                "no matches for Id {id}; failed to find unique target for patch {id}"
                            ),
                        )
                    } else {
                        KustomizeError::PatchNoMatch {
                            location: at.to_string(),
                            id,
                        }
                    });
                }
                if matches.len() > 1 {
                    return Err(KustomizeError::invalid(
                        at,
                        format!(
                            "multiple matches for Id {}; failed to find unique target for patch",
                            kid(&pid)
                        ),
                    ));
                }
                let patch_kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
                let mut doc = doc.clone();
                strip_identity(&mut doc);
                let i = matches[0];
                drop_blank_nulls(&mut list.list[i]);
                if opts.allow_name_change || opts.allow_kind_change {
                    list.list[i].store_previous_id();
                }
                let before = before_view(source, d, &list.list[i].res.value);
                let merged = strategic::merge_resource(
                    &mut list.list[i].res.value,
                    &doc,
                    patch_kind,
                    schema,
                )
                .map_err(|e| KustomizeError::Patch {
                    location: at.to_string(),
                    target: kid(&list.list[i].id()),
                    message: e.to_string(),
                })?;
                if merged == strategic::Outcome::Delete {
                    remove_indices(list, &[i]);
                } else {
                    record(source, d, before.as_ref(), &mut list.list[i].res);
                }
            }
            Ok(())
        }
    }
}

/// What provenance needs of a resource before document `d` of a patch from a file is merged into
/// it: the parts the patch reaches (see [`super::provenance::project`]), not a copy of the whole
/// resource. `None` for a patch written inline (no file to point at).
fn before_view(source: &Source, d: usize, value: &Value) -> Option<Value> {
    let (doc, _) = source.docs.get(d).filter(|_| source.file.is_some())?;
    Some(super::provenance::project(value, doc))
}

/// Records where strategic-merge document `d` of a patch read from a file set the fields of `res`.
fn record(source: &Source, d: usize, before: Option<&Value>, res: &mut crate::resource::Resource) {
    if let (Some(file), Some((doc, locs)), Some(before)) =
        (&source.file, source.docs.get(d), before)
    {
        super::provenance::record_strategic(&mut res.origin, before, &res.value, doc, locs, file);
    }
}

/// kyaml drops the mapping values a resource's source wrote blank (`key:`) when it merges a
/// strategic-merge patch into it, wherever they are reached through mappings (it keeps an
/// explicit `null`).
fn drop_blank_nulls(r: &mut KRes) {
    if r.res.blank_nulls.is_empty() {
        return;
    }
    for pointer in std::mem::take(&mut r.res.blank_nulls) {
        let segs: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let Some((last, parents)) = segs.split_last() else {
            continue;
        };
        let mut cur = &r.res.value;
        let mut through_maps = true;
        for seg in parents {
            match cur.as_object().and_then(|m| m.get(seg)) {
                Some(next) => cur = next,
                None => {
                    through_maps = false;
                    break;
                }
            }
        }
        if !through_maps || !cur.get(last).is_some_and(Value::is_null) {
            continue;
        }
        let parent = &pointer[..pointer.len() - pointer.rsplit('/').next().map_or(0, str::len) - 1];
        if let Some(Value::Object(m)) = r.res.value.pointer_mut(parent) {
            m.remove(last);
        }
    }
}

fn remove_indices(list: &mut ResMap, idx: &[usize]) {
    if idx.is_empty() {
        return;
    }
    let mut i = 0;
    list.list.retain(|_| {
        let keep = !idx.contains(&i);
        i += 1;
        keep
    });
}

/// The patch's own namespace never moves the target; its name and kind rename it only when
/// the entry's options allow.
fn strip_identity(doc: &mut Value) {
    if let Some(Value::Object(m)) = doc.get_mut("metadata") {
        m.remove("name");
        m.remove("namespace");
    }
    if let Value::Object(m) = doc {
        m.remove("apiVersion");
        m.remove("kind");
    }
}

fn patch_id(doc: &Value) -> ResourceId {
    let s = |p: &[&str]| {
        let mut cur = doc;
        for k in p {
            match cur.get(k) {
                Some(v) => cur = v,
                None => return String::new(),
            }
        }
        cur.as_str().unwrap_or("").to_string()
    };
    ResourceId {
        gvk: Gvk::from_api_version(&s(&["apiVersion"]), &s(&["kind"])),
        namespace: s(&["metadata", "namespace"]),
        name: s(&["metadata", "name"]),
    }
}

fn matches_by_id(r: &KRes, pid: &ResourceId) -> bool {
    let gvk = r.res.gvk();
    let same_gvk = |g: &Gvk| {
        g.kind == pid.gvk.kind && g.group == pid.gvk.group && g.version == pid.gvk.version
    };
    if !same_gvk(&gvk) && !same_gvk(&r.org_gvk) {
        return false;
    }
    let cur = (r.res.namespace(), r.res.name());
    std::iter::once(cur)
        .chain(r.prev.iter().map(|p| (p.0.as_str(), p.1.as_str())))
        .any(|(ns, name)| name == pid.name && ns_equal(ns, &pid.namespace))
}
