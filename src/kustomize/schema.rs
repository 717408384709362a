//! Strategic-merge metadata: which lists merge by which key, from the Kubernetes OpenAPI patch
//! metadata (`x-kubernetes-patch-merge-key`, `x-kubernetes-patch-strategy`).
//!
//! Owns the generated table (`smp_table.tsv`, from kubernetes-validate's 1.34 `_definitions.json`,
//! see `scripts/gen-smp-table.py`) and the reading of an `openapi: path:` schema. Does no I/O:
//! callers pass the custom schema's text.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

const TABLE: &str = include_str!("smp_table.tsv");

/// What strategic merge needs to know about one field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldInfo {
    /// The object type of the field (or of its list items / map values).
    pub ty: Option<Arc<str>>,
    /// The field is a list.
    pub list: bool,
    /// `x-kubernetes-patch-merge-key`.
    pub merge_key: Option<String>,
    /// `x-kubernetes-patch-strategy` (`merge`, `replace`, `retainKeys`, combined with `,`).
    pub strategy: Option<String>,
    /// `x-kubernetes-list-map-keys` when there are several (`containerPort`, `protocol`).
    pub list_keys: Vec<String>,
}

impl FieldInfo {
    /// The list merges element-wise (strategy contains `merge`).
    pub fn merges(&self) -> bool {
        self.strategy
            .as_deref()
            .is_some_and(|s| s.split(',').any(|x| x == "merge"))
    }
}

/// Types by name and root types by (apiVersion, kind).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    types: HashMap<Arc<str>, HashMap<String, FieldInfo>>,
    roots: HashMap<String, HashMap<String, Arc<str>>>,
}

impl Schema {
    /// The root type of a resource kind.
    pub fn root(&self, api_version: &str, kind: &str) -> Option<Arc<str>> {
        self.roots.get(api_version)?.get(kind).cloned()
    }

    /// A field of a type.
    pub fn field(&self, ty: &str, field: &str) -> Option<&FieldInfo> {
        self.types.get(ty).and_then(|t| t.get(field))
    }

    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some((k, _)) = self.types.get_key_value(name) {
            return k.clone();
        }
        let k: Arc<str> = Arc::from(name);
        self.types.insert(k.clone(), HashMap::new());
        k
    }

    /// Adds the definitions of an OpenAPI v2 document (`definitions`) or a JSON Schema
    /// (`$defs`) to this schema; later definitions win.
    pub fn add_openapi(&mut self, doc: &Value) {
        let defs = doc
            .get("definitions")
            .or_else(|| doc.get("$defs"))
            .and_then(Value::as_object);
        let Some(defs) = defs else { return };
        for (name, def) in defs {
            let ty = self.intern(name);
            if let Some(gvks) = def
                .get("x-kubernetes-group-version-kind")
                .and_then(Value::as_array)
            {
                for g in gvks {
                    let s = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or("");
                    let av = if s("group").is_empty() {
                        s("version").to_string()
                    } else {
                        format!("{}/{}", s("group"), s("version"))
                    };
                    self.roots
                        .entry(av)
                        .or_default()
                        .insert(s("kind").to_string(), ty.clone());
                }
            }
            self.register(&ty, def);
        }
    }

    /// Records the fields of one object schema; inline object properties become types named
    /// `parent/field`.
    fn register(&mut self, ty: &Arc<str>, def: &Value) {
        let mut fields = HashMap::new();
        if let Some(props) = def.get("properties").and_then(Value::as_object) {
            for (f, fs) in props {
                let mut info = FieldInfo::default();
                let mut r = ref_of(fs).map(|n| self.intern(&n));
                let items = fs.get("items");
                if items.is_some() {
                    info.list = true;
                }
                let inline = items.unwrap_or(fs);
                if r.is_none() {
                    r = items.and_then(ref_of).map(|n| self.intern(&n));
                }
                if r.is_none() {
                    r = fs
                        .get("additionalProperties")
                        .and_then(ref_of)
                        .map(|n| self.intern(&n));
                }
                if r.is_none() && inline.get("properties").is_some() {
                    let sub = self.intern(&format!("{ty}/{f}"));
                    self.register(&sub, inline);
                    r = Some(sub);
                }
                info.ty = r;
                info.merge_key = fs
                    .get("x-kubernetes-patch-merge-key")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                info.strategy = fs
                    .get("x-kubernetes-patch-strategy")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if let Some(keys) = fs
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    && keys.len() > 1
                {
                    info.list_keys = keys
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                }
                fields.insert(f.clone(), info);
            }
        }
        self.types.insert(ty.clone(), fields);
    }
}

fn ref_of(v: &Value) -> Option<String> {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().map(str::to_string);
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = v.get(k).and_then(Value::as_array) {
            for s in list {
                if let Some(r) = ref_of(s) {
                    return Some(r);
                }
            }
        }
    }
    None
}

/// The builtin Kubernetes 1.34 schema.
pub fn builtin() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut s = Schema::default();
        for line in TABLE.lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            match cols.as_slice() {
                ["G", av, kind, ty] => {
                    let t = s.intern(ty);
                    s.roots
                        .entry(av.to_string())
                        .or_default()
                        .insert(kind.to_string(), t);
                }
                ["F", ty, field, r, list, mk, st, lk] => {
                    let t = s.intern(ty);
                    let r = (*r != "-").then(|| s.intern(r));
                    let info = FieldInfo {
                        ty: r,
                        list: *list == "1",
                        merge_key: (*mk != "-").then(|| mk.to_string()),
                        strategy: (*st != "-").then(|| st.to_string()),
                        list_keys: if *lk == "-" {
                            Vec::new()
                        } else {
                            lk.split(',').map(str::to_string).collect()
                        },
                    };
                    s.types
                        .entry(t)
                        .or_default()
                        .insert(field.to_string(), info);
                }
                _ => {}
            }
        }
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_patch_metadata() {
        let s = builtin();
        let dep = s.root("apps/v1", "Deployment").unwrap();
        let spec = s.field(&dep, "spec").unwrap().ty.clone().unwrap();
        let tmpl = s.field(&spec, "template").unwrap().ty.clone().unwrap();
        let pod = s.field(&tmpl, "spec").unwrap().ty.clone().unwrap();
        let c = s.field(&pod, "containers").unwrap();
        assert_eq!(c.merge_key.as_deref(), Some("name"));
        assert!(c.merges());
        let ct = c.ty.clone().unwrap();
        let ports = s.field(&ct, "ports").unwrap();
        assert_eq!(ports.merge_key.as_deref(), Some("containerPort"));
        let env_from = s.field(&ct, "envFrom").unwrap();
        assert!(!env_from.merges());
        assert!(s.root("example.com/v1", "Foo").is_none());
    }
}
