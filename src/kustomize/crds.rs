//! `crds:`: OpenAPI definitions (the `{"<pkg>.<Kind>": {"Schema": ..., "Dependencies": [...]}}`
//! form kustomize reads) turned into transformer configuration: properties marked
//! `x-kubernetes-annotation`, `x-kubernetes-label-selector`, `x-kubernetes-identity` or
//! `x-kubernetes-object-ref-api-version` + `-kind` (+ `-name-key`) become annotation, label,
//! name-prefix and name-reference field specs for the kind. Pure: the loader reads the file.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

/// The transformer configuration (in the `configurations:` file shape) that `doc` implies.
pub fn config(doc: &Value) -> Value {
    let mut out = Config::default();
    let Some(defs) = doc.as_object() else {
        return out.into_value();
    };
    for (name, def) in defs {
        let props = properties(def);
        if !["kind", "apiVersion", "metadata"]
            .iter()
            .all(|k| props.is_some_and(|p| p.contains_key(*k)))
        {
            continue;
        }
        // The kind is the type name's last dot-separated part ("github.com/x/v1beta1.Bee").
        let kind = name.rsplit('.').next().unwrap_or(name);
        let mut seen = HashSet::new();
        walk(defs, name, kind, &mut Vec::new(), &mut seen, &mut out);
    }
    out.into_value()
}

#[derive(Default)]
struct Config {
    annotations: Vec<Value>,
    labels: Vec<Value>,
    prefix: Vec<Value>,
    refs: Vec<(String, String, Value)>,
}

impl Config {
    fn into_value(self) -> Value {
        let mut m = Map::new();
        if !self.annotations.is_empty() {
            m.insert("commonAnnotations".into(), Value::Array(self.annotations));
        }
        if !self.labels.is_empty() {
            m.insert("commonLabels".into(), Value::Array(self.labels));
        }
        if !self.prefix.is_empty() {
            m.insert("namePrefix".into(), Value::Array(self.prefix));
        }
        if !self.refs.is_empty() {
            let refs = self
                .refs
                .into_iter()
                .map(|(kind, version, fs)| json!({"kind": kind, "version": version, "fieldSpecs": [fs]}))
                .collect();
            m.insert("nameReference".into(), Value::Array(refs));
        }
        Value::Object(m)
    }
}

fn properties(def: &Value) -> Option<&Map<String, Value>> {
    def.get("Schema")
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
}

fn field_spec(kind: &str, path: &[String]) -> Value {
    json!({"kind": kind, "path": path.join("/")})
}

/// Deepest property path followed through `$ref`s (bounds self-referencing definitions).
const MAX_PATH: usize = 64;

fn walk(
    defs: &Map<String, Value>,
    type_name: &str,
    kind: &str,
    path: &mut Vec<String>,
    seen: &mut HashSet<(String, usize)>,
    out: &mut Config,
) {
    if path.len() > MAX_PATH || !seen.insert((type_name.to_string(), path.len())) {
        return;
    }
    let Some(props) = defs.get(type_name).and_then(properties) else {
        return;
    };
    for (prop, schema) in props {
        path.push(prop.clone());
        let ext = |k: &str| schema.get(k).and_then(Value::as_str);
        if ext("x-kubernetes-annotation").is_some() {
            out.annotations.push(field_spec(kind, path));
        }
        if ext("x-kubernetes-label-selector").is_some() {
            out.labels.push(field_spec(kind, path));
        }
        if ext("x-kubernetes-identity").is_some() {
            out.prefix.push(field_spec(kind, path));
        }
        if let (Some(version), Some(ref_kind)) = (
            ext("x-kubernetes-object-ref-api-version"),
            ext("x-kubernetes-object-ref-kind"),
        ) {
            let key = ext("x-kubernetes-object-ref-name-key").unwrap_or("name");
            path.push(key.to_string());
            out.refs.push((
                ref_kind.to_string(),
                version.to_string(),
                field_spec(kind, path),
            ));
            path.pop();
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            walk(defs, r, kind, path, seen, out);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_refs_become_name_references() {
        let doc = json!({
            "x.io/v1.Bee": {"Schema": {"properties": {
                "apiVersion": {}, "kind": {}, "metadata": {},
                "spec": {"$ref": "x.io/v1.BeeSpec"}
            }}},
            "x.io/v1.BeeSpec": {"Schema": {"properties": {
                "secretRef": {
                    "x-kubernetes-object-ref-api-version": "v1",
                    "x-kubernetes-object-ref-kind": "Secret"
                },
                "loop": {"$ref": "x.io/v1.BeeSpec"}
            }}}
        });
        let c = config(&doc);
        let paths: Vec<&str> = c["nameReference"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["fieldSpecs"][0]["path"].as_str().unwrap())
            .collect();
        assert!(paths.contains(&"spec/secretRef/name"), "{paths:?}");
        assert!(paths.contains(&"spec/loop/secretRef/name"), "{paths:?}");
        // The self-reference stops at the path bound instead of recursing forever.
        assert!(paths.len() <= MAX_PATH + 1, "{}", paths.len());
        assert_eq!(c["nameReference"][0]["kind"], "Secret");
    }
}
