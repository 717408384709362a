//! The builtin transformer pipeline of one kustomization, in kustomize's fixed order:
//! patchesStrategicMerge, patches, namespace, prefix/suffix, labels, annotations,
//! patchesJson6902, replicas, images, replacements. Reads patch and replacement files.

use serde_json::Value;

use super::KustomizeError;
use super::fieldspec::{self, FieldSpec};
use super::kustomization::{self, Kustomization, Located};
use super::loader::{Acc, Loader, join_clean, read_text};
use super::patches::{self, Patch};
use super::replacements;
use super::schema::{self, Schema};
use super::transformers::{
    annotations::Annotations, images::Images, labels::Labels, namespace::Namespace,
    prefix_suffix::PrefixSuffix, replicas::Replicas,
};

impl Loader {
    pub(super) fn load_patch(
        &self,
        k: &Kustomization,
        e: &Located<kustomization::PatchEntry>,
    ) -> Result<Patch, KustomizeError> {
        match (&e.value.path, &e.value.patch) {
            (Some(p), None) => {
                let text = read_text(&join_clean(&k.dir, p), &e.at, "patch", p)?;
                patches::parse(&text, &format!("{} ({})", e.at, p))
            }
            (None, Some(text)) => patches::parse(text, &e.at),
            (Some(_), Some(_)) => Err(KustomizeError::invalid(
                &e.at,
                "a patch has both `path` and `patch`",
            )),
            (None, None) => Err(KustomizeError::invalid(
                &e.at,
                "a patch needs `path` or `patch`",
            )),
        }
    }

    pub(super) fn transform(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        // 1. patchesStrategicMerge
        for p in &k.patches_strategic_merge {
            let (text, at) = if p.value.contains('\n')
                || !join_clean(&k.dir, &p.value).is_file() && p.value.contains(": ")
            {
                (p.value.clone(), p.at.clone())
            } else {
                (
                    read_text(&join_clean(&k.dir, &p.value), &p.at, "patch", &p.value)?,
                    format!("{} ({})", p.at, p.value),
                )
            };
            let patch = patches::parse(&text, &at)?;
            let schema = acc.schema.clone();
            let schema: &Schema = schema.as_deref().unwrap_or_else(|| schema::builtin());
            patches::apply(&mut acc.res, &patch, None, &at, schema, true)?;
        }
        // 2. patches
        for e in &k.patches {
            if let Some(key) = e
                .value
                .options
                .keys()
                .find(|key| *key != "allowNameChange" && *key != "allowKindChange")
            {
                return Err(KustomizeError::invalid(
                    &e.at,
                    format!("unknown patch option `{key}`"),
                ));
            }
            let option = |key: &str| e.value.options.get(key).copied().unwrap_or(false);
            let renames = patches::Renames {
                name: option("allowNameChange"),
                kind: option("allowKindChange"),
            };
            let patch = self.load_patch(k, e)?;
            let schema = acc.schema.clone();
            let schema: &Schema = schema.as_deref().unwrap_or_else(|| schema::builtin());
            patches::apply_with(
                &mut acc.res,
                &patch,
                e.value.target.as_ref(),
                &e.at,
                schema,
                false,
                renames,
            )?;
        }
        let cfg = acc.config();
        // 3. namespace
        if let Some(ns) = k.namespace.as_deref().filter(|s| !s.is_empty()) {
            Namespace {
                namespace: ns.to_string(),
                fields: cfg.namespace.clone(),
            }
            .apply(&mut acc.res)?;
        }
        // 4. prefix / suffix
        let prefix = k.name_prefix.clone().unwrap_or_default();
        let suffix = k.name_suffix.clone().unwrap_or_default();
        if !prefix.is_empty() || !suffix.is_empty() {
            PrefixSuffix {
                prefix,
                suffix,
                prefix_fields: cfg.name_prefix.clone(),
                suffix_fields: cfg.name_suffix.clone(),
            }
            .apply(&mut acc.res)?;
        }
        // 5. labels
        if !k.common_labels.is_empty() {
            Labels {
                pairs: k.common_labels.clone(),
                fields: cfg.common_labels.clone(),
            }
            .apply(&mut acc.res)?;
        }
        for l in &k.labels {
            // kustomize's order: the entry's own fields, the configured `labels` fields, then
            // selectors, or templates and metadata; a later generic spec for a path already
            // covered is dropped (its merge rule).
            let mut fields: Vec<FieldSpec> = l
                .value
                .field_specs()
                .map_err(|m| KustomizeError::invalid(&l.at, m))?;
            let mut add = |list: &[FieldSpec]| {
                for fs in list {
                    fieldspec::merge_one(&mut fields, fs.clone());
                }
            };
            add(&cfg.labels);
            if l.value.include_selectors {
                add(&cfg.common_labels);
            } else {
                if l.value.include_templates {
                    add(&cfg.template_labels);
                }
                add(&[FieldSpec::new("metadata/labels", "", "", "", true)]);
            }
            Labels {
                pairs: l.value.pairs.clone(),
                fields,
            }
            .apply(&mut acc.res)?;
        }
        // 6. annotations
        if !k.common_annotations.is_empty() {
            Annotations {
                pairs: k.common_annotations.clone(),
                fields: cfg.common_annotations.clone(),
            }
            .apply(&mut acc.res)?;
        }
        // 7. patchesJson6902
        for e in &k.patches_json6902 {
            let patch = self.load_patch(k, e)?;
            let Some(target) = e.value.target.as_ref() else {
                return Err(KustomizeError::invalid(
                    &e.at,
                    "a patchesJson6902 entry needs a `target`",
                ));
            };
            let schema = acc.schema.clone();
            let schema: &Schema = schema.as_deref().unwrap_or_else(|| schema::builtin());
            patches::apply(&mut acc.res, &patch, Some(target), &e.at, schema, false)?;
        }
        // 8. replicas
        if !k.replicas.is_empty() {
            Replicas {
                entries: k.replicas.clone(),
                fields: cfg.replicas.clone(),
            }
            .apply(&mut acc.res)?;
        }
        // 9. images
        if !k.images.is_empty() {
            Images {
                images: k.images.clone(),
                fields: cfg.images.clone(),
            }
            .apply(&mut acc.res)?;
        }
        // 10. replacements
        let mut reps = Vec::new();
        for r in &k.replacements {
            if let Some(p) = r.value.get("path").and_then(Value::as_str) {
                let path = join_clean(&k.dir, p);
                let text = read_text(&path, &r.at, "replacement", p)?;
                for doc in
                    crate::yaml::parse_stream(&text).map_err(|source| KustomizeError::Yaml {
                        file: path.clone(),
                        cause: source,
                    })?
                {
                    match doc.value {
                        Value::Array(items) => {
                            reps.extend(items.into_iter().map(|value| Located {
                                value,
                                at: path.display().to_string(),
                            }))
                        }
                        Value::Null => {}
                        value => reps.push(Located {
                            value,
                            at: path.display().to_string(),
                        }),
                    }
                }
            } else {
                reps.push(r.clone());
            }
        }
        replacements::apply(&mut acc.res, &reps)?;
        Ok(())
    }
}
