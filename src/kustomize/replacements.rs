//! `replacements`: copy a field of one resource into fields of others (`fieldPaths` with
//! `[key=value]` list selectors, indexes and `*`; `delimiter`/`index`; `create`). No I/O.

use crate::value::{Map, Value};

use super::KustomizeError;
use super::kustomization::Located;
use super::resmap::{ResMap, kid};
use super::selector::Selector;

/// Splits a replacement `fieldPath` as kustomize (kyaml's path splitter) does: on `.`, with `\.`
/// for a literal dot and one leading `.` ignored (`.metadata.name`); a bracketed segment may hold
/// dots and slashes: `[k=v]` selects list items, `[cert-manager.io/inject-ca-from]` (no `=`) is a
/// plain map key; `a[k=v]` is `a` then `[k=v]`; blank segments are skipped.
fn split_fields(path: &str) -> Vec<String> {
    let joined = super::fieldspec::split_dotted(path);
    let mut flat = Vec::new();
    for s in joined {
        let t = s.trim();
        if t.is_empty() {
            continue;
        }
        match t.find('[') {
            Some(i) if i > 0 && t.ends_with(']') => {
                flat.push(t[..i].to_string());
                flat.push(t[i..].to_string());
            }
            _ => flat.push(t.to_string()),
        }
    }
    flat
}

fn lookup<'a>(v: &'a Value, segs: &[String]) -> Option<&'a Value> {
    let Some((first, rest)) = segs.split_first() else {
        return Some(v);
    };
    let next = if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        // kyaml's path getter matches the value exactly: a field's (`[k=v]`) or a scalar
        // element's (`[=v]`).
        let (k, want) = sel.split_once('=')?;
        v.as_array()?.iter().find(|e| {
            if k.is_empty() {
                !e.is_object() && !e.is_array() && super::kustomization::scalar_text(e) == want
            } else {
                e.get(k).map(super::kustomization::scalar_text) == Some(want.to_string())
            }
        })?
    } else if let Ok(i) = first.parse::<usize>()
        && v.is_array()
    {
        v.get(i)?
    } else {
        v.get(first.as_str())?
    };
    lookup(next, rest)
}

/// A node's text as kyaml's path matcher reads it: a scalar's value, a map's or list's YAML.
fn node_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Object(_) | Value::Array(_) => crate::yaml::emit(v).trim().to_string(),
        other => super::kustomization::scalar_text(other),
    }
}

/// Whether a path segment addresses list items (`[k=v]` or an index), so that a field created
/// before it must be a list (kyaml's path matcher).
fn is_list_segment(seg: &str) -> bool {
    seg.starts_with('[') && seg.contains('=') || seg.parse::<usize>().is_ok()
}

/// A new, empty node for the field that `rest` goes on into (`None` at the end).
fn fresh(rest: &[String]) -> Value {
    match rest.first() {
        None => Value::Null,
        Some(next) if is_list_segment(next) => Value::Array(Vec::new()),
        Some(_) => Value::Object(Map::new()),
    }
}

/// Calls `f` on every field `segs` reaches (creating missing ones when asked, as kyaml's path
/// matcher does: maps, lists before `[k=v]` and index segments, an element at the index one past
/// the end); returns how many, or the message kustomize gives for an index beyond that.
fn set_all(
    v: &mut Value,
    segs: &[String],
    create: bool,
    f: &mut dyn FnMut(&mut Value),
) -> Result<usize, String> {
    let Some((first, rest)) = segs.split_first() else {
        f(v);
        return Ok(1);
    };
    if first == "*" {
        let mut n = 0;
        match v {
            Value::Array(items) => {
                for x in items {
                    n += set_all(x, rest, create, f)?;
                }
            }
            Value::Object(m) => {
                for x in m.values_mut() {
                    n += set_all(x, rest, create, f)?;
                }
            }
            _ => {}
        }
        return Ok(n);
    }
    if create && v.is_null() && is_list_segment(first) {
        *v = Value::Array(Vec::new());
    }
    if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let Some((k, want)) = sel.split_once('=') else {
            return Ok(0);
        };
        let Value::Array(items) = v else {
            return Ok(0);
        };
        // kyaml's path matcher takes the value as an unanchored regex, against the field's
        // text (`[k=v]`) or the whole element's (`[=v]`, which is the target then, whatever path
        // follows).
        let re = regex::Regex::new(want).map_err(|e| e.to_string())?;
        let mut n = 0;
        for it in items.iter_mut() {
            let text = if k.is_empty() {
                Some(node_text(it))
            } else {
                it.as_object().and_then(|m| m.get(k)).map(node_text)
            };
            if text.is_some_and(|t| re.is_match(&t)) {
                if k.is_empty() {
                    // kyaml takes the element itself, whatever path follows.
                    f(it);
                    n += 1;
                } else {
                    n += set_all(it, rest, create, f)?;
                }
            }
        }
        if n == 0 && create {
            if k.is_empty() {
                // An untagged scalar, which takes the type of the value put there.
                items.push(Value::Null);
            } else {
                let mut m = Map::new();
                m.insert(k.to_string(), Value::String(want.to_string()));
                items.push(Value::Object(m));
            }
            if let Some(last) = items.last_mut() {
                if k.is_empty() {
                    f(last);
                    n += 1;
                } else {
                    n += set_all(last, rest, create, f)?;
                }
            }
        }
        return Ok(n);
    }
    if let Value::Array(items) = v {
        let Ok(i) = first.parse::<usize>() else {
            return Ok(0);
        };
        if create && i == items.len() {
            items.push(fresh(rest));
        } else if create && i > items.len() {
            return Err(format!(
                "index {i} specified but only {} elements found",
                items.len()
            ));
        }
        return match items.get_mut(i) {
            Some(x) => set_all(x, rest, create, f),
            None => Ok(0),
        };
    }
    if v.is_null() && create {
        *v = Value::Object(Map::new());
    }
    let Value::Object(m) = v else { return Ok(0) };
    if !m.contains_key(first.as_str()) {
        if !create {
            return Ok(0);
        }
        m.insert(first.clone(), fresh(rest));
    }
    match m.get_mut(first.as_str()) {
        Some(x) => set_all(x, rest, create, f),
        None => Ok(0),
    }
}

fn sel_of(v: Option<&Value>, at: &str) -> Result<Selector, KustomizeError> {
    match v {
        None => Ok(Selector::default()),
        Some(v) => crate::value::from_value(v.clone())
            .map_err(|e| KustomizeError::invalid(at, format!("invalid replacement selector: {e}"))),
    }
}

fn opts(v: &Value) -> (Option<String>, i64, bool) {
    let o = v.get("options");
    (
        o.and_then(|o| o.get("delimiter"))
            .and_then(Value::as_str)
            .map(str::to_string),
        o.and_then(|o| o.get("index"))
            .and_then(Value::as_i64)
            .unwrap_or(0),
        o.and_then(|o| o.get("create"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
    )
}

/// Applies replacements in order.
///
/// # Errors
/// A source that selects no or several resources, a missing source field, bad selectors.
pub fn apply(list: &mut ResMap, reps: &[Located<Value>]) -> Result<(), KustomizeError> {
    for rep in reps {
        let at = rep.at.as_str();
        let v = &rep.value;
        if let Some(sv) = v.get("sourceValue").filter(|x| !x.is_null()) {
            if v.get("source").is_some_and(|x| !x.is_null()) {
                return Err(KustomizeError::invalid(
                    at,
                    "a replacement's `source` and `sourceValue` are mutually exclusive",
                ));
            }
            let value = Value::String(super::kustomization::scalar_text(sv));
            apply_targets(list, v, &value, at)?;
            continue;
        }
        let src = v
            .get("source")
            .ok_or_else(|| KustomizeError::invalid(at, "a replacement needs a `source`"))?;
        let mut src_sel = src.clone();
        let mut field = "metadata.name".to_string();
        if let Value::Object(m) = &mut src_sel {
            if let Some(f) = m
                .remove("fieldPath")
                .and_then(|f| f.as_str().map(str::to_string))
            {
                field = f;
            }
            m.remove("options");
            // kustomize selects the source by exact id (`IsSelectedBy`), not by regex.
            for k in ["group", "version", "kind", "name", "namespace"] {
                if let Some(Value::String(x)) = m.get_mut(k) {
                    *x = regex::escape(x);
                }
            }
        }
        let sel = sel_of(Some(&src_sel), at)?
            .compile()
            .map_err(|e| KustomizeError::invalid(at, e))?;
        let found: Vec<usize> = list
            .list
            .iter()
            .enumerate()
            .filter(|(_, r)| sel.matches(r))
            .map(|(i, _)| i)
            .collect();
        let idx = match found.as_slice() {
            [i] => *i,
            [] => {
                return Err(KustomizeError::invalid(
                    at,
                    "replacement source selects no resource",
                ));
            }
            _ => {
                return Err(KustomizeError::invalid(
                    at,
                    "replacement source selects more than one resource",
                ));
            }
        };
        let mut value = lookup(&list.list[idx].res.value, &split_fields(&field))
            .cloned()
            .ok_or_else(|| {
                KustomizeError::invalid(
                    at,
                    format!(
                        "field {field} not found in replacement source {}",
                        kid(&list.list[idx].id())
                    ),
                )
            })?;
        let (d, i, _) = opts(src);
        if let Some(d) = d.filter(|d| !d.is_empty()) {
            if value.is_array() || value.is_object() {
                return Err(KustomizeError::invalid(
                    at,
                    "the source's delimiter option can only be used with scalar nodes",
                ));
            }
            let text = super::kustomization::scalar_text(&value);
            let parts: Vec<&str> = text.split(d.as_str()).collect();
            let Some(part) = usize::try_from(i).ok().and_then(|i| parts.get(i)) else {
                return Err(KustomizeError::invalid(
                    at,
                    format!("options.index {i} is out of bounds for value {text}"),
                ));
            };
            value = Value::String(part.to_string());
        }
        apply_targets(list, v, &value, at)?;
    }
    Ok(())
}

/// Puts the replacement's value into one target field; true when a delimiter meets a map or a
/// list (an error in kustomize).
fn put_value(node: &mut Value, value: &Value, delim: Option<&str>, index: i64) -> bool {
    match (delim, &*node, value) {
        (Some(_), Value::Array(_) | Value::Object(_), _) => return true,
        // kustomize splits the target's text: a field it just created (or an empty one) is "",
        // so it gives one empty part.
        (Some(d), old @ (Value::String(_) | Value::Null), Value::String(new)) => {
            let old = super::kustomization::scalar_text(old);
            let mut parts: Vec<String> = old.split(d).map(str::to_string).collect();
            if index < 0 {
                parts.insert(0, new.clone());
            } else if (index as usize) < parts.len() {
                parts[index as usize] = new.clone();
            } else {
                parts.push(new.clone());
            }
            *node = Value::String(parts.join(d));
        }
        // kustomize copies only the text into a scalar target: its type stays.
        (_, Value::String(_), Value::Number(_) | Value::Bool(_)) => {
            *node = Value::String(super::kustomization::scalar_text(value));
        }
        // A number or boolean target keeps its type; a field the replacement creates gets the
        // text as a plain scalar (`8080` is a number there).
        (_, Value::Number(_) | Value::Bool(_) | Value::Null, Value::String(text)) => {
            *node = crate::yaml::resolve_scalar(text, granit_parser::ScalarStyle::Plain, None);
        }
        _ => *node = value.clone(),
    }
    false
}

/// kustomize v5.8's structured data: when the path meets a string on its way that holds a JSON
/// document (a ConfigMap key, an annotation), the rest of the path goes into that document
/// (delimiter options do not apply there), which is written back as Go's encoder writes it:
/// compact, or indented by two when it was. False when the path meets no such string or its
/// rest finds nothing there (the ordinary path applies then, as in kustomize). YAML documents
/// are not handled: kyaml writes them back in their own styles, which our values do not keep.
fn set_structured(root: &mut Value, segs: &[String], create: bool, value: &Value) -> bool {
    for i in 1..segs.len() {
        let Some(found) = lookup(root, &segs[..i]) else {
            continue;
        };
        let Value::String(text) = found else {
            if found.is_object() || found.is_array() {
                continue;
            }
            return false;
        };
        if !text.trim_start().starts_with(['{', '[']) {
            return false;
        }
        let text = text.clone();
        let Ok(doc) = crate::yaml::parse_document(&text) else {
            return false;
        };
        let mut data = doc.value;
        let mut put = |node: &mut Value| {
            put_value(node, value, None, 0);
        };
        if !(data.is_object() || data.is_array())
            || !matches!(set_all(&mut data, &segs[i..], create, &mut put), Ok(n) if n > 0)
        {
            return false;
        }
        let written =
            super::generators::go_json_text(&data, text.contains('\n') && text.contains("  "));
        let _ = set_all(root, &segs[..i], false, &mut |n| {
            *n = Value::String(written.clone());
        });
        return true;
    }
    false
}

/// Copies `value` into every field the replacement's targets name; a field that is not there
/// (and cannot be created) is an error, as in kustomize.
fn apply_targets(
    list: &mut ResMap,
    v: &Value,
    value: &Value,
    at: &str,
) -> Result<(), KustomizeError> {
    for t in v
        .get("targets")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let select = sel_of(t.get("select"), at)?
            .compile()
            .map_err(|e| KustomizeError::invalid(at, e))?;
        let rejects = t
            .get("reject")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                sel_of(Some(r), at)?
                    .compile()
                    .map_err(|e| KustomizeError::invalid(at, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (delim, index, create) = opts(t);
        let paths = crate::finding::strings_in(t.get("fieldPaths"));
        for r in list.list.iter_mut() {
            if !select.matches(r) || rejects.iter().any(|x| x.matches(r)) {
                continue;
            }
            for p in &paths {
                let segs = split_fields(p);
                let mut complex_target = false;
                let mut put = |node: &mut Value| {
                    complex_target |= put_value(node, value, delim.as_deref(), index);
                };
                let found = if set_structured(&mut r.res.value, &segs, create, value) {
                    Ok(1)
                } else {
                    set_all(&mut r.res.value, &segs, create, &mut put)
                };
                let what = if create { "find or create" } else { "find" };
                let found = found.map_err(|m| {
                    KustomizeError::invalid(
                        at,
                        format!(
                            "unable to {what} field {p:?} in replacement target {}: {m}",
                            kid(&r.id())
                        ),
                    )
                })?;
                if complex_target {
                    return Err(KustomizeError::invalid(
                        at,
                        format!(
                            "the delimiter option can only be used with scalar nodes (field {p:?} of {})",
                            kid(&r.id())
                        ),
                    ));
                }
                if found == 0 {
                    return Err(KustomizeError::invalid(
                        at,
                        format!(
                            "unable to {what} field {p:?} in replacement target {}",
                            kid(&r.id())
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::resmap::KRes;
    use crate::resource::parse_resources;

    fn resmap(input: &str) -> ResMap {
        let list = parse_resources(input, std::path::Path::new("t")).unwrap();
        ResMap {
            list: list.into_iter().map(KRes::new).collect(),
        }
    }

    fn apply_one(m: &mut ResMap, rep: Value) {
        let at = "k".into();
        apply(m, &[Located { value: rep, at }]).unwrap();
    }

    #[test]
    fn replacement_table() {
        let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src}\ndata: {img: 'nginx:2'}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: 'nginx:1'}\n      - {name: side, image: busybox}\n";
        let mut m = resmap(input);
        let rep: Value = crate::json!({
            "source": {"kind": "ConfigMap", "name": "src", "fieldPath": "data.img"},
            "targets": [{"select": {"kind": "Deployment"},
                "fieldPaths": ["spec.template.spec.containers.[name=web].image"]}]
        });
        apply_one(&mut m, rep);
        let c = &m.list[1].res.value["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["image"], "nginx:2");
        assert_eq!(c[1]["image"], "busybox");
    }

    /// With a `delimiter`, kustomize splits the target's text: a field it creates is "", which
    /// is one empty part (`index: -1` gives `src,`, past the end `-src`).
    #[test]
    fn delimiter_on_created_and_number_targets() {
        let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {n: '1'}}\nspec: {p: 12}\n";
        let mut m = resmap(input);
        let target = |paths: &[&str], opts: Value| crate::json!({"select": {"kind": "Service"}, "fieldPaths": paths, "options": opts});
        let rep: Value = crate::json!({
            "source": {"kind": "ConfigMap", "name": "src"},
            "targets": [
                target(&["metadata.annotations.a"], crate::json!({"delimiter": ",", "index": -1, "create": true})),
                target(&["metadata.annotations.b"], crate::json!({"delimiter": ",", "create": true})),
                target(&["metadata.annotations.c"], crate::json!({"delimiter": "-", "index": 3, "create": true})),
            ]
        });
        apply_one(&mut m, rep);
        let s = &m.list[1].res.value;
        assert_eq!(s["metadata"]["annotations"]["a"], "src,");
        assert_eq!(s["metadata"]["annotations"]["b"], "src");
        assert_eq!(s["metadata"]["annotations"]["c"], "-src");
        // Without `create`, a field that is not there is an error (kustomize's rule); with it,
        // a list is made before an index or `[k=v]`, and a created field's text is typed.
        let missing: Value = crate::json!({
            "source": {"kind": "ConfigMap", "name": "src"},
            "targets": [target(&["metadata.annotations.z"], crate::json!({}))]
        });
        let at = |value| Located {
            value,
            at: "k".into(),
        };
        let e = apply(&mut m, &[at(missing)]).unwrap_err().to_string();
        assert!(
            e.contains("unable to find field \"metadata.annotations.z\""),
            "{e}"
        );
        let made: Value = crate::json!({
            "sourceValue": "8080",
            "targets": [target(&["spec.ports.0.port", "spec.env.[name=P].value"], crate::json!({"create": true}))]
        });
        apply(&mut m, &[at(made)]).unwrap();
        let s = &m.list[1].res.value;
        assert_eq!(s["spec"]["ports"], crate::json!([{"port": 8080}]));
        assert_eq!(
            s["spec"]["env"],
            crate::json!([{"name": "P", "value": 8080}])
        );
        let far: Value = crate::json!({
            "sourceValue": "x",
            "targets": [target(&["spec.ports.3.name"], crate::json!({"create": true}))]
        });
        let e = apply(&mut m, &[at(far)]).unwrap_err().to_string();
        assert!(
            e.contains("index 3 specified but only 1 elements found"),
            "{e}"
        );
    }

    /// A path through a string holding JSON edits the document and writes it back as Go does;
    /// a string holding YAML (or no document) is left to the ordinary path.
    #[test]
    fn structured_json_in_strings() {
        let mut v = crate::json!({"data": {
            "c": "{\"b\": {\"port\": 1}, \"a\": \"x\"}",
            "p": "{\n  \"k\": \"v\"\n}",
            "y": "k: v\n"
        }});
        let segs = |p: &str| split_fields(p);
        assert!(set_structured(
            &mut v,
            &segs("data.c.b.port"),
            false,
            &crate::json!("8080")
        ));
        assert_eq!(v["data"]["c"], r#"{"a":"x","b":{"port":8080}}"#);
        assert!(set_structured(
            &mut v,
            &segs("data.p.k"),
            false,
            &crate::json!("<w>")
        ));
        assert_eq!(v["data"]["p"], "{\n  \"k\": \"\\u003cw\\u003e\"\n}");
        assert!(!set_structured(
            &mut v,
            &segs("data.y.k"),
            false,
            &crate::json!("w")
        ));
        assert!(!set_structured(
            &mut v,
            &segs("data.c.nope"),
            false,
            &crate::json!("w")
        ));
        assert!(!set_structured(
            &mut v,
            &segs("data.c"),
            false,
            &crate::json!("w")
        ));
    }
}
