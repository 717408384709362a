//! `replacements`: copy a field of one resource into fields of others (`fieldPaths` with
//! `[key=value]` list selectors, indexes and `*`; `delimiter`/`index`; `create`). No I/O.

use serde_json::{Map, Value};

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
        let (k, want) = sel.split_once('=')?;
        v.as_array()?
            .iter()
            .find(|e| e.get(k).map(super::kustomization::scalar_text) == Some(want.to_string()))?
    } else if let Ok(i) = first.parse::<usize>()
        && v.is_array()
    {
        v.get(i)?
    } else {
        v.get(first.as_str())?
    };
    lookup(next, rest)
}

fn set_all(v: &mut Value, segs: &[String], create: bool, f: &mut dyn FnMut(&mut Value)) -> usize {
    let Some((first, rest)) = segs.split_first() else {
        f(v);
        return 1;
    };
    if first == "*" {
        return match v {
            Value::Array(items) => items.iter_mut().map(|x| set_all(x, rest, create, f)).sum(),
            Value::Object(m) => m.values_mut().map(|x| set_all(x, rest, create, f)).sum(),
            _ => 0,
        };
    }
    if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let Some((k, want)) = sel.split_once('=') else {
            return 0;
        };
        let Value::Array(items) = v else { return 0 };
        let mut n = 0;
        for it in items.iter_mut() {
            if it.get(k).map(super::kustomization::scalar_text) == Some(want.to_string()) {
                n += set_all(it, rest, create, f);
            }
        }
        if n == 0 && create {
            let mut m = Map::new();
            m.insert(k.to_string(), Value::String(want.to_string()));
            items.push(Value::Object(m));
            if let Some(last) = items.last_mut() {
                n += set_all(last, rest, create, f);
            }
        }
        return n;
    }
    if let Value::Array(items) = v {
        return match first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(x) => set_all(x, rest, create, f),
            None => 0,
        };
    }
    if v.is_null() && create {
        *v = Value::Object(Map::new());
    }
    let Value::Object(m) = v else { return 0 };
    if !m.contains_key(first.as_str()) {
        if !create {
            return 0;
        }
        m.insert(
            first.clone(),
            if rest.is_empty() {
                Value::Null
            } else {
                Value::Object(Map::new())
            },
        );
    }
    match m.get_mut(first.as_str()) {
        Some(x) => set_all(x, rest, create, f),
        None => 0,
    }
}

fn sel_of(v: Option<&Value>, at: &str) -> Result<Selector, KustomizeError> {
    match v {
        None => Ok(Selector::default()),
        Some(v) => serde_json::from_value(v.clone())
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
        if let (Some(d), Value::String(s)) = (d, &value) {
            let parts: Vec<&str> = s.split(d.as_str()).collect();
            value = Value::String(
                usize::try_from(i)
                    .ok()
                    .and_then(|i| parts.get(i))
                    .unwrap_or(&"")
                    .to_string(),
            );
        }
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
            let paths: Vec<String> = t
                .get("fieldPaths")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            for r in list.list.iter_mut() {
                if !select.matches(r) || rejects.iter().any(|x| x.matches(r)) {
                    continue;
                }
                for p in &paths {
                    let segs = split_fields(p);
                    set_all(&mut r.res.value, &segs, create, &mut |node| match (
                        &delim, &*node, &value,
                    ) {
                        // kustomize splits the target's text: a field it just created (or an
                        // empty one) is "", so it gives one empty part.
                        (Some(d), old @ (Value::String(_) | Value::Null), Value::String(new)) => {
                            let old = super::kustomization::scalar_text(old);
                            let mut parts: Vec<String> =
                                old.split(d.as_str()).map(str::to_string).collect();
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
                            *node = Value::String(super::kustomization::scalar_text(&value));
                        }
                        (_, Value::Number(_) | Value::Bool(_), Value::String(text)) => {
                            *node = crate::yaml::resolve_scalar(
                                text,
                                granit_parser::ScalarStyle::Plain,
                                None,
                            );
                        }
                        _ => *node = value.clone(),
                    });
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

    #[test]
    fn replacement_table() {
        let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src}\ndata: {img: 'nginx:2'}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: 'nginx:1'}\n      - {name: side, image: busybox}\n";
        let list = parse_resources(input, std::path::Path::new("t")).unwrap();
        let mut m = ResMap {
            list: list.into_iter().map(KRes::new).collect(),
        };
        let rep: Value = serde_json::json!({
            "source": {"kind": "ConfigMap", "name": "src", "fieldPath": "data.img"},
            "targets": [{"select": {"kind": "Deployment"},
                "fieldPaths": ["spec.template.spec.containers.[name=web].image"]}]
        });
        apply(
            &mut m,
            &[Located {
                value: rep,
                at: "k".into(),
            }],
        )
        .unwrap();
        let c = &m.list[1].res.value["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["image"], "nginx:2");
        assert_eq!(c[1]["image"], "busybox");
    }

    /// With a `delimiter`, kustomize splits the target's text: a field it creates is "", which
    /// is one empty part (`index: -1` gives `src,`, past the end `-src`).
    #[test]
    fn delimiter_on_created_and_number_targets() {
        let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {n: '1'}}\nspec: {p: 12}\n";
        let list = parse_resources(input, std::path::Path::new("t")).unwrap();
        let mut m = ResMap {
            list: list.into_iter().map(KRes::new).collect(),
        };
        let target = |paths: &[&str], opts: Value| serde_json::json!({"select": {"kind": "Service"}, "fieldPaths": paths, "options": opts});
        let rep: Value = serde_json::json!({
            "source": {"kind": "ConfigMap", "name": "src"},
            "targets": [
                target(&["metadata.annotations.a"], serde_json::json!({"delimiter": ",", "index": -1, "create": true})),
                target(&["metadata.annotations.b"], serde_json::json!({"delimiter": ",", "create": true})),
                target(&["metadata.annotations.c"], serde_json::json!({"delimiter": "-", "index": 3, "create": true})),
                target(&["metadata.annotations.z"], serde_json::json!({"delimiter": ","})),
            ]
        });
        apply(
            &mut m,
            &[Located {
                value: rep,
                at: "k".into(),
            }],
        )
        .unwrap();
        let s = &m.list[1].res.value;
        assert_eq!(s["metadata"]["annotations"]["a"], "src,");
        assert_eq!(s["metadata"]["annotations"]["b"], "src");
        assert_eq!(s["metadata"]["annotations"]["c"], "-src");
        assert!(s["metadata"]["annotations"].get("z").is_none());
    }
}
