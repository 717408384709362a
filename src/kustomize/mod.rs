//! Our own kustomize v5 engine: builds a kustomization directory into the resource list that
//! `kubectl kustomize` prints, byte for byte.
//!
//! Owns the build pipeline (load, generate, transform, name references, hashes, order). Reads
//! files only through the loader; prints nothing (warnings are returned in [`Build`]).

mod error;
pub mod fieldspec;
mod generators;
mod kustomization;
mod loader;
mod nameref;
mod order;
pub mod patches;
mod replacements;
mod resmap;
pub mod schema;
mod selector;
pub mod transformers;
mod vars;

use std::path::Path;

pub use error::KustomizeError;

use crate::resource::ResourceList;

/// The result of a build: the resources in output order and the warnings kustomize would print.
#[derive(Debug, Clone, Default)]
pub struct Build {
    /// The rendered resources, in kustomize's output order.
    pub resources: ResourceList,
    /// Deprecation warnings, one line each, exactly as kustomize prints them on stderr.
    pub warnings: Vec<String>,
}

/// Builds the kustomization in `dir` as `kubectl kustomize DIR` does.
///
/// # Errors
/// Malformed YAML, a missing file, a cycle between kustomizations, a resource id conflict, a
/// patch that matches nothing, or a field we do not support; each names the file (and the line
/// and column where there is one).
pub fn build(dir: &Path) -> Result<Build, KustomizeError> {
    loader::build(dir)
}

/// Prints a build's resources as `kubectl kustomize` does (documents separated by `---`).
pub fn render_to_string(build: &Build) -> String {
    crate::yaml::emit_stream(build.resources.iter().map(|r| &r.value))
}

/// Options of `rollout render`.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The kustomization directory.
    pub dir: std::path::PathBuf,
    /// Write the stream here (atomically) instead of returning it for stdout.
    pub output: Option<std::path::PathBuf>,
}

/// What `rollout render` produced.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The YAML stream, empty when it was written to `output`.
    pub stdout: String,
    /// Warnings for stderr, one per line.
    pub warnings: Vec<String>,
}

/// Builds `opts.dir` and returns (or writes) the YAML stream.
///
/// # Errors
/// Any build error, or the output file cannot be written.
pub fn render(opts: &RenderOptions) -> Result<Rendered, KustomizeError> {
    let b = build(&opts.dir)?;
    let text = render_to_string(&b);
    match &opts.output {
        Some(path) => {
            crate::fsutil::write_atomic(path, text.as_bytes()).map_err(KustomizeError::Write)?;
            Ok(Rendered {
                stdout: String::new(),
                warnings: b.warnings,
            })
        }
        None => Ok(Rendered {
            stdout: text,
            warnings: b.warnings,
        }),
    }
}
