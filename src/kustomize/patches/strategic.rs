//! Strategic merge as kustomize v5 does it (kyaml `merge2`, list items from the patch first):
//! maps merge, `null` deletes, `$patch: delete|replace`, lists merge by the OpenAPI merge key or
//! are replaced. Pure functions on JSON values.

use crate::value::{Map, Value};

use super::keyed::{self, Merged, TooLong};
use crate::kustomize::schema::{FieldInfo, Fields, Schema};

const PATCH: &str = "$patch";

/// What a merge asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Keep the (merged) destination.
    Keep,
    /// The patch deletes the whole destination (`$patch: delete` at the top).
    Delete,
}

/// Merges `patch` into `dest` (a whole resource) using the schema for its kind. When the
/// target's kind has none, kyaml takes the schema of the patch document, which kustomize gives
/// the target's apiVersion and leaves its own kind: a `kind: Deployment` patch merges the
/// containers of an `apps/v1` custom kind by name, not those of `argoproj.io/v1alpha1`.
/// `patch_kind` is the kind the patch document names (its identity is stripped by then).
pub fn merge_resource(
    dest: &mut Value,
    patch: &Value,
    patch_kind: &str,
    schema: &Schema,
) -> Result<Outcome, TooLong> {
    fn text<'a>(v: &'a Value, k: &str) -> &'a str {
        v.get(k).and_then(Value::as_str).unwrap_or("")
    }
    let api_version = text(dest, "apiVersion");
    let ty = schema
        .root(api_version, text(dest, "kind"))
        .or_else(|| schema.root(api_version, patch_kind));
    if directive(patch) == Some("delete") {
        return Ok(Outcome::Delete);
    }
    let cx = Cx {
        schema,
        too_long: std::cell::RefCell::new(None),
    };
    merge_value(dest, patch, ty, &cx);
    match cx.too_long.into_inner() {
        Some(e) => Err(e),
        None => Ok(Outcome::Keep),
    }
}

/// What the merge functions share: the schema, and the first list found too long for the
/// quadratic walk (the merge then goes on to its end without it, and the caller gets the error).
struct Cx<'s> {
    schema: &'s Schema,
    too_long: std::cell::RefCell<Option<TooLong>>,
}

impl Cx<'_> {
    /// The walked list, or nothing once a list was too long (the merge is refused then).
    fn walked(&self, walked: Result<Vec<Value>, TooLong>) -> Vec<Value> {
        walked.unwrap_or_else(|e| {
            self.too_long.borrow_mut().get_or_insert(e);
            Vec::new()
        })
    }
}

fn directive(v: &Value) -> Option<&str> {
    v.get(PATCH).and_then(Value::as_str)
}

/// kyaml honours only `$patch`; `$setElementOrder/...`, `$retainKeys` and
/// `$deleteFromPrimitiveList/...` are copied into the output like ordinary fields.
fn is_directive_key(k: &str) -> bool {
    k == PATCH
}

/// Removes directives from a patch value that is being added as-is.
pub fn clean(v: &Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            if directive(v) == Some("delete") {
                return None;
            }
            let mut out = Map::new();
            for (k, x) in m {
                if is_directive_key(k) {
                    continue;
                }
                if x.is_null() {
                    // kyaml drops null fields of added values.
                    continue;
                }
                if let Some(c) = clean(x) {
                    out.insert(k.clone(), c);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter(|x| directive(x) != Some("replace"))
                .filter_map(clean)
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

fn merge_value(dest: &mut Value, patch: &Value, ty: Option<&str>, cx: &Cx<'_>) {
    match (dest, patch) {
        (Value::Object(d), Value::Object(p)) => {
            if directive(patch) == Some("replace") {
                // kyaml walks the replacing map against itself: its keyed lists are rebuilt.
                if let Some(mut c @ Value::Object(_)) = clean(&Value::Object(without_directive(p)))
                {
                    rebuild(&mut c, ty, cx);
                    if let Value::Object(c) = c {
                        *d = c;
                    }
                }
                return;
            }
            merge_map(d, p, ty, cx);
        }
        (d, p) => {
            if let Some(c) = clean(p) {
                *d = c;
            }
        }
    }
}

fn without_directive(p: &Map) -> Map {
    p.iter()
        .filter(|(k, _)| k.as_str() != PATCH)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn merge_map(d: &mut Map, p: &Map, ty: Option<&str>, cx: &Cx<'_>) {
    let fields = ty.and_then(|t| cx.schema.fields(t));
    // kyaml walks the target's own fields too: their keyed lists are rebuilt.
    for (k, dv) in d.iter_mut() {
        if !p.contains_key(k) {
            rebuild_child(dv, fields, k, cx);
        }
    }
    for (k, pv) in p {
        if is_directive_key(k) {
            continue;
        }
        let info = fields.and_then(|f| f.get(k));
        let child_ty = info.and_then(|i| i.ty.as_deref());
        if pv.is_null() {
            d.remove(k);
            continue;
        }
        if directive(pv) == Some("delete") {
            d.remove(k);
            continue;
        }
        let dv = d.get_mut(k).filter(|v| !v.is_null());
        match dv {
            None => {
                if let Some(mut c) = clean(pv) {
                    rebuild_field(&mut c, info, cx);
                    d.insert(k.clone(), c);
                }
            }
            Some(dv) => match (dv, pv) {
                (Value::Array(_), Value::Array(pa))
                    if info.is_some_and(FieldInfo::merges)
                        && list_directive(pa) == Some("delete") =>
                {
                    d.remove(k);
                }
                (Value::Array(da), Value::Array(pa)) => {
                    let dest = std::mem::take(da);
                    *da = merge_list(dest, pa, info, cx);
                }
                (dv @ Value::Object(_), pv @ Value::Object(_)) => {
                    merge_value(dv, pv, child_ty, cx);
                }
                (dv, pv) => {
                    if let Some(c) = clean(pv) {
                        *dv = c;
                    }
                }
            },
        }
    }
}

fn merge_list(
    dest: Vec<Value>,
    patch: &[Value],
    info: Option<&FieldInfo>,
    cx: &Cx<'_>,
) -> Vec<Value> {
    let Some(info) = info.filter(|i| i.merges()) else {
        // kyaml replaces a non-associative list with the patch's list exactly as written
        // (directives and nulls included).
        return patch.to_vec();
    };
    // A list-level directive: the first element holding `$patch`, when that is its only key,
    // deletes the list or replaces it with the patch's other elements (kyaml's rule).
    if let Some(i) = patch.iter().position(|e| e.get(PATCH).is_some())
        && patch[i].as_object().is_some_and(|m| m.len() == 1)
    {
        let others = || {
            patch
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, e)| e.clone())
        };
        match directive(&patch[i]) {
            // (`delete` is handled by the caller: the field goes.)
            // kyaml walks the replacing list against itself: its keyed lists are rebuilt.
            Some("replace") => {
                let mut list: Vec<Value> = others().collect();
                rebuild_list(&mut list, info, cx);
                return list;
            }
            Some("merge") => {
                let rest: Vec<Value> = others().collect();
                return merge_list(dest, &rest, Some(info), cx);
            }
            _ => {}
        }
    }
    let Some(key) = info.merge_key.as_deref() else {
        // A list of scalars with strategy merge: union, patch items first (each once, by a
        // hash of its JSON text, so a long list is not compared with itself element by element).
        let mut out: Vec<Value> = patch
            .iter()
            .chain(dest.iter())
            .filter(|v| !v.is_object())
            .cloned()
            .collect();
        keyed::dedup_scalars(&mut out);
        return out;
    };
    let elem_ty = info.ty.as_deref();
    let keys: Vec<&str> = if extra_keys_used(&dest, patch, info) {
        info.list_keys.iter().map(|k| k.as_ref()).collect()
    } else {
        vec![key]
    };
    cx.walked(keyed::walk(dest, patch, &keys, |d, p| match (d, p) {
        (_, Some(pe)) if directive(pe) == Some("delete") => Merged::Clear,
        // kyaml keeps a matched element as it was when the patch element says replace.
        (Some(d), Some(pe)) if directive(pe) == Some("replace") => Merged::InPlace(d.clone()),
        (Some(d), Some(pe)) => {
            let mut merged = d.clone();
            merge_value(&mut merged, pe, elem_ty, cx);
            Merged::InPlace(merged)
        }
        (Some(d), None) => {
            let mut d = d.clone();
            rebuild(&mut d, elem_ty, cx);
            Merged::InPlace(d)
        }
        (None, Some(pe)) => match clean(&Value::Object(
            pe.as_object().map(without_directive).unwrap_or_default(),
        )) {
            Some(mut c) => {
                rebuild(&mut c, elem_ty, cx);
                Merged::New(c)
            }
            None => Merged::Clear,
        },
        (None, None) => Merged::Clear,
    }))
}

/// kyaml's walk over a value of the target the patch does not touch: maps are walked field by
/// field and keyed lists rebuilt (duplicates folded, empty elements dropped).
fn rebuild(v: &mut Value, ty: Option<&str>, cx: &Cx<'_>) {
    if let Value::Object(m) = v {
        // Found at the first field that holds a container (many mappings hold only scalars).
        let mut fields = None;
        for (k, x) in m.iter_mut() {
            if x.is_array() || x.is_object() {
                let f = *fields.get_or_insert_with(|| ty.and_then(|t| cx.schema.fields(t)));
                rebuild_child(x, f, k, cx);
            }
        }
    }
}

/// [`rebuild_field`] on the field `key` of a map with `fields`. Scalars hold no lists: only
/// containers need their field's schema.
fn rebuild_child(v: &mut Value, fields: Option<Fields<'_>>, key: &str, cx: &Cx<'_>) {
    if v.is_array() || v.is_object() {
        rebuild_field(v, fields.and_then(|f| f.get(key)), cx);
    }
}

fn rebuild_field(v: &mut Value, info: Option<&FieldInfo>, cx: &Cx<'_>) {
    match v {
        Value::Array(list) => {
            if let Some(info) = info.filter(|i| i.merges()) {
                rebuild_list(list, info, cx);
            }
        }
        Value::Object(_) => rebuild(v, info.and_then(|i| i.ty.as_deref()), cx),
        _ => {}
    }
}

fn rebuild_list(list: &mut Vec<Value>, info: &FieldInfo, cx: &Cx<'_>) {
    let Some(key) = info.merge_key.as_deref() else {
        keyed::dedup_scalars(list);
        return;
    };
    let keys: Vec<&str> = if extra_keys_used(list, &[], info) {
        info.list_keys.iter().map(|k| k.as_ref()).collect()
    } else {
        vec![key]
    };
    let elem_ty = info.ty.as_deref();
    // The common case, every element a mapping with its own key: the walk gives the list back as
    // it is, its elements walked in place (no copies, no quadratic search).
    if keyed::is_plain(list, &keys) {
        for e in list.iter_mut() {
            rebuild(e, elem_ty, cx);
        }
        return;
    }
    let dest = std::mem::take(list);
    *list = cx.walked(keyed::walk(dest, &[], &keys, |d, _| match d {
        Some(d) => {
            let mut d = d.clone();
            rebuild(&mut d, elem_ty, cx);
            Merged::InPlace(d)
        }
        None => Merged::Clear,
    }));
}

fn extra_keys_used(dest: &[Value], patch: &[Value], info: &FieldInfo) -> bool {
    info.list_keys.len() > 1
        && dest.iter().chain(patch.iter()).any(|e| {
            info.list_keys[1..]
                .iter()
                .any(|k| e.get(k.as_ref()).is_some())
        })
}

/// The list-level `$patch` of a patch list: the first element holding `$patch`, when that is
/// its only key.
fn list_directive(patch: &[Value]) -> Option<&str> {
    patch
        .iter()
        .find(|e| e.get(PATCH).is_some())
        .filter(|e| e.as_object().is_some_and(|m| m.len() == 1))
        .and_then(directive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::schema::builtin;
    use crate::yaml::{emit, parse_document};

    fn run(dest: &str, patch: &str) -> String {
        let mut d = parse_document(dest).unwrap().value;
        let p = parse_document(patch).unwrap().value;
        let kind = p.get("kind").and_then(Value::as_str).unwrap_or("");
        match merge_resource(&mut d, &p, kind, builtin()) {
            Ok(Outcome::Keep) => emit(&d),
            Ok(Outcome::Delete) => "DELETED".into(),
            Err(e) => format!("ERROR: {e}"),
        }
    }

    const DEP: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c1\n        image: i\n        env: [{name: E1, value: '1'}, {name: E2, value: '2'}]\n        ports: [{containerPort: 80, name: http}]\n        args: [a, b]\n      - name: c2\n        image: j\n";

    #[test]
    fn a_long_list_of_scalars_merges_as_a_union_in_linear_time() {
        // `finalizers` merges without a key: the patch's values, then the target's others. 60,000
        // against 60,000 compared element by element was 3.6 billion comparisons.
        let dest: Vec<String> = (0..60_000).map(|i| format!("f{i}")).collect();
        let patch: Vec<String> = (30_000..90_000).map(|i| format!("f{i}")).collect();
        let mut d = crate::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "finalizers": dest}});
        let p = crate::json!({"metadata": {"finalizers": patch}});
        assert_eq!(
            merge_resource(&mut d, &p, "ConfigMap", builtin()),
            Ok(Outcome::Keep)
        );
        let got = d["metadata"]["finalizers"].as_array().unwrap();
        assert_eq!(got.len(), 90_000);
        assert_eq!(got[0], "f30000");
        assert_eq!(got[59_999], "f89999");
        assert_eq!(got[60_000], "f0");
        assert_eq!(got[89_999], "f29999");
    }

    #[test]
    fn smp_table() {
        let cases = [
            (
                "env: patch entries first, then the rest",
                "spec:\n  template:\n    spec:\n      containers:\n      - name: c1\n        env: [{name: N1, value: nn}, {name: E2, value: two}]\n",
                "        env:\n        - name: N1\n          value: nn\n        - name: E2\n          value: two\n        - name: E1\n          value: \"1\"\n",
            ),
            (
                "ports merge by containerPort",
                "spec:\n  template:\n    spec:\n      containers:\n      - name: c1\n        ports: [{containerPort: 81}]\n",
                "        ports:\n        - containerPort: 81\n        - containerPort: 80\n          name: http\n",
            ),
            (
                "args are replaced",
                "spec:\n  template:\n    spec:\n      containers:\n      - name: c1\n        args: [c]\n",
                "      - args:\n        - c\n",
            ),
            (
                "$patch: delete removes a container",
                "spec:\n  template:\n    spec:\n      containers:\n      - name: c2\n        $patch: delete\n",
                "      containers:\n      - args:\n",
            ),
            (
                "null deletes a key",
                "spec:\n  template:\n    spec:\n      containers:\n      - name: c2\n        image: null\n",
                "      - name: c2\n",
            ),
        ];
        for (name, patch, want) in cases {
            let got = run(DEP, patch);
            assert!(got.contains(want), "{name}:\n{got}");
        }
    }

    #[test]
    fn negative_cases() {
        // Lists of unknown kinds are replaced, not merged.
        let got = run(
            "apiVersion: example.com/v1\nkind: Foo\nspec:\n  items: [{name: x, v: 1}]\n",
            "spec:\n  items: [{name: z}]\n",
        );
        assert!(got.contains("  items:\n  - name: z\n"), "{got}");
        assert!(!got.contains("v: 1"), "{got}");
        // ... unless the patch names a kind that has a schema in the target's apiVersion.
        let foo = "apiVersion: apps/v1\nkind: Foo\nspec:\n  template:\n    spec:\n      containers: [{name: x, image: i}]\n";
        let sidecar = "spec:\n  template:\n    spec:\n      containers: [{name: w, image: j}]\n";
        let got = run(
            foo,
            &format!("apiVersion: apps/v1\nkind: Deployment\n{sidecar}"),
        );
        assert!(
            got.contains("- image: j\n        name: w\n      - image: i\n        name: x\n"),
            "{got}"
        );
        let got = run(foo, sidecar);
        assert!(!got.contains("name: x"), "{got}");
        let other_group = foo.replace("apps/v1", "example.com/v1");
        let got = run(
            &other_group,
            &format!("apiVersion: apps/v1\nkind: Deployment\n{sidecar}"),
        );
        assert!(!got.contains("name: x"), "{got}");
        assert_eq!(run(DEP, "$patch: delete\n"), "DELETED");
        let got = run(DEP, "spec:\n  $patch: replace\n  replicas: 2\n");
        assert!(got.contains("spec:\n  replicas: 2\n"), "{got}");
    }
}
