//! `transformers:` entries: builtin transformer configs (files, directories or inline YAML) run
//! after the builtin pipeline. Non-builtin plugins are an error naming the kind and file.

use serde_json::Value;

use super::KustomizeError;
use super::fieldspec::FieldSpec;
use super::kustomization::{self, Kustomization, Located};
use super::loader::{Acc, Expect, Loader, is_remote, join_clean, read_text};
use super::patches;
use super::selector::Selector;
use super::transformers::{
    annotations::Annotations, images::Images, labels::Labels, namespace::Namespace,
    prefix_suffix::PrefixSuffix, replicas::Replicas, value_add,
};
use crate::resource::parse_resources;

impl Loader {
    pub(super) fn plugin_transformers(
        &mut self,
        k: &Kustomization,
        t: &Located<String>,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        if is_remote(&t.value) {
            return Err(KustomizeError::unsupported(
                &t.at,
                format!("remote transformer {:?}", t.value),
            ));
        }
        let path = join_clean(&k.dir, &t.value);
        let configs: Vec<(Value, String)> = if path.is_dir() {
            let mut sub = Acc::new();
            self.accumulate(&path, Expect::Resource, &mut sub, Some(&t.at))?;
            sub.res
                .list
                .into_iter()
                .map(|r| {
                    let at = r.location("");
                    (r.res.value, at)
                })
                .collect()
        } else if path.is_file() {
            let path = self.file_in_root(&k.dir, &t.value, &t.at)?;
            let text = read_text(&path, &t.at, "transformer", &t.value)?;
            parse_resources(&text, &path)
                .map_err(|e| KustomizeError::Yaml {
                    file: e.file,
                    cause: e.source,
                })?
                .into_iter()
                .map(|r| {
                    let at = r.origin.describe("");
                    (r.value, at)
                })
                .collect()
        } else if t.value.contains('\n') {
            parse_resources(&t.value, &k.file)
                .map_err(|e| KustomizeError::Yaml {
                    file: e.file,
                    cause: e.source,
                })?
                .into_iter()
                .map(|r| (r.value, t.at.clone()))
                .collect()
        } else {
            return Err(KustomizeError::Missing {
                location: t.at.clone(),
                what: "transformer",
                path: t.value.clone(),
            });
        };
        for (cfg, at) in configs {
            self.run_plugin(k, &cfg, &at, acc)?;
        }
        Ok(())
    }

    fn run_plugin(
        &mut self,
        k: &Kustomization,
        cfg: &Value,
        at: &str,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        let kind = cfg.get("kind").and_then(Value::as_str).unwrap_or("");
        let api = cfg.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let specs = |key: &str| -> Result<Vec<FieldSpec>, KustomizeError> {
            cfg.get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|v| FieldSpec::from_value(v).map_err(|m| KustomizeError::invalid(at, m)))
                .collect()
        };
        let map = |key: &str| -> std::collections::BTreeMap<String, String> {
            cfg.get(key)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), kustomization::scalar_text(v)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let s = |key: &str| {
            cfg.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if api != "builtin" && !api.is_empty() && !matches!(kind, "ValueAddTransformer") {
            return Err(KustomizeError::unsupported(
                at,
                format!(
                    "transformer plugin {api}/{kind} (only builtin transformers are supported)"
                ),
            ));
        }
        let allowed: &[&str] = match kind {
            "AnnotationsTransformer" => &["annotations", "fieldSpecs"],
            "LabelTransformer" => &["labels", "fieldSpecs"],
            "NamespaceTransformer" => &["fieldSpecs"],
            "PrefixTransformer" => &["prefix", "fieldSpecs"],
            "SuffixTransformer" => &["suffix", "fieldSpecs"],
            "PrefixSuffixTransformer" => &["prefix", "suffix", "fieldSpecs"],
            "ImageTagTransformer" => &["imageTag", "fieldSpecs"],
            "ReplicaCountTransformer" => &["replica", "fieldSpecs"],
            "PatchTransformer" => &["path", "patch", "target"],
            "ValueAddTransformer" => &["value", "targets"],
            _ => &[],
        };
        if let Some(extra) = cfg.as_object().and_then(|m| {
            m.keys().find(|k| {
                !matches!(k.as_str(), "apiVersion" | "kind" | "metadata")
                    && !allowed.contains(&k.as_str())
            })
        }) && !allowed.is_empty()
        {
            return Err(KustomizeError::unsupported(
                at,
                format!(
                    "field `{extra}` of builtin {kind} (in {})",
                    k.file.display()
                ),
            ));
        }
        match kind {
            "AnnotationsTransformer" => Annotations {
                pairs: map("annotations"),
                fields: specs("fieldSpecs")?,
            }
            .apply(&mut acc.res),
            "LabelTransformer" => Labels {
                pairs: map("labels"),
                fields: specs("fieldSpecs")?,
            }
            .apply(&mut acc.res),
            "NamespaceTransformer" => {
                let ns = cfg
                    .get("metadata")
                    .and_then(|m| m.get("namespace"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                Namespace {
                    namespace: ns,
                    fields: specs("fieldSpecs")?,
                }
                .apply(&mut acc.res)
            }
            "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => PrefixSuffix {
                prefix: s("prefix"),
                suffix: s("suffix"),
                prefix_fields: specs("fieldSpecs")?,
                suffix_fields: specs("fieldSpecs")?,
            }
            .apply(&mut acc.res),
            "ImageTagTransformer" => {
                let img: kustomization::ImageEntry =
                    serde_json::from_value(cfg.get("imageTag").cloned().unwrap_or(Value::Null))
                        .map_err(|e| {
                            KustomizeError::invalid(at, format!("invalid imageTag: {e}"))
                        })?;
                Images {
                    images: vec![img],
                    fields: specs("fieldSpecs")?,
                }
                .apply(&mut acc.res)
            }
            "ReplicaCountTransformer" => {
                let rep: kustomization::ReplicaEntry =
                    serde_json::from_value(cfg.get("replica").cloned().unwrap_or(Value::Null))
                        .map_err(|e| {
                            KustomizeError::invalid(at, format!("invalid replica: {e}"))
                        })?;
                Replicas {
                    entries: vec![rep],
                    fields: specs("fieldSpecs")?,
                }
                .apply(&mut acc.res)
            }
            "PatchTransformer" => {
                let target: Option<Selector> = match cfg.get("target") {
                    Some(t) => Some(serde_json::from_value(t.clone()).map_err(|e| {
                        KustomizeError::invalid(at, format!("invalid target: {e}"))
                    })?),
                    None => None,
                };
                let text = match (
                    cfg.get("path").and_then(Value::as_str),
                    cfg.get("patch").and_then(Value::as_str),
                ) {
                    (Some(p), _) => read_text(&self.file_in_root(&k.dir, p, at)?, at, "patch", p)?,
                    (None, Some(t)) => t.to_string(),
                    _ => {
                        return Err(KustomizeError::invalid(
                            at,
                            "PatchTransformer needs `path` or `patch`",
                        ));
                    }
                };
                let patch = patches::parse(&text, at)?;
                let schema = self.schema();
                patches::apply(&mut acc.res, &patch, target.as_ref(), at, schema, false)
            }
            "ValueAddTransformer" => {
                let mut value = s("value");
                if value.is_empty() {
                    value = k
                        .dir
                        .canonicalize()
                        .ok()
                        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .unwrap_or_default();
                }
                let mut targets = Vec::new();
                for t in cfg
                    .get("targets")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    let selector: Option<Selector> = match t.get("selector") {
                        Some(v) => Some(serde_json::from_value(v.clone()).map_err(|e| {
                            KustomizeError::invalid(at, format!("invalid selector: {e}"))
                        })?),
                        None => None,
                    };
                    targets.push(value_add::Target {
                        selector,
                        field_path: t
                            .get("fieldPath")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        file_path_position: t
                            .get("filePathPosition")
                            .and_then(Value::as_u64)
                            .unwrap_or(0) as usize,
                    });
                }
                value_add::ValueAdd { value, targets }.apply(&mut acc.res, at)
            }
            other => Err(KustomizeError::unsupported(
                at,
                format!(
                    "transformer kind {other:?} in `transformers` of {}",
                    k.file.display()
                ),
            )),
        }
    }
}
