//! Our own kustomize v5 engine: builds a kustomization directory into the resource list that
//! `kubectl kustomize` prints, byte for byte.
//!
//! Owns the build pipeline (load, generate, transform, name references, hashes, order). Reads
//! files only through the loader; prints nothing (warnings are returned in [`Build`]).

mod buildmeta;
pub mod cache;
pub mod edit;
mod error;
pub mod fieldspec;
mod generators;
pub mod glob;
pub mod helm;
mod kustomization;
mod loader;
mod nameref;
mod order;
pub mod patches;
mod pipeline;
mod plugins;
mod provenance;
pub mod remote;
mod replacements;
mod resmap;
pub mod schema;
mod selector;
mod stream;
pub mod transformers;
mod vars;
mod yaml11;

use std::path::Path;

pub use error::KustomizeError;
pub use stream::Emitter;

use crate::resource::ResourceList;

/// The result of a build: the resources in output order and the warnings kustomize would print.
#[derive(Debug, Clone, Default)]
pub struct Build {
    /// The rendered resources, in kustomize's output order.
    pub resources: ResourceList,
    /// Deprecation warnings, one line each, exactly as kustomize prints them on stderr.
    pub warnings: Vec<String>,
    /// What the build read, when [`BuildOptions::record_deps`] asked for it.
    pub deps: Option<Deps>,
}

/// Every file and remote URL a build read (`rollout deps`, for Argo CD's
/// `manifest-generate-paths`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deps {
    /// Files read, as the build named them (local ones and those in fetched remote roots).
    pub files: std::collections::BTreeSet<std::path::PathBuf>,
    /// Remote resources fetched (git and HTTP URLs, as written).
    pub urls: std::collections::BTreeSet<String>,
}

/// Builds the kustomization in `dir` as `kubectl kustomize DIR` does. Resources keep their source
/// positions (`Origin::locations`, by JSON pointer of the source document), for callers that
/// report findings with file:line:col.
///
/// # Errors
/// Malformed YAML, a missing file, a cycle between kustomizations, a resource id conflict, a
/// patch that matches nothing, or a field we do not support; each names the file (and the line
/// and column where there is one).
pub fn build(dir: &Path) -> Result<Build, KustomizeError> {
    build_with(
        dir,
        &BuildOptions {
            positions: true,
            ..BuildOptions::default()
        },
    )
}

/// How `--reorder` was given on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Reorder {
    /// Not given: `sortOptions`, else kustomize's legacy order.
    #[default]
    Unspecified,
    /// `--reorder legacy`.
    Legacy,
    /// `--reorder none`: input order (unless `sortOptions` says otherwise).
    None,
}

/// Which files a build may read (`--load-restrictor`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// `LoadRestrictionsRootOnly` (the default): only files in or below the kustomization root.
    #[default]
    RootOnly,
    /// `LoadRestrictionsNone`: any file.
    None,
}

/// The build flags of `kubectl kustomize`.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Keep per-node source positions (slower; for callers that report findings).
    pub positions: bool,
    /// `--reorder`.
    pub reorder: Reorder,
    /// `--load-restrictor`.
    pub load_restrictor: LoadRestrictor,
    /// `--enable-managedby-label` (deprecated in kustomize): the managed-by label on every
    /// resource, as `buildMetadata: [managedByLabel]` adds it.
    pub managed_by_label: bool,
    /// `--enable-helm`, `--helm-command` and the other helm flags.
    pub helm: helm::HelmOptions,
    /// Where pulled charts (and fetched remote bases) are kept between builds; None: no cache.
    pub cache_dir: Option<std::path::PathBuf>,
    /// `--offline`: use only what the cache holds.
    pub offline: bool,
    /// `--lock`: resolve every remote ref afresh and write the lock file next to the root
    /// kustomization (else a lock file there is enforced).
    pub write_lock: bool,
    /// Record every file and remote URL read ([`Build::deps`]).
    pub record_deps: bool,
    /// Resource files already parsed by other builds, by content (None: parse every file).
    pub parse_cache: Option<std::sync::Arc<cache::ParseCache>>,
}

/// The kustomization file in `dir` (`kustomization.yaml`, `.yml` or `Kustomization`).
///
/// # Errors
/// None is there, or several are.
pub fn find_kustomization(dir: &Path) -> Result<std::path::PathBuf, KustomizeError> {
    kustomization::find_file(dir)
}

/// The cache of pulled charts and fetched remote bases: `$ROLLOUT_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/rollout`, else `~/.cache/rollout`; None when none of them is set.
pub fn cache_dir() -> Option<std::path::PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = env("ROLLOUT_CACHE_DIR") {
        return Some(d.into());
    }
    if let Some(d) = env("XDG_CACHE_HOME") {
        return Some(std::path::PathBuf::from(d).join("rollout"));
    }
    env("HOME").map(|h| std::path::PathBuf::from(h).join(".cache").join("rollout"))
}

/// Builds `dir` with explicit options.
///
/// # Errors
/// As [`build`].
pub fn build_with(dir: &Path, opts: &BuildOptions) -> Result<Build, KustomizeError> {
    loader::build(dir, opts).1
}

/// [`build_with`] on the calling thread, which must have [`BUILD_STACK_BYTES`] of stack (a thread
/// made with `std::thread::Builder::stack_size`): for callers that run many small builds on
/// their own workers and would otherwise pay for a fresh thread per build.
///
/// # Errors
/// As [`build`].
pub fn build_on_this_thread(dir: &Path, opts: &BuildOptions) -> Result<Build, KustomizeError> {
    loader::build_here(dir, opts).1
}

/// The stack a thread running [`build_on_this_thread`] needs (address space; pages are touched
/// only as deep as the input nests).
pub const BUILD_STACK_BYTES: usize = loader::BUILD_STACK_BYTES;

/// Like [`build_with`], and the deprecation warnings kustomize would have printed before the
/// build ended, successful or not.
pub fn build_reporting(
    dir: &Path,
    opts: &BuildOptions,
) -> (Vec<String>, Result<Build, KustomizeError>) {
    loader::build(dir, opts)
}

/// Like [`build`] but without per-node source positions (each resource's origin still names its
/// file, document and first line): about twice as fast and half the memory on large trees. Used
/// by `rollout render`.
///
/// # Errors
/// As [`build`].
pub fn build_fast(dir: &Path) -> Result<Build, KustomizeError> {
    build_with(dir, &BuildOptions::default())
}

/// The cores this process may use, asked once: `available_parallelism` reads the cgroup files
/// on every call, which costs more than a small build.
pub fn cores() -> usize {
    crate::fsutil::cores()
}

/// Prints a build's resources as `kubectl kustomize` does (documents separated by `---`).
pub fn render_to_string(build: &Build) -> String {
    render_parts(build).concat()
}

/// [`render_to_string`] in parts that are printed one after the other: large builds are
/// emitted on all cores, a part each, and the parts are not copied into one string.
pub fn render_parts(build: &Build) -> Vec<String> {
    stream::all_parts(&build.resources)
}

/// Options of `rollout render`.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The kustomization directory.
    pub dir: std::path::PathBuf,
    /// Write the stream here (atomically) instead of returning it for stdout.
    pub output: Option<std::path::PathBuf>,
    /// Build flags.
    pub build: BuildOptions,
}

/// What `rollout render` produced.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The YAML stream in parts, emitted as they are printed one after the other; none when it
    /// was written to `output`. It holds the rendered resources.
    pub stdout: Emitter,
    /// Warnings for stderr, one per line.
    pub warnings: Vec<String>,
}

/// Builds `opts.dir` and returns (or writes) the YAML stream.
///
/// # Errors
/// Any build error, or the output file cannot be written.
pub fn render(opts: &RenderOptions) -> Result<Rendered, KustomizeError> {
    render_reporting(opts, &mut Vec::new())
}

/// [`render`], leaving in `warnings` what kustomize would have printed on stderr before the
/// build ended, also when it fails.
///
/// # Errors
/// As [`render`].
pub fn render_reporting(
    opts: &RenderOptions,
    warnings: &mut Vec<String>,
) -> Result<Rendered, KustomizeError> {
    let (shown, built) = build_reporting(&opts.dir, &opts.build);
    *warnings = shown;
    let b = built?;
    match &opts.output {
        Some(path) => {
            crate::fsutil::write_atomic(path, render_to_string(&b).as_bytes())
                .map_err(KustomizeError::Write)?;
            Ok(Rendered {
                stdout: Emitter::finished(b.resources),
                warnings: b.warnings,
            })
        }
        None => Ok(Rendered {
            stdout: Emitter::new(b.resources),
            warnings: b.warnings,
        }),
    }
}
