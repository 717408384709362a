//! `buildMetadata`: the `config.kubernetes.io/origin` and
//! `alpha.config.kubernetes.io/transformations` annotations and the
//! `app.kubernetes.io/managed-by` label.
//!
//! Like kustomize, the annotations live on the resources during the build (so every later step
//! sees them) and are removed at the end unless the build root asks for them. The loader only
//! calls in here when the root's `buildMetadata` is non-empty. No I/O.

use crate::value::{Map, Value};

use super::resmap::KRes;

/// The annotation that says where a resource came from.
pub const ORIGIN: &str = "config.kubernetes.io/origin";
/// The annotation listing the transformers that touched a resource.
pub const TRANSFORMATIONS: &str = "alpha.config.kubernetes.io/transformations";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// What kustomize v5.8.1 writes into the managed-by label.
const MANAGED_BY_VALUE: &str = "kustomize-v5.8.1";

/// The build root's `buildMetadata` options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `originAnnotations`: keep the origin annotations.
    pub origin: bool,
    /// `transformerAnnotations`: keep the transformations annotations.
    pub transformers: bool,
    /// `managedByLabel`: add the managed-by label.
    pub managed_by: bool,
}

impl Options {
    /// Reads the option names (unknown names turn tracking on and keep nothing, as in kustomize).
    pub fn from_names(names: &[String]) -> Self {
        let has = |n: &str| names.iter().any(|x| x == n);
        Options {
            origin: has("originAnnotations"),
            transformers: has("transformerAnnotations"),
            managed_by: has("managedByLabel"),
        }
    }
}

/// The object that configured a generated resource or a transformation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredBy {
    /// `apiVersion` of the config (`builtin` for kustomization fields).
    pub api_version: String,
    /// `kind` of the config.
    pub kind: String,
    /// `metadata.name` of the config.
    pub name: String,
    /// `metadata.namespace` of the config.
    pub namespace: String,
}

/// kustomize's `resource.Origin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// File path relative to the build root.
    pub path: String,
    /// Remote repository (never set here: remote bases are refused).
    pub repo: String,
    /// Ref of the remote repository.
    pub git_ref: String,
    /// The kustomization or config file that configured the generator or transformer.
    pub configured_in: String,
    /// The generator or transformer config.
    pub configured_by: Option<ConfiguredBy>,
}

/// `filepath.Join` of two slash paths, cleaned lexically.
pub fn join(base: &str, rel: &str) -> String {
    let joined = if base.is_empty() {
        rel.to_string()
    } else if rel.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{rel}")
    };
    clean(&joined)
}

fn clean(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let body = out.join("/");
    match (abs, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

fn scalar(s: &str) -> String {
    let text = crate::yaml::emit(&Value::String(s.to_string()));
    text.trim_end_matches('\n').to_string()
}

impl Origin {
    /// The origin of an entry `rel` of a kustomization whose own origin is `self`.
    pub fn append(&self, rel: &str) -> Origin {
        Origin {
            path: join(&self.path, rel),
            ..self.clone()
        }
    }

    /// The origin of a builtin generator or transformer configured by the kustomization file
    /// `file_name` of the kustomization whose origin is `self`.
    pub fn builtin(&self, file_name: &str, kind: &str) -> Origin {
        Origin {
            repo: self.repo.clone(),
            git_ref: self.git_ref.clone(),
            configured_in: join(&self.path, file_name),
            configured_by: Some(ConfiguredBy {
                api_version: "builtin".to_string(),
                kind: kind.to_string(),
                ..ConfiguredBy::default()
            }),
            ..Origin::default()
        }
    }

    /// The origin of what a generator or transformer config (itself a resource with an origin
    /// annotation) makes or changes; `None` when the config carries no origin.
    pub fn of_config(config: &Value) -> Option<Origin> {
        let own = Origin::from_annotation(annotation(config, ORIGIN)?)?;
        let s = |p: &[&str]| {
            let mut cur = config;
            for k in p {
                cur = cur.get(k)?;
            }
            cur.as_str().map(str::to_string)
        };
        Some(Origin {
            repo: own.repo,
            git_ref: own.git_ref,
            configured_in: own.path,
            configured_by: Some(ConfiguredBy {
                api_version: s(&["apiVersion"]).unwrap_or_default(),
                kind: s(&["kind"]).unwrap_or_default(),
                name: s(&["metadata", "name"]).unwrap_or_default(),
                namespace: s(&["metadata", "namespace"]).unwrap_or_default(),
            }),
            path: String::new(),
        })
    }

    fn from_value(v: &Value) -> Option<Origin> {
        let m = v.as_object()?;
        let s = |m: &Map, k: &str| {
            m.get(k)
                .map(super::kustomization::scalar_text)
                .unwrap_or_default()
        };
        let by = m.get("configuredBy").and_then(Value::as_object).map(|b| {
            let meta = b.get("metadata").and_then(Value::as_object);
            let pick = |k: &str| {
                let v = s(b, k);
                if v.is_empty() {
                    meta.map(|m| s(m, k)).unwrap_or_default()
                } else {
                    v
                }
            };
            ConfiguredBy {
                api_version: s(b, "apiVersion"),
                kind: s(b, "kind"),
                name: pick("name"),
                namespace: pick("namespace"),
            }
        });
        Some(Origin {
            path: s(m, "path"),
            repo: s(m, "repo"),
            git_ref: s(m, "ref"),
            configured_in: s(m, "configuredIn"),
            configured_by: by.filter(|b| *b != ConfiguredBy::default()),
        })
    }

    /// Reads an origin annotation's text.
    pub fn from_annotation(text: &str) -> Option<Origin> {
        let doc = crate::yaml::parse_document(text).ok()?;
        Origin::from_value(&doc.value)
    }

    /// The YAML lines of this origin (kustomize's field order, empty fields left out), each
    /// line prefixed by `first` for the first line and `rest` for the others.
    fn write(&self, out: &mut String, first: &str, rest: &str) {
        let mut lines: Vec<String> = Vec::new();
        for (k, v) in [
            ("path", &self.path),
            ("repo", &self.repo),
            ("ref", &self.git_ref),
            ("configuredIn", &self.configured_in),
        ] {
            if !v.is_empty() {
                lines.push(format!("{k}: {}", scalar(v)));
            }
        }
        if let Some(b) = &self.configured_by {
            lines.push("configuredBy:".to_string());
            for (k, v) in [
                ("apiVersion", &b.api_version),
                ("kind", &b.kind),
                ("name", &b.name),
                ("namespace", &b.namespace),
            ] {
                if !v.is_empty() {
                    lines.push(format!("  {k}: {}", scalar(v)));
                }
            }
        }
        if lines.is_empty() {
            out.push_str(first);
            out.push_str("{}\n");
            return;
        }
        for (i, l) in lines.iter().enumerate() {
            out.push_str(if i == 0 { first } else { rest });
            out.push_str(l);
            out.push('\n');
        }
    }

    /// The annotation text.
    pub fn to_annotation(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, "", "");
        out
    }
}

fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

fn annotations_mut(v: &mut Value) -> Option<&mut Map> {
    let Value::Object(top) = v else { return None };
    let meta = top
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(meta) = meta else {
        return None;
    };
    let a = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !a.is_object() {
        *a = Value::Object(Map::new());
    }
    a.as_object_mut()
}

fn set_annotation(v: &mut Value, key: &str, text: String) {
    if let Some(a) = annotations_mut(v) {
        a.insert(key.to_string(), Value::String(text));
    }
}

/// Sets the origin annotation of resources read from a file (replacing any).
pub fn annotate_file(list: &mut [KRes], origin: &Origin) {
    let text = origin.to_annotation();
    for r in list {
        set_annotation(&mut r.res.value, ORIGIN, text.clone());
    }
}

/// Sets the origin annotation of generated resources that have none.
pub fn add_origin(v: &mut Value, origin: &Origin) {
    if annotation(v, ORIGIN).is_none() {
        set_annotation(v, ORIGIN, origin.to_annotation());
    }
}

/// Records that a transformer ran over the whole list: resources without an origin take the
/// transformer's as their origin (it made them), the others list it in their transformations.
pub fn add_transformation(list: &mut [KRes], origin: &Origin) {
    let own = origin.to_annotation();
    let mut item = String::new();
    origin.write(&mut item, "- ", "  ");
    for r in list {
        if annotation(&r.res.value, ORIGIN).is_none() {
            set_annotation(&mut r.res.value, ORIGIN, own.clone());
            continue;
        }
        let mut text = match annotation(&r.res.value, TRANSFORMATIONS) {
            Some(old) => normalized_list(old),
            None => String::new(),
        };
        text.push_str(&item);
        set_annotation(&mut r.res.value, TRANSFORMATIONS, text);
    }
}

/// An existing transformations annotation, re-written in kustomize's form.
fn normalized_list(text: &str) -> String {
    let mut out = String::new();
    if let Ok(doc) = crate::yaml::parse_document(text)
        && let Value::Array(items) = doc.value
    {
        for o in items.iter().filter_map(Origin::from_value) {
            o.write(&mut out, "- ", "  ");
        }
    }
    out
}

/// The end of every build: the managed-by label when asked for, then the origin and
/// transformations annotations the root did not ask to keep are removed (as kustomize removes
/// them, also when a resource came with them), and empty annotation maps with them.
pub fn finish(list: &mut [crate::resource::Resource], opts: Options) {
    for r in list {
        if opts.managed_by {
            super::resmap::set_path_str(
                &mut r.value,
                &["metadata", "labels", MANAGED_BY],
                MANAGED_BY_VALUE,
            );
        }
        let Some(Value::Object(meta)) = r.value.get_mut("metadata") else {
            continue;
        };
        if let Some(Value::Object(a)) = meta.get_mut("annotations") {
            if !opts.origin {
                a.remove(ORIGIN);
            }
            if !opts.transformers {
                a.remove(TRANSFORMATIONS);
            }
        }
        // kustomize re-sets the annotations while removing these: an empty map disappears.
        let empty = match meta.get("annotations") {
            Some(Value::Null) => true,
            Some(Value::Object(a)) => a.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if empty {
            meta.remove("annotations");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_go() {
        assert_eq!(join("", "service.yaml"), "service.yaml");
        assert_eq!(join("../base", "x/../a.yaml"), "../base/a.yaml");
        assert_eq!(join("prod", "../base"), "base");
        assert_eq!(join("", "../base"), "../base");
    }

    #[test]
    fn writes_in_kustomize_order() {
        let o = Origin::default().builtin("kustomization.yaml", "PrefixTransformer");
        assert_eq!(
            o.to_annotation(),
            "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: PrefixTransformer\n"
        );
        let back = Origin::from_annotation(&o.to_annotation()).unwrap();
        assert_eq!(back, o);
        let mut item = String::new();
        Origin::default()
            .append("a.yaml")
            .write(&mut item, "- ", "  ");
        assert_eq!(item, "- path: a.yaml\n");
    }
}
