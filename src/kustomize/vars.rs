//! Deprecated `vars`: `$(NAME)` in the var-reference fields replaced by a field of another
//! resource, as kustomize does it. No I/O.
//!
//! Two steps, like kustomize:
//! - [`merge`], at the end of each kustomization (after its transformers): every var it declares
//!   picks the one resource of that kustomization's subtree whose current or any earlier id has
//!   the var's group/version/kind and name (and namespace, when the var gives one), and tags it. That is how a var names a resource by its original name and
//!   still finds it after prefixes, and how the same base included twice keeps its vars apart:
//!   each declaration only sees its own subtree. Two matches are ambiguous; a name declared twice
//!   anywhere in the build is an error.
//! - [`resolve`], at the very end (after name references): each var's value is read from the
//!   tagged resource and substituted; vars nobody used are reported as kustomize reports them.
//!
//! The keys of a var entry are read case-insensitively (`objRef`/`objref`, `fieldPath`/...),
//! as kustomize's JSON decoding does.

use std::collections::{BTreeMap, HashMap};

use crate::value::Value;

use super::KustomizeError;
use super::fieldspec::{FieldSpec, walk_existing};
use super::kustomization::{Located, scalar_text};
use super::resmap::{ResMap, is_cluster_scoped, kid, ns_equal};
use crate::resource::Gvk;

/// One declared var.
#[derive(Debug, Clone)]
pub struct Var {
    /// `$(name)`.
    pub name: String,
    /// The objref's group/version/kind (`apiVersion` wins over `group`/`version`).
    pub gvk: Gvk,
    /// The objref's name.
    pub obj_name: String,
    /// The objref's namespace (empty: any).
    pub namespace: String,
    /// Dotted field path (`spec.ports[0].port`), `metadata.name` by default.
    pub field_path: String,
    /// Where it was declared.
    pub at: String,
}

/// The vars of the build by name (kustomize resolves them in name order).
pub type VarSet = BTreeMap<String, Var>;

/// The value of `key` in `m`, matching the key case-insensitively (the last match wins).
fn get_ci<'a>(m: &'a Value, key: &str) -> Option<&'a Value> {
    m.as_object()?
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
        .next_back()
}

fn text_ci(m: &Value, key: &str) -> String {
    get_ci(m, key).map(scalar_text).unwrap_or_default()
}

/// Fails on a key kustomize's strict decoding would not know (case-insensitively).
fn known_keys(m: &Value, known: &[&str], what: &str, at: &str) -> Result<(), KustomizeError> {
    let Some(obj) = m.as_object() else {
        return if m.is_null() {
            Ok(())
        } else {
            Err(KustomizeError::invalid(
                at,
                format!("a var's {what} must be a mapping"),
            ))
        };
    };
    match obj
        .keys()
        .find(|k| !known.iter().any(|n| n.eq_ignore_ascii_case(k)))
    {
        Some(k) => Err(KustomizeError::invalid(
            at,
            format!(
                "invalid Kustomization: unknown field `{k}` in a var's {what} (known: {})",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

impl Var {
    fn parse(v: &Located<Value>) -> Result<Var, KustomizeError> {
        if !v.value.is_object() {
            return Err(KustomizeError::invalid(&v.at, "a var must be a mapping"));
        }
        known_keys(&v.value, &["name", "objref", "fieldref"], "entry", &v.at)?;
        if let Some(o) = get_ci(&v.value, "objref") {
            let known = [
                "apiVersion",
                "group",
                "version",
                "kind",
                "name",
                "namespace",
            ];
            known_keys(o, &known, "objref", &v.at)?;
        }
        if let Some(f) = get_ci(&v.value, "fieldref") {
            known_keys(f, &["fieldPath"], "fieldref", &v.at)?;
        }
        let obj = get_ci(&v.value, "objref").cloned().unwrap_or(Value::Null);
        let mut gvk = Gvk {
            group: text_ci(&obj, "group"),
            version: text_ci(&obj, "version"),
            kind: text_ci(&obj, "kind"),
        };
        let api = text_ci(&obj, "apiVersion");
        if !api.is_empty() {
            match api.split('/').collect::<Vec<_>>().as_slice() {
                [g, ver] => {
                    gvk.group = (*g).to_string();
                    gvk.version = (*ver).to_string();
                }
                [ver] => gvk.version = (*ver).to_string(),
                _ => {}
            }
        }
        let field = get_ci(&v.value, "fieldref").cloned().unwrap_or(Value::Null);
        let mut field_path = text_ci(&field, "fieldPath");
        if field_path.is_empty() {
            field_path = "metadata.name".into();
        }
        Ok(Var {
            name: text_ci(&v.value, "name"),
            gvk,
            obj_name: text_ci(&obj, "name"),
            namespace: text_ci(&obj, "namespace"),
            field_path,
            at: v.at.clone(),
        })
    }

    fn describe(&self) -> String {
        let gv = match (self.gvk.group.as_str(), self.gvk.version.as_str()) {
            ("", "") => String::new(),
            ("", v) => format!(" {v}"),
            (g, v) => format!(" {g}/{v}"),
        };
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!(" in namespace {}", self.namespace)
        };
        format!("{}{gv} {:?}{ns}", self.gvk.kind, self.obj_name)
    }
}

/// Adds vars from a child kustomization (or a component) to `set`.
///
/// # Errors
/// A var name already in `set`.
pub fn absorb(set: &mut VarSet, incoming: VarSet) -> Result<(), KustomizeError> {
    for v in incoming.into_values() {
        insert(set, v)?;
    }
    Ok(())
}

fn insert(set: &mut VarSet, v: Var) -> Result<(), KustomizeError> {
    if let Some(first) = set.get(&v.name) {
        return Err(KustomizeError::invalid(
            &v.at,
            format!(
                "var {:?} is declared twice (first at {}); var names must be unique in the build",
                v.name, first.at
            ),
        ));
    }
    set.insert(v.name.clone(), v);
    Ok(())
}

/// Declares the vars of one kustomization: tags the resource each one refers to in `res` (the
/// kustomization's subtree, after its transformers) and adds them to `set`.
///
/// # Errors
/// A var whose objref matches several resources, a name already declared, a malformed entry.
pub fn merge(
    set: &mut VarSet,
    res: &mut ResMap,
    declared: &[Located<Value>],
) -> Result<(), KustomizeError> {
    let mut parsed = Vec::with_capacity(declared.len());
    for d in declared {
        let v = Var::parse(d)?;
        // With a namespace the ids must be in it: a cluster-scoped resource never is (kustomize
        // compares with its "not a namespace" marker). Without one, any namespace will do.
        let with_ns = !v.namespace.is_empty();
        let matched: Vec<usize> = res
            .list
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let cur = r.res.gvk();
                let same_gv = cur.group == v.gvk.group && cur.version == v.gvk.version;
                let cluster = is_cluster_scoped(&cur);
                let id_matches = |kind: &str, name: &str, ns: &str| {
                    same_gv
                        && kind == v.gvk.kind
                        && name == v.obj_name
                        && (!with_ns || (!cluster && ns_equal(ns, &v.namespace)))
                };
                r.prev.iter().any(|p| id_matches(&p.2, &p.1, &p.0))
                    || id_matches(&cur.kind, r.res.name(), r.res.namespace())
            })
            .map(|(i, _)| i)
            .collect();
        if matched.len() > 1 {
            return Err(KustomizeError::invalid(
                &v.at,
                format!(
                    "var {:?} is ambiguous: its objref ({}) matches {} resources ({}); give the \
                     objref a namespace, or declare the var in the kustomization that holds \
                     only one of them",
                    v.name,
                    v.describe(),
                    matched.len(),
                    matched
                        .iter()
                        .map(|&i| kid(&res.list[i].id()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if let [i] = matched.as_slice() {
            res.list[*i].var_names.push(v.name.clone());
        }
        parsed.push(v);
    }
    for v in parsed {
        insert(set, v)?;
    }
    Ok(())
}

/// Splits a var field path as kustomize does: `.` separates (`\.` escapes), `[a.b]` is one map
/// key, `[k=v]` one list selector, and `x[0]` is `x` then index `0`.
fn split_field_path(path: &str) -> Vec<String> {
    let grouped = super::fieldspec::split_dotted(path);
    let mut out = Vec::new();
    for s in grouped {
        if let Some(open) = s.rfind('[')
            && s.ends_with(']')
            && s.len() > open + 2
            && s[open + 1..s.len() - 1].bytes().all(|b| b.is_ascii_digit())
        {
            if open > 0 {
                out.push(s[..open].to_string());
            }
            out.push(s[open + 1..s.len() - 1].to_string());
        } else {
            out.push(s);
        }
    }
    out
}

/// Reads a var's field (kustomize's `GetFieldValue` lookup).
pub fn get_field<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in split_field_path(path) {
        cur = if let Ok(i) = part.parse::<usize>() {
            cur.as_array()?.get(i)?
        } else if let Some(sel) = part.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let (k, want) = sel.split_once('=')?;
            cur.as_array()?.iter().find(|e| {
                e.get(k)
                    .is_some_and(|x| !x.is_object() && !x.is_array() && scalar_text(x) == want)
            })?
        } else {
            cur.as_object()?.get(&part)?
        };
    }
    Some(cur)
}

/// Var values, with the hits per name and the lines kustomize logs on the way.
#[derive(Default)]
struct Replacer {
    values: HashMap<String, Value>,
    hits: HashMap<String, usize>,
    log: Vec<String>,
}

impl Replacer {
    /// The value for `$(name)`: scalars only. A map or list value is left unreplaced (and
    /// logged, as kustomize does); an unknown name is left as it is.
    fn lookup(&mut self, name: &str) -> Option<Value> {
        let v = self.values.get(name)?;
        if v.is_object() || v.is_array() {
            self.log.push(format!(
                "MakePrimitiveReplacer: bad replacement type={} val={}",
                go_type(v),
                go_text(v)
            ));
            return None;
        }
        *self.hits.entry(name.to_string()).or_default() += 1;
        Some(v.clone())
    }
}

/// Go's `%T` of a decoded YAML value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::Null => "<nil>",
    }
}

/// Go's `%v` of a decoded YAML value (`map[k:v]` with sorted keys, `[a b]`).
fn go_text(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{k}:{}", go_text(x)))
                .collect();
            format!("map[{}]", items.join(" "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(go_text).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Null => "<nil>".to_string(),
        other => scalar_text(other),
    }
}

/// Expands `$(NAME)` references in `s` (`$$` is a literal `$`). Returns the new value when the
/// text changed: a lone reference keeps the value's type (`port: $(PORT)` becomes a number).
fn expand(s: &str, rep: &mut Replacer) -> Option<Value> {
    if !s.contains('$') {
        return None;
    }
    let mut lookup = |name: &str| rep.lookup(name);
    if let Some(name) = s.strip_prefix("$(").and_then(|r| r.strip_suffix(')'))
        && !name.contains(')')
    {
        return lookup(name);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let mut chars = after.chars();
        match chars.next() {
            None => {
                out.push('$');
                rest = after;
            }
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(j) => {
                    let name = &after[1..j];
                    match lookup(name) {
                        Some(v) => out.push_str(&scalar_text(&v)),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &after[j + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = &after[1..];
                }
            },
            Some(c) => {
                out.push('$');
                out.push(c);
                rest = &after[c.len_utf8()..];
            }
        }
    }
    out.push_str(rest);
    (out != s).then_some(Value::String(out))
}

fn replace_string(node: &mut Value, rep: &mut Replacer) {
    if let Value::String(s) = node
        && let Some(v) = expand(s, rep)
    {
        *node = v;
    }
}

/// kustomize's var filter at one field: a string, the string values of a map (one level), or
/// a list of strings.
fn replace_at(node: &mut Value, rep: &mut Replacer) -> Result<(), String> {
    match node {
        Value::String(_) => replace_string(node, rep),
        Value::Object(m) => {
            for v in m.values_mut() {
                replace_string(v, rep);
            }
        }
        Value::Array(items) => {
            for it in items.iter_mut() {
                if !it.is_string() {
                    return Err(format!(
                        "vars are substituted into lists of strings only, and this list holds {}",
                        scalar_text_or_shape(it)
                    ));
                }
                replace_string(it, rep);
            }
        }
        _ => {}
    }
    Ok(())
}

fn scalar_text_or_shape(v: &Value) -> String {
    match v {
        Value::Object(_) => "a mapping".into(),
        Value::Array(_) => "a list".into(),
        Value::Null => "a null".into(),
        other => format!("the non-string {}", scalar_text(other)),
    }
}

/// Resolves the vars and substitutes them. Returns the lines kustomize logs: one per
/// reference to a var whose value is a map or list, and one naming the vars no field used.
///
/// # Errors
/// A var no resource was tagged for, a missing field, a list item that is not a string.
pub fn resolve(
    list: &mut ResMap,
    vars: &VarSet,
    refs: &[FieldSpec],
) -> Result<Vec<String>, KustomizeError> {
    if vars.is_empty() {
        return Ok(Vec::new());
    }
    let mut rep = Replacer::default();
    for v in vars.values() {
        let Some(r) = list.list.iter().find(|r| r.var_names.contains(&v.name)) else {
            let hint = if v.gvk.version.is_empty() {
                "without `apiVersion` it matches no versioned resource"
            } else {
                "objrefs name the resource by its name before prefixes and suffixes"
            };
            return Err(KustomizeError::invalid(
                &v.at,
                format!(
                    "var {:?}: no resource of this kustomization or its bases matches its objref \
                     ({}; {hint})",
                    v.name,
                    v.describe()
                ),
            ));
        };
        let val = get_field(&r.res.value, &v.field_path).ok_or_else(|| {
            KustomizeError::invalid(
                &v.at,
                format!(
                    "var {:?}: field {} not found in {}",
                    v.name,
                    v.field_path,
                    kid(&r.id())
                ),
            )
        })?;
        let val = match val {
            Value::Null => Value::String(String::new()),
            other => other.clone(),
        };
        rep.values.insert(v.name.clone(), val);
    }
    for r in &mut list.list {
        let gvk = r.res.gvk();
        for fs in refs.iter().filter(|fs| fs.matches(&gvk)) {
            let res = walk_existing(&mut r.res.value, fs, &mut |n| replace_at(n, &mut rep));
            if let Err(m) = res {
                return Err(KustomizeError::invalid(
                    r.location(""),
                    format!("{}: {m}", kid(&r.id())),
                ));
            }
        }
    }
    let unused: Vec<&str> = vars
        .keys()
        .filter(|n| !rep.hits.contains_key(n.as_str()))
        .map(String::as_str)
        .collect();
    let mut log = rep.log;
    if !unused.is_empty() {
        log.push(format!(
            "well-defined vars that were never replaced: {}",
            unused.join(",")
        ));
    }
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn expansion_table() {
        let values: HashMap<String, Value> = [
            ("A".to_string(), json!("fly")),
            ("N".to_string(), json!(3)),
            ("M".to_string(), json!({"a": 1, "b": [true, null]})),
        ]
        .into();
        let cases = [
            ("whole", "$(A)", Some(json!("fly"))),
            ("typed", "$(N)", Some(json!(3))),
            ("inside", "x-$(A)-y", Some(json!("x-fly-y"))),
            ("number inside", "p$(N)", Some(json!("p3"))),
            ("unknown kept", "$(B)", None),
            ("map value kept", "$(M)", None),
            ("none", "plain", None),
            ("escaped", "$$(A)", Some(json!("$(A)"))),
            ("unclosed", "$(A", None),
            ("lone dollar", "a$b", None),
            ("two", "$(A)$(A)", Some(json!("flyfly"))),
        ];
        for (name, s, want) in cases {
            let mut rep = Replacer {
                values: values.clone(),
                ..Replacer::default()
            };
            assert_eq!(expand(s, &mut rep), want, "{name}");
        }
        let mut rep = Replacer {
            values,
            ..Replacer::default()
        };
        expand("$(M)", &mut rep);
        assert_eq!(
            rep.log,
            [
                "MakePrimitiveReplacer: bad replacement type=map[string]interface {} val=map[a:1 b:[true <nil>]]"
            ]
        );
    }

    #[test]
    fn var_entries_case_insensitive_and_strict() {
        let at = |value: Value| Located {
            value,
            at: "k.yaml:1:1".to_string(),
        };
        let v = Var::parse(&at(json!({
            "name": "P",
            "objRef": {"APIVERSION": "apps/v1", "Kind": "Deployment", "name": "d"},
            "FieldRef": {"fieldpath": "spec.replicas"}
        })))
        .unwrap();
        assert_eq!(
            (v.gvk.group.as_str(), v.gvk.version.as_str()),
            ("apps", "v1")
        );
        assert_eq!(
            (v.gvk.kind.as_str(), v.field_path.as_str()),
            ("Deployment", "spec.replicas")
        );
        let v = Var::parse(&at(
            json!({"name": "N", "objref": {"kind": "X", "name": "x"}}),
        ))
        .unwrap();
        assert_eq!(v.field_path, "metadata.name");
        assert!(Var::parse(&at(json!({"name": "N", "fieldrefs": {}}))).is_err());
        assert!(Var::parse(&at(json!({"name": "N", "objref": {"nmespace": "x"}}))).is_err());
    }

    #[test]
    fn field_paths() {
        let cases = [
            ("a.b", vec!["a", "b"]),
            ("spec.ports[1].port", vec!["spec", "ports", "1", "port"]),
            (
                "metadata.annotations.[a.b/c]",
                vec!["metadata", "annotations", "a.b/c"],
            ),
            (
                "spec.containers.[name=x.y].image",
                vec!["spec", "containers", "[name=x.y]", "image"],
            ),
            ("a\\.b.c", vec!["a.b", "c"]),
        ];
        for (p, want) in cases {
            assert_eq!(split_field_path(p), want, "{p}");
        }
        let v = json!({"spec": {"ports": [{"name": "a", "port": 1}, {"name": "b", "port": 2}]}});
        assert_eq!(get_field(&v, "spec.ports[1].port"), Some(&json!(2)));
        assert_eq!(get_field(&v, "spec.ports.[name=a].port"), Some(&json!(1)));
        assert_eq!(get_field(&v, "spec.missing"), None);
    }
}
