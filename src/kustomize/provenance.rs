//! Which file set each field of a rendered resource: after a patch from a file is merged, the
//! fields it set point at the patch (file, line, column) instead of the base, so that findings
//! about them (`verify`'s policy, SARIF) land where the value is written.
//!
//! Pure: a merged value, the patch document with its positions, out come field origins. The
//! rendered bytes never depend on it.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::resource::{FieldOrigin, Origin};
use crate::yaml::Locations;

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Whether every scalar leaf of `patch` is in `target` with the same value (lists by position).
fn contains(target: &Value, patch: &Value) -> bool {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => p
            .iter()
            .all(|(k, pv)| k.starts_with('$') || t.get(k).is_some_and(|tv| contains(tv, pv))),
        (Value::Array(t), Value::Array(p)) => {
            p.iter().all(|pv| t.iter().any(|tv| contains(tv, pv)))
        }
        (t, p) => t == p,
    }
}

/// The element of `list` a strategic-merge patch element was merged into: the one with the same
/// `name` when the element has one, else the first holding every leaf of it.
fn element_index(list: &[Value], elem: &Value) -> Option<usize> {
    if let Some(name) = elem.get("name") {
        return list.iter().position(|e| e.get("name") == Some(name));
    }
    list.iter().position(|e| contains(e, elem))
}

/// Records, for every node of a strategic-merge patch `doc` that ended up in `merged`, where the
/// patch wrote it: scalar values always, mappings and list elements when `before` (the resource
/// before the merge) did not have them.
pub fn record_strategic(
    origin: &mut Origin,
    before: &Value,
    merged: &Value,
    doc: &Value,
    doc_locations: &Locations,
    file: &Arc<Path>,
) {
    let mut out = Vec::new();
    let mut w = Walk {
        locs: doc_locations,
        file,
        out: &mut out,
    };
    w.walk(Some(before), merged, doc, "", "");
    add(origin, out);
}

struct Walk<'a> {
    locs: &'a Locations,
    file: &'a Arc<Path>,
    out: &'a mut Vec<FieldOrigin>,
}

impl Walk<'_> {
    fn here(&mut self, merged_ptr: &str, patch_ptr: &str) {
        if let Some(pos) = self
            .locs
            .key(patch_ptr)
            .or_else(|| self.locs.node(patch_ptr))
        {
            self.out.push(FieldOrigin {
                pointer: merged_ptr.to_string(),
                file: self.file.clone(),
                pos,
            });
        }
    }

    fn walk(
        &mut self,
        before: Option<&Value>,
        merged: &Value,
        patch: &Value,
        merged_ptr: &str,
        patch_ptr: &str,
    ) {
        if before.is_none() && !merged_ptr.is_empty() {
            // A node the patch added: all of it is the patch's.
            self.here(merged_ptr, patch_ptr);
        }
        match (merged, patch) {
            (Value::Object(m), Value::Object(p)) => {
                for (k, pv) in p {
                    if k.starts_with('$') {
                        continue;
                    }
                    if let Some(mv) = m.get(k) {
                        let seg = escape(k);
                        let b = before.and_then(|b| b.get(k));
                        self.walk(
                            b,
                            mv,
                            pv,
                            &format!("{merged_ptr}/{seg}"),
                            &format!("{patch_ptr}/{seg}"),
                        );
                    }
                }
            }
            (Value::Array(m), Value::Array(p)) => {
                let old = before.and_then(Value::as_array);
                for (i, pv) in p.iter().enumerate() {
                    let find = |list: &[Value]| {
                        if pv.is_object() {
                            element_index(list, pv)
                        } else {
                            list.iter().position(|v| v == pv)
                        }
                    };
                    let Some(j) = find(m) else { continue };
                    let b = old.and_then(|o| find(o).map(|k| &o[k]));
                    self.walk(
                        b,
                        &m[j],
                        pv,
                        &format!("{merged_ptr}/{j}"),
                        &format!("{patch_ptr}/{i}"),
                    );
                }
            }
            (m, p) if m == p && before.is_some() => self.here(merged_ptr, patch_ptr),
            _ => {}
        }
    }
}

/// Records where each operation of a JSON 6902 patch wrote its value (`ops` is the patch
/// document; `merged` the result, to resolve an appending `-`).
pub fn record_json(
    origin: &mut Origin,
    merged: &Value,
    ops: &Value,
    ops_locations: &Locations,
    file: &Arc<Path>,
) {
    let mut out = Vec::new();
    for (i, op) in ops.as_array().into_iter().flatten().enumerate() {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
        if !matches!(kind, "add" | "replace" | "copy" | "move") {
            continue;
        }
        let Some(path) = op.get("path").and_then(Value::as_str) else {
            continue;
        };
        let path = match path.strip_suffix("/-") {
            Some(parent) => match merged.pointer(parent).and_then(Value::as_array) {
                Some(a) if !a.is_empty() => format!("{parent}/{}", a.len() - 1),
                _ => continue,
            },
            None => path.to_string(),
        };
        let at = ops_locations
            .node(&format!("/{i}/value"))
            .or_else(|| ops_locations.node(&format!("/{i}")));
        if let Some(pos) = at {
            out.push(FieldOrigin {
                pointer: path,
                file: file.clone(),
                pos,
            });
        }
    }
    add(origin, out);
}

/// Later patches win: an earlier record of the same pointer is replaced.
fn add(origin: &mut Origin, found: Vec<FieldOrigin>) {
    if found.is_empty() {
        return;
    }
    let fields = Arc::make_mut(origin.fields.get_or_insert_with(Default::default));
    fields.retain(|f| !found.iter().any(|n| n.pointer == f.pointer));
    fields.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn located(text: &str) -> (Value, Locations) {
        let d = yaml::parse_document(text).unwrap();
        (d.value, d.locations)
    }

    #[test]
    fn fields_a_patch_sets_point_at_the_patch() {
        let base_text = "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        env:\n        - name: LOG\n          value: info\n";
        let (before, base_locs) = located(base_text);
        let mut merged = before.clone();
        let mut origin = Origin {
            file: "base.yaml".into(),
            locations: Some(Arc::new(base_locs)),
            ..Origin::default()
        };
        let patch_text = "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        env:\n        - name: FLAG\n          value: \"1\"\n";
        let (patch, patch_locs) = located(patch_text);
        // What the strategic merge gives: FLAG first in a's env (the base's entry moves to 1).
        merged["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array_mut()
            .unwrap()
            .insert(0, serde_json::json!({"name": "FLAG", "value": "1"}));
        let file: Arc<Path> = Arc::from(Path::new("patch.yaml"));
        record_strategic(&mut origin, &before, &merged, &patch, &patch_locs, &file);
        let (f, pos) = origin
            .locate("/spec/template/spec/containers/0/env/0/value")
            .unwrap();
        assert_eq!(
            (f.display().to_string(), pos.line),
            ("patch.yaml".into(), 8)
        );
        // The new env entry as a whole is the patch's, though the base had an entry 0.
        let (f, pos) = origin
            .locate("/spec/template/spec/containers/0/env/0")
            .unwrap();
        assert_eq!(
            (f.display().to_string(), pos.line),
            ("patch.yaml".into(), 7)
        );
        // A value the patch sets again over the base's is the patch's too.
        let (f, _) = origin
            .locate("/spec/template/spec/containers/0/name")
            .unwrap();
        assert_eq!(f.display().to_string(), "patch.yaml");
        // A field under the base container the patch only passed through stays the base's.
        let (f, _) = origin.locate("/spec/template/spec/containers/0").unwrap();
        assert_eq!(f.display().to_string(), "base.yaml");
    }

    #[test]
    fn json_patch_operations_point_at_their_value() {
        let (merged, base_locs) = located("spec:\n  replicas: 5\n  list: [a, b]\n");
        let mut origin = Origin {
            file: "base.yaml".into(),
            locations: Some(Arc::new(base_locs)),
            ..Origin::default()
        };
        let (ops, locs) = located(
            "- op: replace\n  path: /spec/replicas\n  value: 5\n- op: add\n  path: /spec/list/-\n  value: b\n",
        );
        let file: Arc<Path> = Arc::from(Path::new("ops.yaml"));
        record_json(&mut origin, &merged, &ops, &locs, &file);
        assert_eq!(origin.locate("/spec/replicas").unwrap().1.line, 3);
        assert_eq!(origin.locate("/spec/list/1").unwrap().1.line, 6);
        assert_eq!(
            origin
                .locate("/spec/list/0")
                .unwrap()
                .0
                .display()
                .to_string(),
            "base.yaml"
        );
    }
}
