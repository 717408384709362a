//! The build driver: loads kustomizations recursively (resources, components, cycle detection),
//! runs generators and the builtin transformers in kustomize's fixed order, then finishes at the
//! top (hash suffixes, name references, vars, output order).
//!
//! All file reading of the engine happens here; every other module is pure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::fieldspec::{self, FieldSpec, TransformerConfig};
use super::generators::{self, Generated};
use super::kustomization::{self, Kind, Kustomization, Located};
use super::order::Order;
use super::patches::{self, Patch};
use super::resmap::{Behavior, KRes, ResMap, kid, ns_equal};
use super::schema::{self, Schema};
use super::selector::Selector;
use super::transformers::{
    annotations::Annotations, images::Images, labels::Labels, namespace::Namespace,
    prefix_suffix::PrefixSuffix, replicas::Replicas, value_add,
};
use super::{Build, KustomizeError, nameref, replacements, vars};
use crate::resource::{Origin, Resource, parse_resources, parse_resources_untracked};

/// What is being accumulated: resources, the merged transformer config, vars and the schema.
struct Acc {
    res: ResMap,
    /// Field specs added by `configurations:` files (the defaults are not copied per level).
    extra: TransformerConfig,
    has_extra: bool,
    vars: Vec<Located<Value>>,
    schema: Option<Arc<Schema>>,
}

impl Acc {
    fn new() -> Self {
        Acc {
            res: ResMap::default(),
            extra: TransformerConfig::default(),
            has_extra: false,
            vars: Vec::new(),
            schema: None,
        }
    }

    /// The defaults plus any `configurations:`.
    fn config(&self) -> std::borrow::Cow<'static, TransformerConfig> {
        if !self.has_extra {
            return std::borrow::Cow::Borrowed(fieldspec::defaults());
        }
        let mut c = fieldspec::defaults().clone();
        c.merge(&self.extra);
        std::borrow::Cow::Owned(c)
    }

    fn schema(&self) -> &Schema {
        match &self.schema {
            Some(s) => s,
            None => schema::builtin(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Root,
    Resource,
    Component,
}

#[derive(Default)]
struct Loader {
    /// Keep per-node source positions of resources (slower; for callers that report findings).
    positions: bool,
    stack: Vec<PathBuf>,
    warnings: Vec<String>,
}

/// Builds `dir`.
pub fn build(dir: &Path, positions: bool) -> Result<Build, KustomizeError> {
    let mut ld = Loader {
        positions,
        ..Loader::default()
    };
    let mut acc = Acc::new();
    let order = ld.accumulate(dir, Expect::Root, &mut acc, None)?;
    // Hash suffixes, then references to the new names, then vars.
    for r in &mut acc.res.list {
        if r.needs_hash {
            let h = generators::hash(&r.res.value);
            let name = format!("{}-{h}", r.res.name());
            r.set_name(&name);
        }
    }
    let cfg = acc.config();
    nameref::fix(&mut acc.res, &cfg.name_reference)?;
    vars::resolve(&mut acc.res, &acc.vars, &cfg.var_reference)?;
    let mut list = acc.res.list;
    order.unwrap_or_default().sort(&mut list);
    Ok(Build {
        resources: list.into_iter().map(|r| r.res).collect(),
        warnings: ld.warnings,
    })
}

/// `dir/rel` with `.` and `..` resolved lexically, so messages name `overlays/base/x.yaml`
/// rather than `overlays/staging/../base/x.yaml`.
fn join_clean(dir: &Path, rel: &str) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in dir.join(rel).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                if matches!(last, Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("github.com/")
        || s.starts_with("git@")
        || s.starts_with("gitlab.com/")
        || s.starts_with("bitbucket.org/")
}

fn read_bytes(
    path: &Path,
    at: &str,
    what: &'static str,
    raw: &str,
) -> Result<Vec<u8>, KustomizeError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            KustomizeError::Missing {
                location: at.to_string(),
                what,
                path: raw.to_string(),
            }
        } else {
            KustomizeError::Io {
                path: path.to_path_buf(),
                cause: source,
            }
        }
    })
}

fn read_text(
    path: &Path,
    at: &str,
    what: &'static str,
    raw: &str,
) -> Result<String, KustomizeError> {
    let bytes = read_bytes(path, at, what, raw)?;
    String::from_utf8(bytes)
        .map_err(|_| KustomizeError::invalid(at, format!("{} is not UTF-8", path.display())))
}

impl Loader {
    /// Accumulates the kustomization in `dir` into `acc`. Returns its `sortOptions`.
    fn accumulate(
        &mut self,
        dir: &Path,
        expect: Expect,
        acc: &mut Acc,
        from: Option<&str>,
    ) -> Result<Option<Order>, KustomizeError> {
        let canon = dir.canonicalize().map_err(|source| match from {
            Some(at) => KustomizeError::Missing {
                location: at.to_string(),
                what: "directory",
                path: dir.display().to_string(),
            },
            None => KustomizeError::Io {
                path: dir.to_path_buf(),
                cause: source,
            },
        })?;
        if let Some(i) = self.stack.iter().position(|p| *p == canon) {
            let mut chain: Vec<String> = self.stack[i..]
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            chain.push(canon.display().to_string());
            return Err(KustomizeError::Cycle {
                chain: chain.join(" -> "),
            });
        }
        let file =
            kustomization::find_file(dir).ok_or_else(|| KustomizeError::NoKustomization {
                dir: dir.to_path_buf(),
            })?;
        let text = read_text(
            &file,
            &file.display().to_string(),
            "kustomization",
            &file.display().to_string(),
        )?;
        let k = kustomization::parse(&text, &file)?;
        match (expect, k.kind) {
            (Expect::Component, Kind::Kustomization) => {
                return Err(KustomizeError::invalid(
                    file.display().to_string(),
                    "expected kind Component for a `components` entry",
                ));
            }
            (Expect::Root | Expect::Resource, Kind::Component) if expect == Expect::Resource => {
                return Err(KustomizeError::invalid(
                    file.display().to_string(),
                    "a Component may only be used in `components`, not in `resources`",
                ));
            }
            _ => {}
        }
        self.warnings.extend(k.warnings.iter().cloned());
        self.stack.push(canon);
        let result = self.run(&k, acc);
        self.stack.pop();
        result?;
        match (&k.sort_options, expect) {
            (Some(s), Expect::Root) => Ok(Some(Order::from_value(&s.value, &s.at)?)),
            _ => Ok(None),
        }
    }

    fn run(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), KustomizeError> {
        let dir = &k.dir;
        for c in &k.configurations {
            let path = join_clean(dir, &c.value);
            let text = read_text(&path, &c.at, "configuration", &c.value)?;
            let doc =
                crate::yaml::parse_document(&text).map_err(|source| KustomizeError::Yaml {
                    file: path.clone(),
                    cause: source,
                })?;
            acc.has_extra = true;
            acc.extra
                .merge_value(&doc.value)
                .map_err(|m| KustomizeError::invalid(path.display().to_string(), m))?;
        }
        if let Some(o) = &k.openapi {
            let path = join_clean(dir, &o.value);
            let text = read_text(&path, &o.at, "openapi schema", &o.value)?;
            let doc =
                crate::yaml::parse_document(&text).map_err(|source| KustomizeError::Yaml {
                    file: path.clone(),
                    cause: source,
                })?;
            let mut s = acc.schema().clone();
            s.add_openapi(&doc.value);
            acc.schema = Some(Arc::new(s));
        }
        // Collect every resource entry first and register them in one pass (linear time).
        // Directories are built in order; files are parsed in parallel and spliced back in at
        // their position.
        let mut batch = Vec::new();
        let mut files = Vec::new();
        for r in &k.resources {
            self.add_resource(dir, r, acc, &mut batch, &mut files)?;
        }
        let batch = splice(batch, parse_files(files, self.positions)?);
        acc.res.append_all(batch)?;
        for c in &k.components {
            if is_remote(&c.value) {
                return Err(KustomizeError::unsupported(
                    &c.at,
                    format!("remote component {:?}", c.value),
                ));
            }
            let path = join_clean(dir, &c.value);
            if !path.is_dir() {
                return Err(KustomizeError::Missing {
                    location: c.at.clone(),
                    what: "component",
                    path: c.value.clone(),
                });
            }
            self.accumulate(&path, Expect::Component, acc, Some(&c.at))?;
        }
        self.generate(k, acc)?;
        if let Some(g) = k.generators.first() {
            return Err(KustomizeError::unsupported(
                &g.at,
                format!(
                    "`generators` plugins ({:?}) in {}",
                    g.value,
                    k.file.display()
                ),
            ));
        }
        self.transform(k, acc)?;
        for t in &k.transformers {
            self.plugin_transformers(k, t, acc)?;
        }
        acc.vars.extend(k.vars.iter().cloned());
        Ok(())
    }

    fn add_resource(
        &mut self,
        dir: &Path,
        r: &Located<String>,
        acc: &mut Acc,
        batch: &mut Vec<KRes>,
        files: &mut Vec<PendingFile>,
    ) -> Result<(), KustomizeError> {
        if is_remote(&r.value) {
            return Err(KustomizeError::unsupported(
                &r.at,
                format!("remote resource {:?}", r.value),
            ));
        }
        let path = join_clean(dir, &r.value);
        if path.is_dir() {
            let mut sub = Acc::new();
            sub.schema = acc.schema.clone();
            self.accumulate(&path, Expect::Resource, &mut sub, Some(&r.at))?;
            batch.extend(sub.res.list);
            if sub.has_extra {
                acc.extra.merge(&sub.extra);
                acc.has_extra = true;
            }
            acc.vars.extend(sub.vars);
            if sub.schema.is_some() && acc.schema.is_none() {
                acc.schema = sub.schema;
            }
            return Ok(());
        }
        files.push((batch.len(), path, r.clone()));
        Ok(())
    }

    fn generate(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), KustomizeError> {
        let dir = k.dir.clone();
        for (list, secret) in [
            (&k.config_map_generator, false),
            (&k.secret_generator, true),
        ] {
            for g in list {
                let at = g.at.clone();
                let read = |p: &str| -> Result<Vec<u8>, KustomizeError> {
                    if is_remote(p) {
                        return Err(KustomizeError::unsupported(
                            &at,
                            format!("remote file {p:?}"),
                        ));
                    }
                    read_bytes(&join_clean(&dir, p), &at, "file", p)
                };
                let made =
                    generators::generate(&g.value, secret, &k.generator_options, &g.at, &read)?;
                add_generated(acc, made, k, &g.at)?;
            }
        }
        Ok(())
    }

    fn load_patch(
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

    fn transform(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), KustomizeError> {
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
            for key in e.value.options.keys() {
                if key != "allowNameChange" && key != "allowKindChange" {
                    return Err(KustomizeError::invalid(
                        &e.at,
                        format!("unknown patch option `{key}`"),
                    ));
                }
                if e.value.options[key] {
                    return Err(KustomizeError::unsupported(
                        &e.at,
                        format!("patch option `{key}: true` in {}", k.file.display()),
                    ));
                }
            }
            let patch = self.load_patch(k, e)?;
            let schema = acc.schema.clone();
            let schema: &Schema = schema.as_deref().unwrap_or_else(|| schema::builtin());
            patches::apply(
                &mut acc.res,
                &patch,
                e.value.target.as_ref(),
                &e.at,
                schema,
                false,
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
            let mut fields: Vec<FieldSpec> = if l.value.include_selectors {
                cfg.common_labels.clone()
            } else {
                let mut f = Vec::new();
                if l.value.include_templates {
                    f.extend(cfg.template_labels.iter().cloned());
                }
                f.push(FieldSpec::new("metadata/labels", "", "", "", true));
                f
            };
            fields.extend(
                l.value
                    .field_specs()
                    .map_err(|m| KustomizeError::invalid(&l.at, m))?,
            );
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

    fn plugin_transformers(
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
                    (Some(p), _) => read_text(&join_clean(&k.dir, p), at, "patch", p)?,
                    (None, Some(t)) => t.to_string(),
                    _ => {
                        return Err(KustomizeError::invalid(
                            at,
                            "PatchTransformer needs `path` or `patch`",
                        ));
                    }
                };
                let patch = patches::parse(&text, at)?;
                let schema = acc.schema.clone();
                let schema: &Schema = schema.as_deref().unwrap_or_else(|| schema::builtin());
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

/// A resource file waiting to be parsed: where its resources go in the batch, its path, entry.
type PendingFile = (usize, PathBuf, Located<String>);

/// Parsed files: batch position and resources.
type Parsed = Vec<(usize, Vec<KRes>)>;

fn parse_file(
    path: &Path,
    r: &Located<String>,
    positions: bool,
) -> Result<Vec<KRes>, KustomizeError> {
    let text = read_text(path, &r.at, "resource", &r.value)?;
    let parsed = if positions {
        parse_resources(&text, path)
    } else {
        parse_resources_untracked(&text, path)
    };
    let list = parsed.map_err(|e| KustomizeError::Yaml {
        file: e.file,
        cause: e.source,
    })?;
    for res in &list {
        if res.kind() == "Kustomization" || res.kind() == "Component" {
            return Err(KustomizeError::invalid(
                &r.at,
                format!(
                    "{} is a kustomization file, not a resource: list its directory",
                    r.value
                ),
            ));
        }
        if !res.value.is_object() {
            return Err(KustomizeError::invalid(
                res.origin.describe(""),
                "a resource must be a mapping",
            ));
        }
    }
    Ok(list.into_iter().map(KRes::new).collect())
}

/// Parses resource files on all cores; results keep the input order, the first error wins.
fn parse_files(files: Vec<PendingFile>, positions: bool) -> Result<Parsed, KustomizeError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if files.len() < 8 || threads < 2 {
        return files
            .into_iter()
            .map(|(at, path, r)| parse_file(&path, &r, positions).map(|l| (at, l)))
            .collect();
    }
    let chunk = files.len().div_ceil(threads);
    let results: Vec<Result<Parsed, KustomizeError>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(at, path, r)| parse_file(path, r, positions).map(|l| (*at, l)))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(KustomizeError::invalid(
                        "rollout",
                        "internal error: a parser thread panicked; please report a bug",
                    ))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(files.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// Inserts parsed files into the batch at their recorded positions (positions are in order).
fn splice(batch: Vec<KRes>, parsed: Parsed) -> Vec<KRes> {
    if parsed.is_empty() {
        return batch;
    }
    let total = batch.len() + parsed.iter().map(|p| p.1.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    let mut rest = batch.into_iter();
    let mut taken = 0;
    for (at, list) in parsed {
        while taken < at {
            if let Some(x) = rest.next() {
                out.push(x);
            }
            taken += 1;
        }
        out.extend(list);
    }
    out.extend(rest);
    out
}

fn add_generated(
    acc: &mut Acc,
    g: Generated,
    k: &Kustomization,
    at: &str,
) -> Result<(), KustomizeError> {
    let origin = Origin {
        file: k.file.clone(),
        ..Default::default()
    };
    let mut new = KRes::new(Resource::new(g.value, origin));
    new.needs_hash = g.needs_hash;
    new.behavior = Some(g.behavior);
    let kind = new.res.kind().to_string();
    let name = new.res.name().to_string();
    let ns = new.res.namespace().to_string();
    let existing = acc.res.list.iter().position(|r| {
        r.res.kind() == kind
            && r.res.gvk().group.is_empty()
            && r.had_name(&name)
            && (ns_equal(r.res.namespace(), &ns) || ns_equal(r.org_namespace(), &ns))
    });
    match (g.behavior, existing) {
        (Behavior::Create, None) => acc.res.append(new),
        (Behavior::Create, Some(i)) => Err(KustomizeError::IdConflict {
            location: at.to_string(),
            id: kid(&new.id()),
            first: acc.res.list[i].location(""),
        }),
        (Behavior::Merge | Behavior::Replace, None) => Err(KustomizeError::invalid(
            at,
            format!(
                "id {} does not exist; cannot merge or replace",
                kid(&new.id())
            ),
        )),
        (b, Some(i)) => {
            let old = acc.res.list[i].clone();
            let nv = &mut new.res.value;
            for key in ["labels", "annotations"] {
                let mut merged = old
                    .res
                    .value
                    .get("metadata")
                    .and_then(|m| m.get(key))
                    .cloned()
                    .unwrap_or(Value::Null);
                if let Some(Value::Object(n)) = nv.get("metadata").and_then(|m| m.get(key)) {
                    if !merged.is_object() {
                        merged = Value::Object(Default::default());
                    }
                    if let Value::Object(m) = &mut merged {
                        for (k2, v2) in n {
                            m.insert(k2.clone(), v2.clone());
                        }
                    }
                }
                if let (Value::Object(_), Some(Value::Object(meta))) =
                    (&merged, nv.get_mut("metadata"))
                {
                    meta.insert(key.to_string(), merged);
                }
            }
            if b == Behavior::Merge {
                for key in ["data", "binaryData"] {
                    let mut merged = old.res.value.get(key).cloned().unwrap_or(Value::Null);
                    if let Some(Value::Object(n)) = nv.get(key) {
                        if !merged.is_object() {
                            merged = Value::Object(Default::default());
                        }
                        if let Value::Object(m) = &mut merged {
                            for (k2, v2) in n {
                                m.insert(k2.clone(), v2.clone());
                            }
                        }
                    }
                    if let (Value::Object(_), Value::Object(top)) = (&merged, &mut *nv) {
                        top.insert(key.to_string(), merged);
                    }
                }
            }
            if let Value::Object(meta) = &mut nv["metadata"] {
                meta.insert("name".into(), Value::String(old.res.name().to_string()));
                match old
                    .res
                    .value
                    .get("metadata")
                    .and_then(|m| m.get("namespace"))
                {
                    Some(ns) => {
                        meta.insert("namespace".into(), ns.clone());
                    }
                    None => {
                        meta.remove("namespace");
                    }
                }
            }
            // kustomize keeps the original generator's options (hash or not).
            new.needs_hash = old.needs_hash;
            new.prev = old.prev.clone();
            new.prefixes = old.prefixes.clone();
            new.suffixes = old.suffixes.clone();
            new.res.origin = old.res.origin.clone();
            acc.res.list[i] = new;
            Ok(())
        }
    }
}
