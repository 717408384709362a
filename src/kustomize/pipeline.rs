//! The builtin transformer pipeline of one kustomization, in kustomize's fixed order:
//! patchesStrategicMerge, patches, namespace, prefix/suffix, labels, annotations,
//! patchesJson6902, replicas, images, replacements. Reads patch and replacement files. With
//! `buildMetadata`, each transformer is recorded on the resources as kustomize does.

use crate::value::Value;

use super::KustomizeError;
use super::fieldspec::{self, FieldSpec};
use super::kustomization::{self, Kustomization, Located};
use super::loader::{Acc, Loader, join_clean, read_text};
use super::patches::{self, Patch};
use super::replacements;
use super::transformers::{
    annotations::Annotations, images::Images, labels::Labels, namespace::Namespace,
    prefix_suffix::PrefixSuffix, replicas::Replicas,
};

impl Loader {
    /// Marks a patch as read from `file` so the fields it sets point there, in a build that keeps
    /// positions: only findings read those origins ([`super::provenance`]), and recording them
    /// costs about a tenth of a large render.
    fn read_from(&self, patch: Patch, file: &std::path::Path) -> Patch {
        if self.positions {
            patch.from_file(file)
        } else {
            patch
        }
    }

    /// Parses the text of a patch file, through the shared cache when the build has one.
    fn parse_patch(&self, text: &str, at: &str) -> Result<Patch, KustomizeError> {
        match &self.parse_cache {
            Some(c) => c.get_or_parse_patch(text, |t| patches::parse(t, at)),
            None => patches::parse(text, at),
        }
    }

    pub(super) fn load_patch(
        &self,
        k: &Kustomization,
        e: &Located<kustomization::PatchEntry>,
    ) -> Result<Patch, KustomizeError> {
        match (&e.value.path, &e.value.patch) {
            (Some(p), None) => {
                let file = self.file_in_root(&k.dir, p, &e.at)?;
                let text = read_text(&file, &e.at, "patch", p)?;
                let patch = self.parse_patch(&text, &format!("{} ({})", e.at, p))?;
                Ok(self.read_from(patch, &file))
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
        // 1. patchesStrategicMerge: one transformer for all entries; all of them empty is an error.
        let mut psm = Vec::with_capacity(k.patches_strategic_merge.len());
        for p in &k.patches_strategic_merge {
            let (text, at, file) = if p.value.contains('\n')
                || !join_clean(&k.dir, &p.value).is_file() && p.value.contains(": ")
            {
                (p.value.clone(), p.at.clone(), None)
            } else {
                let file = self.file_in_root(&k.dir, &p.value, &p.at)?;
                (
                    read_text(&file, &p.at, "patch", &p.value)?,
                    format!("{} ({})", p.at, p.value),
                    Some(file),
                )
            };
            let patch = match file {
                Some(_) => self.parse_patch(&text, &at)?,
                None => patches::parse(&text, &at)?,
            };
            let patch = match file {
                Some(f) => self.read_from(patch, &f),
                None => patch,
            };
            psm.push((patch, at));
        }
        if let Some(first) = k.patches_strategic_merge.first()
            && psm.iter().all(|(p, _)| p.is_empty())
        {
            return Err(KustomizeError::invalid(
                &first.at,
                format!(
                    "patchesStrategicMerge: patch is empty (nothing but comments or blank documents in {})",
                    k.patches_strategic_merge
                        .iter()
                        .map(|p| p.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        for (patch, at) in &psm {
            let schema = self.schema();
            patches::apply(&mut acc.res, patch, None, at, schema, true)?;
        }
        if !k.patches_strategic_merge.is_empty() {
            self.note_builtin(k, acc, "PatchStrategicMergeTransformer");
        }
        // 2. patches
        for e in &k.patches {
            let opts = patch_options(&e.value.options, &e.at)?;
            let patch = self.load_patch(k, e)?;
            let schema = self.schema();
            patches::apply_with(
                &mut acc.res,
                &patch,
                e.value.target.as_ref(),
                &e.at,
                schema,
                false,
                opts,
            )?;
            self.note_builtin(k, acc, "PatchTransformer");
        }
        let cfg = acc.config();
        // 3. namespace
        if let Some(ns) = k.namespace.as_deref().filter(|s| !s.is_empty()) {
            Namespace {
                namespace: ns.to_string(),
                fields: cfg.namespace.clone(),
                unset_only: false,
                subjects: Default::default(),
            }
            .apply(&mut acc.res)?;
            self.note_builtin(k, acc, "NamespaceTransformer");
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
            if !k.name_prefix.as_deref().unwrap_or("").is_empty() {
                self.note_builtin(k, acc, "PrefixTransformer");
            }
            if !k.name_suffix.as_deref().unwrap_or("").is_empty() {
                self.note_builtin(k, acc, "SuffixTransformer");
            }
        }
        // 5. labels: each `labels` entry, then `commonLabels` (kustomize runs one transformer for
        // `commonLabels` whenever either field is set).
        for l in &k.labels {
            // As kustomize merges them: the entry's own fields, the configured `labels`, then
            // the selector (or template and metadata) fields.
            let mut fields: Vec<FieldSpec> = l
                .value
                .field_specs()
                .map_err(|m| KustomizeError::invalid(&l.at, m))?;
            // kustomize's merge rule: a later generic spec for a path already covered is dropped.
            let mut add = |more: &[FieldSpec]| {
                for f in more {
                    fieldspec::merge_one(&mut fields, f.clone());
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
            self.note_builtin(k, acc, "LabelTransformer");
        }
        if !k.common_labels.is_empty() {
            Labels {
                pairs: k.common_labels.clone(),
                fields: cfg.common_labels.clone(),
            }
            .apply(&mut acc.res)?;
        }
        if !k.common_labels.is_empty() || !k.labels.is_empty() {
            self.note_builtin(k, acc, "LabelTransformer");
        }
        // 6. annotations
        if !k.common_annotations.is_empty() {
            Annotations {
                pairs: k.common_annotations.clone(),
                fields: cfg.common_annotations.clone(),
            }
            .apply(&mut acc.res)?;
            self.note_builtin(k, acc, "AnnotationsTransformer");
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
            let schema = self.schema();
            patches::apply(&mut acc.res, &patch, Some(target), &e.at, schema, false)?;
            self.note_builtin(k, acc, "PatchJson6902Transformer");
        }
        // 8. replicas
        if !k.replicas.is_empty() {
            Replicas {
                entries: k.replicas.clone(),
                fields: cfg.replicas.clone(),
                at: k.file.display().to_string(),
            }
            .apply(&mut acc.res)?;
            for _ in &k.replicas {
                self.note_builtin(k, acc, "ReplicaCountTransformer");
            }
        }
        // 9. images
        if !k.images.is_empty() {
            Images {
                images: k.images.clone(),
                fields: cfg.images.clone(),
            }
            .apply(&mut acc.res)?;
            for _ in &k.images {
                self.note_builtin(k, acc, "ImageTagTransformer");
            }
        }
        // 10. replacements
        let reps = load_replacements(self, &k.dir, &k.replacements)?;
        replacements::apply(&mut acc.res, &reps)?;
        if !k.replacements.is_empty() {
            self.note_builtin(k, acc, "ReplacementTransformer");
        }
        Ok(())
    }
}

/// `replacements` entries with their `path:` files read (a file holds one replacement or a list).
pub(super) fn load_replacements(
    ld: &Loader,
    dir: &std::path::Path,
    entries: &[Located<Value>],
) -> Result<Vec<Located<Value>>, KustomizeError> {
    let mut reps = Vec::new();
    for r in entries {
        let Some(p) = r.value.get("path").and_then(Value::as_str) else {
            reps.push(r.clone());
            continue;
        };
        let path = ld.file_in_root(dir, p, &r.at)?;
        let text = read_text(&path, &r.at, "replacement", p)?;
        let docs = crate::yaml::parse_stream(&text).map_err(|source| KustomizeError::Yaml {
            file: path.clone(),
            cause: source,
        })?;
        let at = path.display().to_string();
        for doc in docs {
            match doc.value {
                Value::Array(items) => reps.extend(items.into_iter().map(|value| Located {
                    value,
                    at: at.clone(),
                })),
                Value::Null => {}
                value => reps.push(Located {
                    value,
                    at: at.clone(),
                }),
            }
        }
    }
    Ok(reps)
}

/// A `patches` entry's `options`.
pub(super) fn patch_options(
    options: &std::collections::BTreeMap<String, bool>,
    at: &str,
) -> Result<patches::Options, KustomizeError> {
    let mut out = patches::Options::default();
    for (key, on) in options {
        match key.as_str() {
            "allowNameChange" => out.allow_name_change = *on,
            "allowKindChange" => out.allow_kind_change = *on,
            _ => {
                return Err(KustomizeError::invalid(
                    at,
                    format!("unknown patch option `{key}`"),
                ));
            }
        }
    }
    Ok(out)
}
