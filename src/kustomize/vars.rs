//! Deprecated `vars`: resolve `$(NAME)` in the var-reference fields from a field of another
//! resource, after name references are fixed. No I/O.

use std::collections::BTreeMap;

use serde_json::Value;

use super::KustomizeError;
use super::fieldspec::{FieldSpec, walk_existing};
use super::kustomization::Located;
use super::resmap::{ResMap, kid};
use crate::resource::Gvk;

/// Reads a dotted field path (`spec.template.spec.containers[0].image`).
pub fn get_field<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (key, idx) = match part.split_once('[') {
            Some((k, rest)) => (
                k,
                rest.strip_suffix(']').and_then(|i| i.parse::<usize>().ok()),
            ),
            None => (part, None),
        };
        if !key.is_empty() {
            cur = cur.get(key)?;
        }
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => super::kustomization::scalar_text(other),
    }
}

fn substitute(s: &str, vars: &BTreeMap<String, Value>) -> Option<Value> {
    if !s.contains("$(") {
        return None;
    }
    if let Some(name) = s.strip_prefix("$(").and_then(|r| r.strip_suffix(')'))
        && let Some(v) = vars.get(name)
    {
        return Some(v.clone());
    }
    let mut out = String::new();
    let mut rest = s;
    let mut changed = false;
    while let Some(i) = rest.find("$(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(')') {
            Some(j) if vars.contains_key(&after[..j]) => {
                out.push_str(&value_text(&vars[&after[..j]]));
                rest = &after[j + 1..];
                changed = true;
            }
            _ => {
                out.push_str("$(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    changed.then_some(Value::String(out))
}

fn replace_in(node: &mut Value, vars: &BTreeMap<String, Value>) {
    match node {
        Value::String(s) => {
            if let Some(v) = substitute(s, vars) {
                *node = v;
            }
        }
        Value::Array(items) => {
            for it in items {
                replace_in(it, vars);
            }
        }
        Value::Object(m) => {
            for v in m.values_mut() {
                replace_in(v, vars);
            }
        }
        _ => {}
    }
}

/// Resolves the vars and substitutes them.
///
/// # Errors
/// A var whose object is missing or ambiguous, or whose field is absent.
pub fn resolve(
    list: &mut ResMap,
    vars: &[Located<Value>],
    refs: &[FieldSpec],
) -> Result<(), KustomizeError> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut values = BTreeMap::new();
    for v in vars {
        let s = |p: &[&str]| {
            let mut cur = &v.value;
            for k in p {
                match cur.get(k) {
                    Some(x) => cur = x,
                    None => return String::new(),
                }
            }
            cur.as_str().unwrap_or("").to_string()
        };
        let name = s(&["name"]);
        if name.is_empty() {
            return Err(KustomizeError::invalid(&v.at, "a var needs a `name`"));
        }
        let kind = s(&["objref", "kind"]);
        let obj_name = s(&["objref", "name"]);
        let api = s(&["objref", "apiVersion"]);
        let want = Gvk::from_api_version(&api, &kind);
        let ns = s(&["objref", "namespace"]);
        let mut path = s(&["fieldref", "fieldpath"]);
        if path.is_empty() {
            path = "metadata.name".into();
        }
        let matches: Vec<usize> = list
            .list
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let g = &r.org_gvk;
                g.kind == want.kind
                    && (api.is_empty() || (g.group == want.group && g.version == want.version))
                    && r.had_name(&obj_name)
                    && (ns.is_empty() || r.res.namespace() == ns || r.org_namespace() == ns)
            })
            .map(|(i, _)| i)
            .collect();
        let idx = match matches.as_slice() {
            [i] => *i,
            [] => {
                return Err(KustomizeError::invalid(
                    &v.at,
                    format!(
                        "var {name:?} cannot be mapped to a field in the set of known resources"
                    ),
                ));
            }
            _ => {
                return Err(KustomizeError::invalid(
                    &v.at,
                    format!("var {name:?} matches more than one resource"),
                ));
            }
        };
        let r = &list.list[idx];
        let val = get_field(&r.res.value, &path).cloned().ok_or_else(|| {
            KustomizeError::invalid(
                &v.at,
                format!("var {name:?}: field {path} not found in {}", kid(&r.id())),
            )
        })?;
        values.insert(name, val);
    }
    for r in &mut list.list {
        let gvk = r.res.gvk();
        for fs in refs.iter().filter(|fs| fs.matches(&gvk)) {
            walk_existing(&mut r.res.value, fs, &mut |n| {
                replace_in(n, &values);
                Ok(())
            })
            .map_err(|m| KustomizeError::invalid(r.res.origin.describe(""), m))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn substitution_table() {
        let vars: BTreeMap<String, Value> =
            [("A".to_string(), json!("fly")), ("N".to_string(), json!(3))].into();
        let cases = [
            ("whole", "$(A)", Some(json!("fly"))),
            ("typed", "$(N)", Some(json!(3))),
            ("inside", "x-$(A)-y", Some(json!("x-fly-y"))),
            ("unknown kept", "$(B)", None),
            ("none", "plain", None),
        ];
        for (name, s, want) in cases {
            assert_eq!(substitute(s, &vars), want, "{name}");
        }
    }
}
