//! The build driver: loads kustomizations recursively (resources, components, cycle detection),
//! runs generators and the builtin transformers in kustomize's fixed order, then finishes at the
//! top (hash suffixes, name references, vars, output order).
//!
//! All file reading of the engine happens here and in its two helpers (`pipeline`: the builtin
//! transformers in order; `plugins`: `transformers:` configs); every other module is pure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::fieldspec::{self, TransformerConfig};
use super::generators::{self, Generated};
use super::kustomization::{self, Kind, Kustomization, Located};
use super::order::Order;
use super::resmap::{Behavior, KRes, ResMap, kid, ns_equal};
use super::schema::{self, Schema};
use super::{Build, BuildOptions, KustomizeError, LoadRestrictor, Reorder, nameref, vars};
use crate::resource::{Origin, Resource, parse_resources, parse_resources_untracked};

/// What is being accumulated: resources, the merged transformer config, vars and the schema.
pub(super) struct Acc {
    pub(super) res: ResMap,
    /// Field specs added by `configurations:` files (the defaults are not copied per level).
    pub(super) extra: TransformerConfig,
    pub(super) has_extra: bool,
    pub(super) vars: vars::VarSet,
    pub(super) schema: Option<Arc<Schema>>,
}

impl Acc {
    pub(super) fn new() -> Self {
        Acc {
            res: ResMap::default(),
            extra: TransformerConfig::default(),
            has_extra: false,
            vars: vars::VarSet::new(),
            schema: None,
        }
    }

    /// The defaults plus any `configurations:`.
    pub(super) fn config(&self) -> std::borrow::Cow<'static, TransformerConfig> {
        if !self.has_extra {
            return std::borrow::Cow::Borrowed(fieldspec::defaults());
        }
        let mut c = fieldspec::defaults().clone();
        c.merge(&self.extra);
        c.normalize();
        std::borrow::Cow::Owned(c)
    }

    pub(super) fn schema(&self) -> &Schema {
        match &self.schema {
            Some(s) => s,
            None => schema::builtin(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    Root,
    Resource,
    Component,
}

#[derive(Default)]
pub(super) struct Loader {
    /// Keep per-node source positions of resources (slower; for callers that report findings).
    positions: bool,
    /// Refuse files outside the kustomization root (`LoadRestrictionsRootOnly`). Not enforced
    /// yet (set from `--load-restrictor` only).
    #[allow(dead_code)]
    pub(super) restrict: bool,
    stack: Vec<PathBuf>,
    warnings: Vec<String>,
}

/// Builds `dir`.
pub fn build(dir: &Path, opts: &BuildOptions) -> Result<Build, KustomizeError> {
    let mut ld = Loader {
        positions: opts.positions,
        restrict: opts.load_restrictor == LoadRestrictor::RootOnly,
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
    let logged = vars::resolve(&mut acc.res, &acc.vars, &cfg.var_reference)?;
    ld.warnings.extend(logged);
    // Resources marked `config.kubernetes.io/local-config` served as sources; they are not output.
    let mut list = acc.res.list;
    list.retain(|r| !is_local_config(r));
    for r in &mut list {
        stringify_annotations(&mut r.res.value);
    }
    match (order, opts.reorder) {
        (Some(o), r) => {
            if r != Reorder::Unspecified {
                ld.warnings.push(
                    "Warning: Sorting order is set both in 'kustomization.yaml' ('sortOptions') and in a CLI flag ('--reorder'). Using the kustomization file over the CLI flag.".to_string(),
                );
            }
            o.sort(&mut list)
        }
        (None, Reorder::None) => {}
        (None, _) => Order::default().sort(&mut list),
    }
    Ok(Build {
        resources: list.into_iter().map(|r| r.res).collect(),
        warnings: ld.warnings,
    })
}

/// kustomize rewrites every non-empty annotation map as strings when it removes its build
/// annotations at the end (`7`, `true`, or a var's typed value become `"7"`, `"true"`); labels
/// keep their types.
fn stringify_annotations(v: &mut Value) {
    let Some(Value::Object(a)) = v.get_mut("metadata").and_then(|m| m.get_mut("annotations"))
    else {
        return;
    };
    for x in a.values_mut() {
        if !x.is_string() && !x.is_object() && !x.is_array() {
            *x = Value::String(kustomization::scalar_text(x));
        }
    }
}

/// kustomize drops resources annotated `config.kubernetes.io/local-config` (unless `"false"`).
fn is_local_config(r: &KRes) -> bool {
    r.res
        .value
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("config.kubernetes.io/local-config"))
        .is_some_and(|v| v.as_str() != Some("false"))
}

/// `dir/rel` with `.` and `..` resolved lexically, so messages name `overlays/base/x.yaml`
/// rather than `overlays/staging/../base/x.yaml`.
pub(super) fn join_clean(dir: &Path, rel: &str) -> PathBuf {
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

pub(super) fn is_remote(s: &str) -> bool {
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

pub(super) fn read_text(
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
    pub(super) fn accumulate(
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
        for c in &k.crds {
            let path = join_clean(dir, &c.value);
            let text = read_text(&path, &c.at, "crds file", &c.value)?;
            let doc =
                crate::yaml::parse_document(&text).map_err(|source| KustomizeError::Yaml {
                    file: path.clone(),
                    cause: source,
                })?;
            acc.has_extra = true;
            acc.extra
                .merge_crd_schemas(&doc.value)
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
        self.generate(k, acc)?;
        // Components run after this level's generators and before its transformers.
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
        vars::merge(&mut acc.vars, &mut acc.res, &k.vars)?;
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
            vars::absorb(&mut acc.vars, sub.vars)?;
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
            // kustomize takes the build annotations from the original and then drops the hash
            // request unless the new generator asks for one too: hashed only if both do.
            new.needs_hash = old.needs_hash && new.needs_hash;
            new.prev = old.prev.clone();
            new.prefixes = old.prefixes.clone();
            new.suffixes = old.suffixes.clone();
            new.var_names = old.var_names.clone();
            new.res.origin = old.res.origin.clone();
            acc.res.list[i] = new;
            Ok(())
        }
    }
}
