//! Which file set each field of a rendered resource: after a patch from a file is merged, the
//! fields it set point at the patch (file, line, column) instead of the base, so that findings
//! about them (`verify`'s policy, SARIF) land where the value is written.
//!
//! Pure: a merged value, the patch document with its positions, out come field origins. The
//! rendered bytes never depend on it.

use std::path::Path;
use std::sync::Arc;

use crate::value::Value;

use crate::resource::{FieldOrigin, Origin};
use crate::yaml::Locations;

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

/// The parts of `before` that [`record_strategic`] reads for patch document `patch`: the keys the
/// patch names (at any depth), list elements reduced to the keys any element of the patch's list
/// names, scalars as they are; a collection where the patch has a scalar (or the other kind of
/// collection) becomes `null`, which the walk only tests for presence. Cheaper than a copy of the
/// whole resource, and the walk gives the same origins on it.
pub fn project(before: &Value, patch: &Value) -> Value {
    match (before, patch) {
        (Value::Object(b), Value::Object(p)) => Value::Object(
            p.iter()
                .filter_map(|(k, pv)| b.get(k).map(|bv| (k.clone(), project(bv, pv))))
                .collect(),
        ),
        (Value::Array(b), Value::Array(p)) => {
            let shape = p.iter().fold(Value::Null, union);
            Value::Array(b.iter().map(|e| project(e, &shape)).collect())
        }
        (Value::Object(_) | Value::Array(_), _) => Value::Null,
        (scalar, _) => scalar.clone(),
    }
}

/// The keys of two patch shapes together (what [`project`] keeps of a list's elements).
fn union(acc: Value, shape: &Value) -> Value {
    match (acc, shape) {
        (Value::Object(mut a), Value::Object(s)) => {
            for (k, v) in s {
                let merged = union(a.remove(k).unwrap_or(Value::Null), v);
                a.insert(k.clone(), merged);
            }
            Value::Object(a)
        }
        (Value::Array(a), Value::Array(s)) => {
            let inner = a.into_iter().chain(s.iter().cloned());
            let shape = inner.fold(Value::Null, |acc, v| union(acc, &v));
            Value::Array(vec![shape])
        }
        (acc @ (Value::Object(_) | Value::Array(_)), _) => acc,
        (_, s) => s.clone(),
    }
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
        merged_ptr: String::new(),
        patch_ptr: String::new(),
    };
    w.walk(Some(before), merged, doc);
    add(origin, out);
}

struct Walk<'a> {
    locs: &'a Locations,
    file: &'a Arc<Path>,
    out: &'a mut Vec<FieldOrigin>,
    /// JSON pointers of the node being walked in the merged resource and in the patch (one buffer
    /// each, grown and cut as the walk goes down and back up).
    merged_ptr: String,
    patch_ptr: String,
}

impl Walk<'_> {
    fn here(&mut self) {
        if let Some(pos) = self
            .locs
            .key(&self.patch_ptr)
            .or_else(|| self.locs.node(&self.patch_ptr))
        {
            self.out.push(FieldOrigin {
                pointer: self.merged_ptr.clone(),
                file: self.file.clone(),
                pos,
            });
        }
    }

    /// Walks one level down: `/merged` and `/patch` appended to the pointers for the call.
    fn down(
        &mut self,
        merged_seg: &dyn std::fmt::Display,
        patch_seg: &dyn std::fmt::Display,
        f: impl FnOnce(&mut Self),
    ) {
        use std::fmt::Write;
        let (m, p) = (self.merged_ptr.len(), self.patch_ptr.len());
        let _ = write!(self.merged_ptr, "/{merged_seg}");
        let _ = write!(self.patch_ptr, "/{patch_seg}");
        f(self);
        self.merged_ptr.truncate(m);
        self.patch_ptr.truncate(p);
    }

    fn walk(&mut self, before: Option<&Value>, merged: &Value, patch: &Value) {
        if before.is_none() && !self.merged_ptr.is_empty() {
            // A node the patch added: all of it is the patch's.
            self.here();
        }
        match (merged, patch) {
            (Value::Object(m), Value::Object(p)) => {
                for (k, pv) in p {
                    if k.starts_with('$') {
                        continue;
                    }
                    if let Some(mv) = m.get(k) {
                        let seg = Escaped(k);
                        let b = before.and_then(|b| b.get(k));
                        self.down(&seg, &seg, |w| w.walk(b, mv, pv));
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
                    self.down(&j, &i, |w| w.walk(b, &m[j], pv));
                }
            }
            (m, p) if m == p && before.is_some() => self.here(),
            _ => {}
        }
    }
}

/// A mapping key as a JSON pointer token (`~` and `/` escaped), written without allocating.
struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.0.contains(['~', '/']) {
            return f.write_str(self.0);
        }
        for c in self.0.chars() {
            match c {
                '~' => f.write_str("~0")?,
                '/' => f.write_str("~1")?,
                c => std::fmt::Write::write_char(f, c)?,
            }
        }
        Ok(())
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

    /// A rough strategic merge for the property below (which holds for any merged value).
    fn naive_merge(base: &Value, patch: &Value) -> Value {
        match (base, patch) {
            (Value::Object(b), Value::Object(p)) => {
                let mut out = b.clone();
                for (k, pv) in p {
                    let merged = match b.get(k) {
                        Some(bv) => naive_merge(bv, pv),
                        None => pv.clone(),
                    };
                    out.insert(k.clone(), merged);
                }
                Value::Object(out)
            }
            (Value::Array(b), Value::Array(p)) => {
                let mut out = b.clone();
                for pv in p {
                    match element_index(&out, pv) {
                        Some(i) if pv.is_object() => out[i] = naive_merge(&out[i], pv),
                        _ => out.insert(0, pv.clone()),
                    }
                }
                Value::Array(out)
            }
            (_, p) => p.clone(),
        }
    }

    #[test]
    fn the_projected_resource_gives_the_origins_of_the_whole_one() {
        let cases = [
            (
                "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n        env:\n        - name: LOG\n          value: info\n      - name: b\n        image: y\n",
                "spec:\n  template:\n    spec:\n      containers:\n      - name: b\n        env:\n        - name: FLAG\n          value: \"1\"\n      - name: c\n        image: z\n",
            ),
            (
                "metadata:\n  name: x\n  labels: {a: b}\nspec:\n  replicas: 1\n  ports: [{port: 80, protocol: TCP}, {port: 90}]\n",
                "metadata:\n  name: x\n  labels: {a: c, d: e}\nspec:\n  replicas: 3\n  ports: [{port: 90, protocol: UDP}]\n",
            ),
            (
                "spec:\n  list: [a, b, c]\n  obj: {x: 1}\n  scalar: s\n",
                "spec:\n  list: [c, d]\n  obj: 2\n  scalar: {now: map}\n",
            ),
            (
                "spec:\n  m: [[1, 2], [3]]\n  k: [{a: {b: [1]}}, {c: 1}]\n",
                "spec:\n  m: [[3], 4]\n  k: [{a: {b: [1, 2]}}, {c: 1, d: 2}, x]\n  new: {deep: [1]}\n",
            ),
        ];
        let file: Arc<Path> = Arc::from(Path::new("patch.yaml"));
        for (base, patch) in cases {
            let (before, _) = located(base);
            let (doc, locs) = located(patch);
            let merged = naive_merge(&before, &doc);
            let origins = |b: &Value| {
                let mut o = Origin::default();
                record_strategic(&mut o, b, &merged, &doc, &locs, &file);
                o.fields
                    .map(|f| {
                        f.iter()
                            .map(|f| (f.pointer.clone(), f.pos))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            };
            let whole = origins(&before);
            assert!(!whole.is_empty(), "{patch}");
            assert_eq!(origins(&project(&before, &doc)), whole, "{patch}");
        }
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
            .insert(0, crate::json!({"name": "FLAG", "value": "1"}));
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
