//! The build driver: loads kustomizations recursively (resources, components, cycle detection),
//! runs generators and the builtin transformers in kustomize's fixed order, then finishes at the
//! top (hash suffixes, name references, vars, output order).
//!
//! All file reading of the engine happens here and in its two helpers (`pipeline`: the builtin
//! transformers in order; `plugins`: `transformers:` configs); every other module is pure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::value::Value;

use super::fieldspec::{self, TransformerConfig};
use super::generators::{self, Generated};
use super::kustomization::{self, Kind, Kustomization, Located};
use super::order::Order;
use super::resmap::{Behavior, KRes, ResMap, kid, ns_equal};
use super::schema::{self, Schema};
use super::{
    Build, BuildOptions, KustomizeError, LoadRestrictor, Reorder, buildmeta, nameref, vars,
};
use crate::resource::{Origin, Resource, parse_resources, parse_resources_untracked};

/// What is being accumulated: resources, the merged transformer config, vars and the schema.
pub(super) struct Acc {
    pub(super) res: ResMap,
    /// Field specs added by `configurations:` files (the defaults are not copied per level).
    pub(super) extra: TransformerConfig,
    pub(super) has_extra: bool,
    pub(super) vars: vars::VarSet,
}

impl Acc {
    pub(super) fn new() -> Self {
        Acc {
            res: ResMap::default(),
            extra: TransformerConfig::default(),
            has_extra: false,
            vars: vars::VarSet::new(),
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
    pub(super) positions: bool,
    /// Refuse files outside the kustomization root (`LoadRestrictionsRootOnly`, the default;
    /// see [`Loader::file_in_root`]).
    pub(super) restrict: bool,
    /// The build's OpenAPI schema (None: the builtin one) and whether a kustomization set it.
    pub(super) schema: Option<Arc<Schema>>,
    schema_fixed: bool,
    stack: Vec<PathBuf>,
    /// Every ancestor-or-self of the directories on `stack`, counted: finds a base that
    /// encloses a directory being built in time proportional to the path, not the depth.
    enclosing: std::collections::HashMap<PathBuf, usize>,
    warnings: Vec<String>,
    /// The build root's `buildMetadata`, when it has one (origin tracking is on).
    pub(super) meta: Option<buildmeta::Options>,
    /// With `meta`: the origin of the kustomization being built (its path from the root).
    pub(super) origin: buildmeta::Origin,
    /// The helm flags.
    pub(super) helm: super::helm::HelmOptions,
    /// helm's version was checked (once per build).
    pub(super) helm_checked: bool,
    /// The namespace charts inherit: of the nearest kustomization up the chain that sets one.
    pub(super) helm_namespace: Option<String>,
    /// The cache for pulled charts and remote bases.
    pub(super) cache_dir: Option<PathBuf>,
    /// `--offline`.
    pub(super) offline: bool,
    /// Remote bases and files.
    pub(super) fetcher: super::remote::Fetcher,
    /// Parsed resource files shared with other builds.
    pub(super) parse_cache: Option<Arc<super::cache::ParseCache>>,
}

/// Builds `dir`; the deprecation warnings printed so far come back whether or not it succeeds
/// (kustomize prints them as it loads, so a failing build has shown them too).
pub fn build(dir: &Path, opts: &BuildOptions) -> (Vec<String>, Result<Build, KustomizeError>) {
    // Kustomizations nest by recursion (a base is built where it is listed). Go grows its stacks
    // as needed, and kustomize builds chains thousands deep; so build on a thread whose stack is
    // reserved large (touched only as deep as the input goes) and stop at a depth no real tree
    // reaches with a clear error instead of overflowing.
    let internal = |m: String| (Vec::new(), Err(KustomizeError::invalid("rollout", m)));
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("kustomize-build".into())
            .stack_size(BUILD_STACK_BYTES)
            .spawn_scoped(s, || build_here(dir, opts))
        {
            Err(e) => internal(format!("cannot start the build: {e}")),
            Ok(h) => h.join().unwrap_or_else(|_| {
                internal("internal error: the build panicked; please report a bug".into())
            }),
        }
    })
}

/// Stack reserved for a build (address space only: pages are touched as deep as the input goes).
pub(super) const BUILD_STACK_BYTES: usize = 4 << 30;

/// Deepest chain of kustomizations built.
pub(super) const MAX_DEPTH: usize = 100_000;

pub(super) fn build_here(
    dir: &Path,
    opts: &BuildOptions,
) -> (Vec<String>, Result<Build, KustomizeError>) {
    if opts.record_deps {
        DEPS.with(|d| *d.borrow_mut() = Some(super::Deps::default()));
    }
    let (warnings, mut built) = build_recorded(dir, opts);
    let deps = DEPS.with(|d| d.borrow_mut().take());
    if let Ok(b) = &mut built {
        b.deps = deps;
    }
    (warnings, built)
}

fn build_recorded(dir: &Path, opts: &BuildOptions) -> (Vec<String>, Result<Build, KustomizeError>) {
    // With a lock file (and unless --lock rewrites it), every remote ref builds at its pin.
    let lock = if opts.write_lock {
        None
    } else {
        match super::remote::Lock::read(dir) {
            Ok(l) => l,
            Err(e) => return (Vec::new(), Err(e)),
        }
    };
    let mut ld = Loader {
        fetcher: super::remote::Fetcher::new(
            opts.cache_dir.clone(),
            opts.offline,
            lock,
            opts.write_lock,
        ),
        positions: opts.positions,
        restrict: opts.load_restrictor == LoadRestrictor::RootOnly,
        helm: opts.helm.clone(),
        cache_dir: opts.cache_dir.clone(),
        offline: opts.offline,
        parse_cache: opts.parse_cache.clone(),
        ..Loader::default()
    };
    let mut built = build_with_loader(&mut ld, dir, opts);
    if opts.write_lock && built.is_ok() {
        let path = dir.join(super::remote::LOCK_FILE);
        let text = ld.fetcher.resolved.to_text();
        if let Err(e) = crate::fsutil::write_atomic(&path, text.as_bytes()) {
            built = Err(KustomizeError::Write(e));
        }
    }
    let warnings = std::mem::take(&mut ld.warnings);
    match built {
        Ok(resources) => (
            warnings.clone(),
            Ok(Build {
                resources,
                warnings,
                deps: None,
            }),
        ),
        Err(e) => (warnings, Err(e)),
    }
}

fn build_with_loader(
    ld: &mut Loader,
    dir: &Path,
    opts: &BuildOptions,
) -> Result<Vec<Resource>, KustomizeError> {
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
    // Resources marked `config.kubernetes.io/local-config` (other than "false") take part in
    // the build (as replacement sources, name references) but are not printed.
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
    let mut resources: Vec<Resource> = list.into_iter().map(|r| r.res).collect();
    let mut meta = ld.meta.take().unwrap_or_default();
    meta.managed_by |= opts.managed_by_label;
    buildmeta::finish(&mut resources, meta);
    Ok(resources)
}

/// The one builtin schema version kustomize accepts in `openapi.version` (our table covers it).
const BUILTIN_OPENAPI_VERSION: &str = "v1.21.2";

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

/// kustomize's rules for a directory entry (a base or a component): not absolute, and no path
/// segment like `..foo` or `...` that cleaning would silently change (usually a YAML slip).
fn check_dir_entry(raw: &str, at: &str) -> Result<(), KustomizeError> {
    if Path::new(raw).is_absolute() {
        return Err(KustomizeError::invalid(
            at,
            format!("{raw:?}: a kustomization directory cannot be given as an absolute path"),
        ));
    }
    if raw
        .split('/')
        .any(|seg| !matches!(seg, "" | "." | "..") && seg.contains(".."))
    {
        return Err(KustomizeError::invalid(
            at,
            format!(
                "path {raw:?} is ambiguous: a segment holds `..`; check the kustomization's indentation"
            ),
        ));
    }
    Ok(())
}

impl Loader {
    /// The fetched repository holding `dir`, if any.
    fn checkout_of(&self, dir: &Path) -> Option<&PathBuf> {
        self.fetcher.checkouts.iter().find(|c| dir.starts_with(c))
    }

    /// kustomize: a base listed inside a fetched repository must be in that repository.
    fn check_in_checkout(&self, path: &Path, at: &str) -> Result<(), KustomizeError> {
        let Some(root) = self.stack.last() else {
            return Ok(());
        };
        let Some(repo) = self.checkout_of(root) else {
            return Ok(());
        };
        match self.canonical(path) {
            Ok(real) if !real.starts_with(repo) => Err(KustomizeError::invalid(
                at,
                format!(
                    "security; bases in kustomizations found in fetched git repositories must be within the repository, but {} is outside {}",
                    path.display(),
                    repo.display()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Fetches a git URL (through the cache) and returns its kustomization directory.
    fn remote_dir(&mut self, raw: &str, at: &str) -> Result<PathBuf, KustomizeError> {
        let spec = super::remote::RepoSpec::parse(raw)
            .map_err(|m| KustomizeError::invalid(at, format!("remote {raw:?}: {m}")))?;
        let repo = self.fetcher.git(raw, &spec, at)?;
        let dir = join_clean(&repo, &spec.root);
        if dir.is_file() {
            return Err(KustomizeError::invalid(
                at,
                format!(
                    "remote {raw:?} refers to file {:?}; expecting directory",
                    spec.root
                ),
            ));
        }
        if !dir.is_dir() {
            return Err(KustomizeError::invalid(
                at,
                format!(
                    "remote {raw:?}: no directory {:?} in the repository",
                    spec.root
                ),
            ));
        }
        Ok(dir)
    }
}

pub(super) fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("github.com/")
        || s.starts_with("git@")
        || s.starts_with("gitlab.com/")
        || s.starts_with("bitbucket.org/")
}

thread_local! {
    /// The files and remote URLs the build on this thread read, when it records them
    /// (`rollout deps`).
    static DEPS: std::cell::RefCell<Option<super::Deps>> = const { std::cell::RefCell::new(None) };
}

/// Notes a remote URL the build fetched (for [`super::Deps`]).
pub(super) fn note_url(url: &str) {
    DEPS.with(|d| {
        if let Some(d) = d.borrow_mut().as_mut() {
            d.urls.insert(url.to_string());
        }
    });
}

pub(super) fn read_bytes(
    path: &Path,
    at: &str,
    what: &'static str,
    raw: &str,
) -> Result<Vec<u8>, KustomizeError> {
    DEPS.with(|d| {
        if let Some(d) = d.borrow_mut().as_mut() {
            d.files.insert(path.to_path_buf());
        }
    });
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
    /// `path` with symlinks resolved; through the shared cache when the build has one (its
    /// trees do not change while it lives).
    pub(super) fn canonical(&self, path: &Path) -> std::io::Result<PathBuf> {
        match &self.parse_cache {
            Some(c) => c.canonical(path),
            None => path.canonicalize(),
        }
    }

    /// The schema patches are applied with.
    pub(super) fn schema(&self) -> &Schema {
        self.schema.as_deref().unwrap_or_else(|| schema::builtin())
    }

    /// `dir/rel` for a file a kustomization reads (resource, patch, generator input,
    /// configuration, schema, replacement source). With the default load restrictor the file,
    /// symlinks resolved, must be in or below the kustomization's own directory, as kustomize
    /// requires (`LoadRestrictionsRootOnly`); a missing file is left for the read to report.
    ///
    /// # Errors
    /// The file resolves outside the kustomization root.
    pub(super) fn file_in_root(
        &self,
        dir: &Path,
        rel: &str,
        at: &str,
    ) -> Result<PathBuf, KustomizeError> {
        let path = join_clean(dir, rel);
        let Some(root) = self.stack.last() else {
            return Ok(path);
        };
        // Inside a fetched repository kustomize always restricts to the kustomization root.
        if !self.restrict && self.checkout_of(root).is_none() {
            return Ok(path);
        }
        match self.canonical(&path) {
            Ok(real) if !real.starts_with(root) => Err(KustomizeError::invalid(
                at,
                format!(
                    "security; file {rel:?} is not in or below {:?}: kustomize reads no file outside the kustomization's directory (symlinks resolved) unless --load-restrictor LoadRestrictionsNone is given",
                    dir.display().to_string()
                ),
            )),
            _ => Ok(path),
        }
    }

    /// Accumulates the kustomization in `dir` into `acc`. Returns its `sortOptions`.
    pub(super) fn accumulate(
        &mut self,
        dir: &Path,
        expect: Expect,
        acc: &mut Acc,
        from: Option<&str>,
    ) -> Result<Option<Order>, KustomizeError> {
        let canon = self.canonical(dir).map_err(|source| match from {
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
        if self.stack.len() >= MAX_DEPTH {
            return Err(KustomizeError::invalid(
                from.unwrap_or_default(),
                format!("kustomizations nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        if self.enclosing.contains_key(&canon)
            && let Some(i) = self.stack.iter().position(|p| p.starts_with(&canon))
        {
            let mut chain: Vec<String> = self.stack[i..]
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            chain.push(canon.display().to_string());
            return Err(KustomizeError::Cycle {
                chain: chain.join(" -> "),
            });
        }
        let file = kustomization::find_file(dir)?;
        let shown = file.display().to_string();
        if self.restrict
            && let Ok(real) = self.canonical(&file)
            && !real.starts_with(&canon)
        {
            return Err(KustomizeError::invalid(
                &shown,
                "security; the kustomization file is a symlink to a file outside its directory (allowed only with --load-restrictor LoadRestrictionsNone)",
            ));
        }
        let text = read_text(&file, &shown, "kustomization", &shown)?;
        let k = match &self.parse_cache {
            Some(c) => {
                c.get_or_parse_kustomization(&text, &file, |t| kustomization::parse(t, &file))?
            }
            None => Arc::new(kustomization::parse(&text, &file)?),
        };
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
        if expect == Expect::Root && !k.build_metadata.is_empty() {
            self.meta = Some(buildmeta::Options::from_names(&k.build_metadata));
        }
        for a in canon.ancestors() {
            *self.enclosing.entry(a.to_path_buf()).or_default() += 1;
        }
        self.stack.push(canon);
        let result = self.run(&k, acc);
        if let Some(done) = self.stack.pop() {
            for a in done.ancestors() {
                if let Some(n) = self.enclosing.get_mut(a) {
                    *n -= 1;
                    if *n == 0 {
                        self.enclosing.remove(a);
                    }
                }
            }
        }
        result?;
        match (&k.sort_options, expect) {
            (Some(s), Expect::Root) => Ok(Some(Order::from_value(&s.value, &s.at)?)),
            _ => Ok(None),
        }
    }

    fn run(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), KustomizeError> {
        // Charts here and below inherit the nearest namespace (kustomize issues 5566, 6031).
        let inherited = self.helm_namespace.clone();
        if let Some(ns) = k.namespace.as_deref().filter(|s| !s.is_empty()) {
            self.helm_namespace = Some(ns.to_string());
        }
        let r = self.run_here(k, acc);
        self.helm_namespace = inherited;
        r
    }

    fn run_here(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), KustomizeError> {
        let dir = &k.dir;
        for c in &k.configurations {
            let path = self.file_in_root(dir, &c.value, &c.at)?;
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
            let path = self.file_in_root(dir, &c.value, &c.at)?;
            let text = read_text(&path, &c.at, "crd", &c.value)?;
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
        // The OpenAPI schema is global in kustomize: the first kustomization loaded that sets
        // one (the root first) decides it for the whole build.
        if !self.schema_fixed && (k.openapi.is_some() || k.openapi_version.is_some()) {
            self.schema_fixed = true;
            match (&k.openapi, &k.openapi_version) {
                (Some(_), Some(v)) => {
                    return Err(KustomizeError::invalid(
                        &v.at,
                        "`openapi` has both `path` and `version`: a custom schema and a builtin version cannot be used both",
                    ));
                }
                (None, Some(v)) => {
                    if v.value != BUILTIN_OPENAPI_VERSION {
                        return Err(KustomizeError::invalid(
                            &v.at,
                            format!(
                                "OpenAPI version {:?} is not built in (kustomize has {BUILTIN_OPENAPI_VERSION})",
                                v.value
                            ),
                        ));
                    }
                }
                (Some(o), None) => {
                    // kustomize's loader reads an `http(s)://` schema path as a remote file.
                    let (path, text) = if super::remote::is_http(&o.value) {
                        let bytes = self.fetcher.http(&o.value, &o.at)?.ok_or_else(|| {
                            KustomizeError::invalid(
                                &o.at,
                                format!("openapi schema {:?} could not be fetched", o.value),
                            )
                        })?;
                        let text = String::from_utf8(bytes).map_err(|_| {
                            KustomizeError::invalid(
                                &o.at,
                                format!("openapi schema {:?} is not UTF-8", o.value),
                            )
                        })?;
                        (PathBuf::from(&o.value), text)
                    } else {
                        let path = self.file_in_root(dir, &o.value, &o.at)?;
                        let text = read_text(&path, &o.at, "openapi schema", &o.value)?;
                        (path, text)
                    };
                    let doc = crate::yaml::parse_document(&text).map_err(|source| {
                        KustomizeError::Yaml {
                            file: path.clone(),
                            cause: source,
                        }
                    })?;
                    let mut s = schema::builtin().clone();
                    s.add_openapi(&doc.value);
                    self.schema = Some(Arc::new(s));
                }
                (None, None) => {}
            }
        }
        self.accumulate_resources(dir, &k.resources, acc)?;
        self.generate(k, acc)?;
        self.helm_charts(k, acc)?;
        self.plugin_generators(k, acc)?;
        // Components run after this level's generators and before its transformers.
        for c in &k.components {
            let path = if is_remote(&c.value) {
                self.remote_dir(&c.value, &c.at)?
            } else {
                check_dir_entry(&c.value, &c.at)?;
                let path = join_clean(dir, &c.value);
                self.check_in_checkout(&path, &c.at)?;
                path
            };
            if path.is_file() {
                return Err(KustomizeError::invalid(
                    &c.at,
                    format!(
                        "component {:?} is a file: a component must be a directory with a kustomization",
                        c.value
                    ),
                ));
            }
            if !path.is_dir() {
                return Err(KustomizeError::Missing {
                    location: c.at.clone(),
                    what: "component",
                    path: c.value.clone(),
                });
            }
            let saved = self.enter(&c.value);
            let r = self.accumulate(&path, Expect::Component, acc, Some(&c.at));
            self.origin = saved;
            r?;
        }
        self.transform(k, acc)?;
        self.plugin_transformers(k, acc)?;
        self.plugin_validators(k, acc)?;
        vars::merge(&mut acc.vars, &mut acc.res, &k.vars)?;
        Ok(())
    }

    /// Adds `resources`-style entries (files and directories) of the kustomization in `dir` to
    /// `acc`. Directories are built in order; files are parsed in parallel and spliced back in at
    /// their position; all are registered in one pass (linear time).
    pub(super) fn accumulate_resources(
        &mut self,
        dir: &Path,
        entries: &[Located<String>],
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        let mut batch = Vec::new();
        let mut files = Vec::new();
        for r in entries {
            self.add_resource(dir, r, acc, &mut batch, &mut files)?;
        }
        self.flush_files(acc, &mut batch, &mut files)
    }

    /// Parses the pending resource files (in parallel) and adds them, in entry order, to `acc`.
    fn flush_files(
        &self,
        acc: &mut Acc,
        batch: &mut Vec<KRes>,
        files: &mut Vec<PendingFile>,
    ) -> Result<(), KustomizeError> {
        if files.is_empty() && batch.is_empty() {
            return Ok(());
        }
        let files = std::mem::take(files);
        let origins: Vec<buildmeta::Origin> = match self.meta {
            Some(_) => files
                .iter()
                .map(|f| self.origin.append(&f.2.value))
                .collect(),
            None => Vec::new(),
        };
        let mut parsed = parse_files(files, self.positions, self.parse_cache.as_deref())?;
        for ((_, list), o) in parsed.iter_mut().zip(&origins) {
            buildmeta::annotate_file(list, o);
        }
        acc.res.append_all(splice(std::mem::take(batch), parsed))
    }

    /// With origin tracking, steps into the entry `rel` and returns the origin to restore.
    pub(super) fn enter(&mut self, rel: &str) -> buildmeta::Origin {
        match self.meta {
            Some(_) => {
                let next = self.origin.append(rel);
                std::mem::replace(&mut self.origin, next)
            }
            None => buildmeta::Origin::default(),
        }
    }

    /// The origin of a builtin generator or transformer configured by `k`'s own fields.
    pub(super) fn builtin_origin(
        &self,
        k: &Kustomization,
        kind: &str,
    ) -> Option<buildmeta::Origin> {
        self.meta?;
        let name = k
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Some(self.origin.builtin(&name, kind))
    }

    /// With `buildMetadata`: records that the builtin transformer `kind` configured by `k` ran.
    pub(super) fn note_builtin(&self, k: &Kustomization, acc: &mut Acc, kind: &str) {
        if let Some(o) = self.builtin_origin(k, kind) {
            buildmeta::add_transformation(&mut acc.res.list, &o);
        }
    }

    fn add_resource(
        &mut self,
        dir: &Path,
        r: &Located<String>,
        acc: &mut Acc,
        batch: &mut Vec<KRes>,
        files: &mut Vec<PendingFile>,
    ) -> Result<(), KustomizeError> {
        let remote = is_remote(&r.value);
        let known_repo = remote
            && super::remote::RepoSpec::parse(&r.value)
                .is_ok_and(|spec| self.fetcher.cached(&spec).is_some());
        if remote && !known_repo && super::remote::is_http(&r.value) {
            // kustomize first GETs an http(s) entry as a file; an error status on a git URL
            // (or content that is not resources) makes it a repository.
            if let Some(bytes) = self.fetcher.http(&r.value, &r.at)? {
                let text = String::from_utf8_lossy(&bytes);
                match parse_resources_untracked(&text, Path::new(&r.value)) {
                    Ok(list) if list.iter().all(|x| x.value.is_object()) => {
                        self.flush_files(acc, batch, files)?;
                        let mut list: Vec<KRes> = list.into_iter().map(KRes::new).collect();
                        if self.meta.is_some() {
                            buildmeta::annotate_file(&mut list, &self.origin.append(&r.value));
                        }
                        return acc.res.append_all(list);
                    }
                    Ok(_) | Err(_) if super::remote::RepoSpec::parse(&r.value).is_ok() => {}
                    _ => {
                        return Err(KustomizeError::invalid(
                            &r.at,
                            format!(
                                "remote {:?} is neither resources nor a git repository",
                                r.value
                            ),
                        ));
                    }
                }
            }
        }
        let path = if remote {
            self.remote_dir(&r.value, &r.at)?
        } else {
            join_clean(dir, &r.value)
        };
        if path.is_dir() {
            if !remote {
                check_dir_entry(&r.value, &r.at)?;
                self.check_in_checkout(&path, &r.at)?;
            }
            // As kustomize: what came before is added, then this base, so an error stops the
            // build before later entries are loaded.
            self.flush_files(acc, batch, files)?;
            let mut sub = Acc::new();
            let saved = self.enter(&r.value);
            let built = self.accumulate(&path, Expect::Resource, &mut sub, Some(&r.at));
            self.origin = saved;
            built?;
            acc.res.append_all(sub.res.list)?;
            if sub.has_extra {
                acc.extra.merge(&sub.extra);
                acc.has_extra = true;
            }
            vars::absorb(&mut acc.vars, sub.vars)?;
            return Ok(());
        }
        let path = self.file_in_root(dir, &r.value, &r.at)?;
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
                    read_bytes(&self.file_in_root(&dir, p, &at)?, &at, "file", p)
                };
                let made =
                    generators::generate(&g.value, secret, &k.generator_options, &g.at, &read)?;
                let kind = if secret {
                    "SecretGenerator"
                } else {
                    "ConfigMapGenerator"
                };
                let origin = self.builtin_origin(k, kind);
                add_generated(acc, made, k, &g.at, origin.as_ref())?;
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
    cache: Option<&super::cache::ParseCache>,
) -> Result<Vec<KRes>, KustomizeError> {
    let text = read_text(path, &r.at, "resource", &r.value)?;
    let parse = |text: &str| {
        let parsed = if positions {
            parse_resources(text, path)
        } else {
            parse_resources_untracked(text, path)
        };
        parsed.map_err(|e| KustomizeError::Yaml {
            file: e.file,
            cause: e.source,
        })
    };
    let list = match cache {
        Some(c) => c.get_or_parse(&text, path, positions, parse)?,
        None => parse(&text)?,
    };
    for res in &list {
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
fn parse_files(
    files: Vec<PendingFile>,
    positions: bool,
    cache: Option<&super::cache::ParseCache>,
) -> Result<Parsed, KustomizeError> {
    let threads = super::cores().min(8);
    if files.len() < 8 || threads < 2 {
        return files
            .into_iter()
            .map(|(at, path, r)| parse_file(&path, &r, positions, cache).map(|l| (at, l)))
            .collect();
    }
    let chunk = files.len().div_ceil(threads);
    let results: Vec<Result<Parsed, KustomizeError>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(at, path, r)| {
                            parse_file(path, r, positions, cache).map(|l| (*at, l))
                        })
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

/// Adds a generated resource (created, or merged into / replacing one of the same name).
/// `origin`: with `buildMetadata`, the generator's origin for a resource that has none.
pub(super) fn add_generated(
    acc: &mut Acc,
    mut g: Generated,
    k: &Kustomization,
    at: &str,
    origin: Option<&buildmeta::Origin>,
) -> Result<(), KustomizeError> {
    if let Some(o) = origin {
        buildmeta::add_origin(&mut g.value, o);
    }
    let source = Origin {
        file: k.file.clone(),
        ..Default::default()
    };
    let mut new = KRes::new(Resource::new(g.value, source));
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
        (Behavior::Create, Some(i)) => Err(KustomizeError::invalid(
            at,
            format!(
                "{} already exists (from {}): to generate it again its behavior must be merge or replace, not create",
                kid(&new.id()),
                acc.res.list[i].res.origin.file.display()
            ),
        )),
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
                // A merge keeps the original's origin annotation.
                let kept = old
                    .res
                    .value
                    .get("metadata")
                    .and_then(|m| m.get("annotations"))
                    .and_then(|a| a.get(buildmeta::ORIGIN))
                    .filter(|_| b == Behavior::Merge);
                if let (Some(o), Some(Value::Object(a))) = (kept, meta.get_mut("annotations")) {
                    a.insert(buildmeta::ORIGIN.to_string(), o.clone());
                }
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
            // kustomize keeps the original's hash request only if the new generator asks too.
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
