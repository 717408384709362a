//! Strategic-merge metadata: which lists merge by which key, from the Kubernetes OpenAPI patch
//! metadata (`x-kubernetes-patch-merge-key`, `x-kubernetes-patch-strategy`).
//!
//! Owns the generated table (`smp_table.tsv`, from kubernetes-validate's 1.34 `_definitions.json`,
//! see `scripts/gen-smp-table.py`; compiled into sorted slices by `build.rs`) and the reading of an
//! `openapi: path:` schema. Does no I/O: callers pass the custom schema's text.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::value::Value;

// `ROOTS` and `TYPES`, generated from `smp_table.tsv` by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/smp_table.rs"));

/// What strategic merge needs to know about one field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldInfo {
    /// The object type of the field (or of its list items / map values).
    pub ty: Option<Cow<'static, str>>,
    /// The field is a list.
    pub list: bool,
    /// `x-kubernetes-patch-merge-key`.
    pub merge_key: Option<Cow<'static, str>>,
    /// `x-kubernetes-patch-strategy` (`merge`, `replace`, `retainKeys`, combined with `,`).
    pub strategy: Option<Cow<'static, str>>,
    /// `x-kubernetes-list-map-keys` when there are several (`containerPort`, `protocol`).
    pub list_keys: Cow<'static, [Cow<'static, str>]>,
}

impl FieldInfo {
    /// The list merges element-wise (strategy contains `merge`).
    pub fn merges(&self) -> bool {
        self.strategy
            .as_deref()
            .is_some_and(|s| s.split(',').any(|x| x == "merge"))
    }
}

/// The fields of one type: from the builtin table or from an added schema.
#[derive(Debug, Clone, Copy)]
pub enum Fields<'a> {
    Builtin(&'static [(&'static str, FieldInfo)]),
    Added(&'a BTreeMap<String, FieldInfo>),
}

impl<'a> Fields<'a> {
    /// The field named `field`.
    pub fn get(self, field: &str) -> Option<&'a FieldInfo> {
        match self {
            Fields::Added(m) => m.get(field),
            Fields::Builtin(fields) => fields
                .binary_search_by(|(f, _)| (*f).cmp(field))
                .ok()
                .map(|j| &fields[j].1),
        }
    }
}

/// Types by name and root types by (apiVersion, kind): the builtin tables (compiled in) under
/// the definitions of `openapi:` schemas added to them (a type defined there replaces the
/// builtin one whole).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    types: BTreeMap<String, BTreeMap<String, FieldInfo>>,
    roots: BTreeMap<String, BTreeMap<String, String>>,
}

impl Schema {
    /// The root type of a resource kind.
    pub fn root(&self, api_version: &str, kind: &str) -> Option<&str> {
        if let Some(t) = self.roots.get(api_version).and_then(|k| k.get(kind)) {
            return Some(t);
        }
        ROOTS
            .binary_search_by(|(av, k, _)| (*av, *k).cmp(&(api_version, kind)))
            .ok()
            .map(|i| ROOTS[i].2)
    }

    /// A field of a type.
    pub fn field(&self, ty: &str, field: &str) -> Option<&FieldInfo> {
        self.fields(ty)?.get(field)
    }

    /// The fields of a type, found once for a walk over all of a mapping's keys (type names
    /// share long prefixes: finding one costs more than finding a field in it).
    pub fn fields(&self, ty: &str) -> Option<Fields<'_>> {
        if let Some(fields) = self.types.get(ty) {
            return Some(Fields::Added(fields));
        }
        let i = TYPES.binary_search_by(|(t, _)| (*t).cmp(ty)).ok()?;
        Some(Fields::Builtin(TYPES[i].1))
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
                        .insert(s("kind").to_string(), name.clone());
                }
            }
            self.register(name, def);
        }
    }

    /// Records the fields of one object schema; inline object properties become types named
    /// `parent/field`.
    fn register(&mut self, ty: &str, def: &Value) {
        let mut fields = BTreeMap::new();
        if let Some(props) = def.get("properties").and_then(Value::as_object) {
            for (f, fs) in props {
                let mut info = FieldInfo::default();
                let mut r = ref_of(fs);
                let items = fs.get("items");
                if items.is_some() {
                    info.list = true;
                }
                let inline = items.unwrap_or(fs);
                if r.is_none() {
                    r = items.and_then(ref_of);
                }
                if r.is_none() {
                    r = fs.get("additionalProperties").and_then(ref_of);
                }
                if r.is_none() && inline.get("properties").is_some() {
                    let sub = format!("{ty}/{f}");
                    self.register(&sub, inline);
                    r = Some(sub);
                }
                info.ty = r.map(Cow::Owned);
                info.merge_key = fs
                    .get("x-kubernetes-patch-merge-key")
                    .and_then(Value::as_str)
                    .map(|s| Cow::Owned(s.to_string()));
                info.strategy = fs
                    .get("x-kubernetes-patch-strategy")
                    .and_then(Value::as_str)
                    .map(|s| Cow::Owned(s.to_string()));
                if let Some(keys) = fs
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    && keys.len() > 1
                {
                    info.list_keys = keys
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|k| Cow::Owned(k.to_string()))
                        .collect();
                }
                fields.insert(f.clone(), info);
            }
        }
        self.types.insert(ty.to_string(), fields);
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

/// The builtin Kubernetes 1.34 schema (compiled in: nothing is read at start-up).
pub fn builtin() -> &'static Schema {
    static SCHEMA: Schema = Schema {
        types: BTreeMap::new(),
        roots: BTreeMap::new(),
    };
    &SCHEMA
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_patch_metadata() {
        let s = builtin();
        let dep = s.root("apps/v1", "Deployment").unwrap();
        let spec = s.field(dep, "spec").unwrap().ty.clone().unwrap();
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

    /// The compiled-in tables hold every line of `smp_table.tsv` (the last line for a key wins),
    /// so the build script and the table agree.
    #[test]
    fn compiled_tables_match_the_tsv() {
        let text = include_str!("smp_table.tsv");
        let mut roots = std::collections::HashMap::new();
        let mut fields = std::collections::HashMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            match cols.as_slice() {
                ["G", av, kind, ty] => {
                    roots.insert((*av, *kind), *ty);
                }
                ["F", ty, field, r, list, mk, st, lk] => {
                    let opt = |s: &str| (s != "-").then(|| Cow::Owned(s.to_string()));
                    let info = FieldInfo {
                        ty: opt(r),
                        list: *list == "1",
                        merge_key: opt(mk),
                        strategy: opt(st),
                        list_keys: if *lk == "-" {
                            Cow::Borrowed(&[])
                        } else {
                            lk.split(',').map(|k| Cow::Owned(k.to_string())).collect()
                        },
                    };
                    fields.insert((*ty, *field), info);
                }
                other => panic!("unexpected line {other:?}"),
            }
        }
        assert!(
            roots.len() > 300 && fields.len() > 1000,
            "{} {}",
            roots.len(),
            fields.len()
        );
        let s = builtin();
        for ((av, kind), ty) in &roots {
            assert_eq!(s.root(av, kind), Some(*ty), "{av} {kind}");
        }
        for ((ty, field), info) in &fields {
            assert_eq!(s.field(ty, field), Some(info), "{ty}.{field}");
        }
        assert_eq!(ROOTS.len(), roots.len());
        assert_eq!(
            TYPES.iter().map(|(_, f)| f.len()).sum::<usize>(),
            fields.len()
        );
    }

    #[test]
    fn an_openapi_type_replaces_the_builtin_one() {
        let mut s = builtin().clone();
        let doc: Value = crate::json!({"definitions": {
            "io.k8s.api.core.v1.PodSpec": {"properties": {"containers": {"items": {"$ref": "#/definitions/C"}, "x-kubernetes-patch-merge-key": "image", "x-kubernetes-patch-strategy": "merge"}}},
            "example.Foo": {"x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Foo"}], "properties": {"spec": {"properties": {"items": {"type": "array"}}}}}
        }});
        s.add_openapi(&doc);
        let c = s.field("io.k8s.api.core.v1.PodSpec", "containers").unwrap();
        assert_eq!(c.merge_key.as_deref(), Some("image"));
        assert_eq!(c.ty.as_deref(), Some("C"));
        assert!(s.field("io.k8s.api.core.v1.PodSpec", "volumes").is_none());
        assert_eq!(s.root("example.com/v1", "Foo"), Some("example.Foo"));
        assert_eq!(
            s.field("example.Foo", "spec").unwrap().ty.as_deref(),
            Some("example.Foo/spec")
        );
        // Untouched builtin types still come from the compiled tables.
        assert!(s.root("apps/v1", "Deployment").is_some());
        assert!(
            builtin()
                .field("io.k8s.api.core.v1.PodSpec", "volumes")
                .is_some()
        );
    }
}
