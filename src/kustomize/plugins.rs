//! `generators:`, `transformers:` and `validators:` entries: kustomize's builtin plugins
//! configured by a file, a directory (a kustomization whose resources are configs) or inline
//! YAML. Inline configs come first, then the paths in order, as in kustomize. Configs are read
//! relative to the kustomization that lists them, and so are the files they name.
//!
//! Every builtin kind runs here (HelmChartInflationGenerator through `helm`). A config whose
//! `apiVersion` is not `builtin` is an external plugin (exec, Go or KRM function): kustomize
//! refuses those without `--enable-alpha-plugins`, and this engine never runs them.

use crate::value::Value;

use super::KustomizeError;
use super::buildmeta::{self, Origin};
use super::fieldspec::FieldSpec;
use super::generators::{self, Generated};
use super::kustomization::{self, GeneratorEntry, Kustomization, Located};
use super::loader::{Acc, Loader, add_generated, is_remote, join_clean, read_bytes, read_text};
use super::patches;
use super::pipeline::{load_replacements, patch_options};
use super::replacements;
use super::resmap::{KRes, ResMap};
use super::selector::Selector;
use super::transformers::{
    annotations::Annotations, images::Images, labels::Labels, namespace::Namespace,
    prefix_suffix::PrefixSuffix, replicas::Replicas, value_add,
};
use crate::resource::parse_resources;

/// One loaded plugin config and where it was written.
struct Config {
    value: Value,
    at: String,
}

/// Which field listed the config.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Generator,
    Transformer,
    Validator,
}

impl Role {
    fn field(self) -> &'static str {
        match self {
            Role::Generator => "generators",
            Role::Transformer => "transformers",
            Role::Validator => "validators",
        }
    }
}

const GENERATORS: &[&str] = &[
    "ConfigMapGenerator",
    "SecretGenerator",
    "IAMPolicyGenerator",
    "HelmChartInflationGenerator",
];

const TRANSFORMERS: &[&str] = &[
    "AnnotationsTransformer",
    "HashTransformer",
    "ImageTagTransformer",
    "LabelTransformer",
    "NamespaceTransformer",
    "PatchJson6902Transformer",
    "PatchStrategicMergeTransformer",
    "PatchTransformer",
    "PrefixSuffixTransformer",
    "PrefixTransformer",
    "SuffixTransformer",
    "ReplacementTransformer",
    "ReplicaCountTransformer",
    "ValueAddTransformer",
];

/// kustomize takes an entry that parses as resources for an inline config: in practice a
/// multi-line block or a one-line flow mapping; anything else is a path.
fn is_inline(entry: &str) -> bool {
    entry.contains('\n') || entry.trim_start().starts_with('{')
}

impl Loader {
    /// Loads the configs of `entries` (one field of `k`).
    fn plugin_configs(
        &mut self,
        k: &Kustomization,
        entries: &[Located<String>],
        role: Role,
    ) -> Result<Vec<Config>, KustomizeError> {
        let mut sub = Acc::new();
        let mut inline_at = Vec::new();
        for e in entries.iter().filter(|e| is_inline(&e.value)) {
            let mut list: Vec<KRes> = parse_resources(&e.value, &k.file)
                .map_err(|err| KustomizeError::Yaml {
                    file: err.file,
                    cause: err.source,
                })?
                .into_iter()
                .map(KRes::new)
                .collect();
            if self.meta.is_some() {
                let name = k
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                buildmeta::annotate_file(&mut list, &self.origin.append(&name));
            }
            inline_at.extend(std::iter::repeat_n(e.at.clone(), list.len()));
            sub.res.append_all(list)?;
        }
        let mut paths = Vec::new();
        for e in entries.iter().filter(|e| !is_inline(&e.value)) {
            if is_remote(&e.value) {
                return Err(KustomizeError::unsupported(
                    &e.at,
                    format!("remote {} entry {:?}", role.field(), e.value),
                ));
            }
            if !join_clean(&k.dir, &e.value).exists() {
                return Err(KustomizeError::Missing {
                    location: e.at.clone(),
                    what: "plugin config",
                    path: e.value.clone(),
                });
            }
            paths.push(e.clone());
        }
        self.accumulate_resources(&k.dir, &paths, &mut sub)?;
        Ok(sub
            .res
            .list
            .into_iter()
            .enumerate()
            .map(|(i, r)| Config {
                at: inline_at.get(i).cloned().unwrap_or_else(|| r.location("")),
                value: r.res.value,
            })
            .collect())
    }

    /// Runs `k`'s `generators:` (before its components and transformers).
    pub(super) fn plugin_generators(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        if k.generators.is_empty() {
            return Ok(());
        }
        for c in self.plugin_configs(k, &k.generators, Role::Generator)? {
            let kind = builtin_kind(&c, Role::Generator)?;
            let origin = Origin::of_config(&c.value);
            if kind == "HelmChartInflationGenerator" {
                let (globals, chart) = super::helm::parse_plugin_config(&c.value, &c.at)?;
                self.inflate(k, &globals, chart, &c.at, origin, acc)?;
                continue;
            }
            for made in generate(self, k, kind, &c)? {
                add_generated(acc, made, k, &c.at, origin.as_ref())?;
            }
        }
        Ok(())
    }

    /// Runs `k`'s `transformers:` (after its builtin transformers).
    pub(super) fn plugin_transformers(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        if k.transformers.is_empty() {
            return Ok(());
        }
        for c in self.plugin_configs(k, &k.transformers, Role::Transformer)? {
            let kind = builtin_kind(&c, Role::Transformer)?;
            transform(self, k, kind, &c, acc)?;
            if let Some(o) = Origin::of_config(&c.value) {
                buildmeta::add_transformation(&mut acc.res.list, &o);
            }
        }
        Ok(())
    }

    /// Runs `k`'s `validators:`: transformers that must leave the resources as they are.
    pub(super) fn plugin_validators(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        if k.validators.is_empty() {
            return Ok(());
        }
        for c in self.plugin_configs(k, &k.validators, Role::Validator)? {
            let kind = builtin_kind(&c, Role::Validator)?;
            let mut copy = Acc::new();
            copy.res = acc.res.clone();
            transform(self, k, kind, &c, &mut copy)?;
            let before = acc.res.list.iter().map(|r| &r.res.value);
            let after = copy.res.list.iter().map(|r| &r.res.value);
            if copy.res.list.len() != acc.res.list.len() || before.ne(after) {
                return Err(KustomizeError::invalid(
                    &c.at,
                    format!(
                        "validator {kind} changed the resources: a validator must not modify them"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The builtin kind of a config, or why it cannot run in this role.
fn builtin_kind(c: &Config, role: Role) -> Result<&str, KustomizeError> {
    let kind = c.value.get("kind").and_then(Value::as_str).unwrap_or("");
    let api = c
        .value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if api != "builtin" {
        let annotations = c.value.get("metadata").and_then(|m| m.get("annotations"));
        let function = annotations.and_then(|a| {
            a.get("config.kubernetes.io/function")
                .or_else(|| a.get("config.k8s.io/function"))
        });
        let what = if function.is_some() {
            " (a KRM function)"
        } else {
            ""
        };
        let role = match role {
            Role::Generator => "generator",
            Role::Transformer => "transformer",
            Role::Validator => "validator",
        };
        return Err(KustomizeError::unsupported(
            &c.at,
            format!(
                "{role} plugin {api}/{kind}{what}: external plugins are not enabled (only apiVersion `builtin` plugins run here)"
            ),
        ));
    }
    let generator = GENERATORS.contains(&kind);
    let transformer = TRANSFORMERS.contains(&kind);
    if !generator && !transformer {
        return Err(KustomizeError::invalid(
            &c.at,
            format!(
                "unable to load builtin {kind}.builtin.[noGrp]: kustomize has no builtin plugin of kind {kind:?}"
            ),
        ));
    }
    if role == Role::Generator && !generator {
        return Err(KustomizeError::invalid(
            &c.at,
            format!("plugin {kind} is not a generator (listed in `generators`)"),
        ));
    }
    if role != Role::Generator && !transformer {
        return Err(KustomizeError::invalid(
            &c.at,
            format!(
                "plugin {kind} is not a transformer (listed in `{}`)",
                role.field()
            ),
        ));
    }
    Ok(kind)
}

fn str_field(cfg: &Value, path: &[&str]) -> String {
    let mut cur = cfg;
    for k in path {
        match cur.get(k) {
            Some(v) => cur = v,
            None => return String::new(),
        }
    }
    kustomization::scalar_text(cur)
}

fn specs(cfg: &Value, at: &str) -> Result<Vec<FieldSpec>, KustomizeError> {
    cfg.get("fieldSpecs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| FieldSpec::from_plugin_value(v).map_err(|m| KustomizeError::invalid(at, m)))
        .collect()
}

fn string_map(cfg: &Value, key: &str) -> std::collections::BTreeMap<String, String> {
    cfg.get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), kustomization::scalar_text(v)))
                .collect()
        })
        .unwrap_or_default()
}

fn typed<T: for<'de> serde::Deserialize<'de>>(
    cfg: &Value,
    key: &str,
    at: &str,
) -> Result<T, KustomizeError> {
    crate::value::from_value(cfg.get(key).cloned().unwrap_or(Value::Null))
        .map_err(|e| KustomizeError::invalid(at, format!("invalid `{key}`: {e}")))
}

fn target(cfg: &Value, at: &str) -> Result<Option<Selector>, KustomizeError> {
    match cfg.get("target") {
        Some(Value::Null) | None => Ok(None),
        Some(_) => typed(cfg, "target", at).map(Some),
    }
}

/// Runs a generator config; files are read relative to the kustomization listing it.
fn generate(
    ld: &Loader,
    k: &Kustomization,
    kind: &str,
    c: &Config,
) -> Result<Vec<Generated>, KustomizeError> {
    let folded = Config {
        value: kustomization::fold_plugin_config(kind, &c.value),
        at: c.at.clone(),
    };
    let c = &folded;
    let cfg = &c.value;
    let at = c.at.as_str();
    match kind {
        "ConfigMapGenerator" | "SecretGenerator" => {
            let mut args = cfg.clone();
            if let Value::Object(m) = &mut args {
                // kustomize ignores what the generator's Go type does not declare.
                m.retain(|k, _| kustomization::plugin_declares(kind, k));
                if let Some(Value::Object(o)) = m.get_mut("options") {
                    for sub in ["labels", "annotations"] {
                        if let Some(Value::Object(pairs)) = o.get_mut(sub) {
                            for v in pairs.values_mut() {
                                *v = Value::String(kustomization::scalar_text(v));
                            }
                        }
                    }
                }
            }
            let mut entry: GeneratorEntry = crate::value::from_value(args)
                .map_err(|e| KustomizeError::invalid(at, format!("invalid {kind}: {e}")))?;
            if entry.name.is_empty() {
                entry.name = str_field(cfg, &["metadata", "name"]);
            }
            if entry.namespace.as_deref().unwrap_or("").is_empty() {
                let ns = str_field(cfg, &["metadata", "namespace"]);
                entry.namespace = (!ns.is_empty()).then_some(ns);
            }
            let dir = k.dir.clone();
            let read = |p: &str| -> Result<Vec<u8>, KustomizeError> {
                if is_remote(p) {
                    return Err(KustomizeError::unsupported(
                        at,
                        format!("remote file {p:?}"),
                    ));
                }
                read_bytes(&ld.file_in_root(&dir, p, at)?, at, "file", p)
            };
            let secret = kind == "SecretGenerator";
            let made = generators::generate(
                &entry,
                secret,
                &kustomization::GeneratorOptions::default(),
                at,
                &read,
            )?;
            Ok(vec![made])
        }
        "IAMPolicyGenerator" => {
            let cloud = str_field(cfg, &["cloud"]);
            if cloud != "gke" {
                return Err(KustomizeError::invalid(
                    at,
                    format!(
                        "IAMPolicyGenerator: cloud provider {cloud:?} not supported yet (only gke)"
                    ),
                ));
            }
            // kustomize writes this text and parses it, so values are typed as YAML reads them.
            let mut text = format!(
                "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  annotations:\n    iam.gke.io/gcp-service-account: {}@{}.iam.gserviceaccount.com\n  name: {}\n",
                str_field(cfg, &["serviceAccount", "name"]),
                str_field(cfg, &["serviceAccount", "projectId"]),
                str_field(cfg, &["kubernetesService", "name"]),
            );
            let ns = str_field(cfg, &["kubernetesService", "namespace"]);
            if !ns.is_empty() {
                text.push_str(&format!("  namespace: {ns}\n"));
            }
            let doc = crate::yaml::parse_document(&text).map_err(|e| {
                KustomizeError::invalid(at, format!("IAMPolicyGenerator made invalid YAML: {e}"))
            })?;
            Ok(vec![Generated {
                value: doc.value,
                needs_hash: false,
                behavior: super::resmap::Behavior::Create,
            }])
        }
        other => Err(KustomizeError::unsupported(
            at,
            format!("builtin generator {other}"),
        )),
    }
}

/// Runs a transformer config over `acc`; files are read relative to `k`'s directory.
fn transform(
    ld: &Loader,
    k: &Kustomization,
    kind: &str,
    c: &Config,
    acc: &mut Acc,
) -> Result<(), KustomizeError> {
    let folded = Config {
        value: kustomization::fold_plugin_config(kind, &c.value),
        at: c.at.clone(),
    };
    let c = &folded;
    let cfg = &c.value;
    let at = c.at.as_str();
    let s = |key: &str| str_field(cfg, &[key]);
    match kind {
        "AnnotationsTransformer" => Annotations {
            pairs: string_map(cfg, "annotations"),
            fields: specs(cfg, at)?,
        }
        .apply(&mut acc.res),
        "LabelTransformer" => Labels {
            pairs: string_map(cfg, "labels"),
            fields: specs(cfg, at)?,
        }
        .apply(&mut acc.res),
        "NamespaceTransformer" => {
            let subjects =
                super::transformers::namespace::Subjects::parse(&s("setRoleBindingSubjects"))
                    .map_err(|m| KustomizeError::invalid(at, m))?;
            let ns = str_field(cfg, &["metadata", "namespace"]);
            if ns.is_empty() {
                return Ok(());
            }
            Namespace {
                namespace: ns,
                fields: specs(cfg, at)?,
                unset_only: cfg.get("unsetOnly").and_then(Value::as_bool) == Some(true),
                subjects,
            }
            .apply(&mut acc.res)
        }
        "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => {
            let fields = specs(cfg, at)?;
            PrefixSuffix {
                prefix: s("prefix"),
                suffix: s("suffix"),
                prefix_fields: fields.clone(),
                suffix_fields: fields,
            }
            .apply(&mut acc.res)
        }
        "ImageTagTransformer" => Images {
            images: vec![typed(cfg, "imageTag", at)?],
            fields: specs(cfg, at)?,
        }
        .apply(&mut acc.res),
        "ReplicaCountTransformer" => Replicas {
            entries: vec![typed(cfg, "replica", at)?],
            fields: specs(cfg, at)?,
            at: at.to_string(),
        }
        .apply(&mut acc.res),
        "PatchTransformer" => {
            let opts: std::collections::BTreeMap<String, bool> = match cfg.get("options") {
                Some(Value::Null) | None => Default::default(),
                Some(_) => typed(cfg, "options", at)?,
            };
            let opts = patch_options(&opts, at)?;
            let target = target(cfg, at)?;
            let path = cfg.get("path").and_then(Value::as_str).unwrap_or("");
            let inline = cfg
                .get("patch")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim();
            let text = match (path.is_empty(), inline.is_empty()) {
                (false, true) => read_text(&ld.file_in_root(&k.dir, path, at)?, at, "patch", path)?,
                (true, false) => inline.to_string(),
                (false, false) => {
                    return Err(KustomizeError::invalid(
                        at,
                        "PatchTransformer: `patch` and `path` cannot both be set",
                    ));
                }
                (true, true) => {
                    return Err(KustomizeError::invalid(
                        at,
                        "PatchTransformer: one of `patch` and `path` is needed",
                    ));
                }
            };
            let patch = patches::parse(&text, at)?;
            patches::apply_with(
                &mut acc.res,
                &patch,
                target.as_ref(),
                at,
                ld.schema(),
                false,
                opts,
            )
        }
        "PatchStrategicMergeTransformer" => {
            let mut texts: Vec<(String, String)> = Vec::new();
            for p in cfg
                .get("paths")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let p = kustomization::scalar_text(p);
                if is_inline(&p) {
                    texts.push((p, at.to_string()));
                } else {
                    let text = read_text(&ld.file_in_root(&k.dir, &p, at)?, at, "patch", &p)?;
                    texts.push((text, format!("{at} ({p})")));
                }
            }
            let inline = s("patches");
            if !inline.is_empty() {
                texts.push((inline, at.to_string()));
            }
            if texts.is_empty() {
                return Err(KustomizeError::invalid(
                    at,
                    "PatchStrategicMergeTransformer: empty file path and empty patch content",
                ));
            }
            for (text, where_) in texts {
                let patch = patches::parse(&text, &where_)?;
                if matches!(&patch, patches::Patch::Strategic(d, _) if d.is_empty()) {
                    return Err(KustomizeError::invalid(
                        &where_,
                        "PatchStrategicMergeTransformer: patch is empty",
                    ));
                }
                patches::apply(&mut acc.res, &patch, None, &where_, ld.schema(), true)?;
            }
            Ok(())
        }
        "PatchJson6902Transformer" => {
            let Some(target) = target(cfg, at)? else {
                return Err(KustomizeError::invalid(
                    at,
                    "PatchJson6902Transformer: a `target` is needed",
                ));
            };
            let path = s("path");
            let op = s("jsonOp");
            let text = match (path.is_empty(), op.is_empty()) {
                (false, true) => {
                    read_text(&ld.file_in_root(&k.dir, &path, at)?, at, "patch", &path)?
                }
                (true, false) => op,
                (false, false) => {
                    return Err(KustomizeError::invalid(
                        at,
                        "PatchJson6902Transformer: `path` and `jsonOp` cannot both be set",
                    ));
                }
                (true, true) => {
                    return Err(KustomizeError::invalid(
                        at,
                        "PatchJson6902Transformer: one of `path` and `jsonOp` is needed",
                    ));
                }
            };
            let patch = patches::parse(&text, at)?;
            if !matches!(patch, patches::Patch::Json(..)) {
                return Err(KustomizeError::invalid(
                    at,
                    "PatchJson6902Transformer: the patch is not a list of JSON 6902 operations",
                ));
            }
            patches::apply(&mut acc.res, &patch, Some(&target), at, ld.schema(), false)
        }
        "ReplacementTransformer" => {
            let entries: Vec<Located<Value>> = cfg
                .get("replacements")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|v| Located {
                    value: v.clone(),
                    at: at.to_string(),
                })
                .collect();
            let reps = load_replacements(ld, &k.dir, &entries)?;
            replacements::apply(&mut acc.res, &reps)
        }
        "HashTransformer" => {
            hash_now(&mut acc.res);
            Ok(())
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
            // `targetFilePath`: more targets from a file (`targets:` in it), after the inline ones.
            let path = s("targetFilePath");
            let from_file = if path.is_empty() {
                Value::Null
            } else {
                let file = ld.file_in_root(&k.dir, &path, at)?;
                let text = read_text(&file, at, "file", &path)?;
                crate::yaml::parse_document(&text)
                    .map_err(|e| KustomizeError::invalid(at, format!("{path}: {e}")))?
                    .value
            };
            let listed = |v: &Value| -> Vec<Value> {
                v.get("targets")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let mut targets = Vec::new();
            for t in listed(cfg).iter().chain(listed(&from_file).iter()) {
                let selector: Option<Selector> = match t.get("selector") {
                    Some(v) => Some(crate::value::from_value(v.clone()).map_err(|e| {
                        KustomizeError::invalid(at, format!("invalid selector: {e}"))
                    })?),
                    None => None,
                };
                targets.push(value_add::Target {
                    selector,
                    field_path: str_field(t, &["fieldPath"]),
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
            format!("builtin transformer {other}"),
        )),
    }
}

/// The builtin HashTransformer: generated resources that want a hash get it now (kustomize
/// keeps the request, so the end of the build adds one again).
fn hash_now(list: &mut ResMap) {
    for r in list.list.iter_mut().filter(|r| r.needs_hash) {
        let h = generators::hash(&r.res.value);
        let name = format!("{}-{h}", r.res.name());
        r.set_name(&name);
    }
}
