//! `rollout generate`: from the spec to the files committed in git: the environment overlay, the
//! rollback overlay, the per-environment Helm values files and the Argo CD Applications.
//!
//! Owns what those files contain. Building them is pure ([`overlay`], [`values`], [`applications`]);
//! the only I/O here is reading the base (rendered with our kustomize engine, so patches target
//! what it really contains) and each service's base values file. Where the files go is
//! [`crate::layout`]'s.

pub mod applications;
pub mod overlay;
pub mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::value::Value;

use crate::fileset::{self, Applied, FileSet};
use crate::fsutil::{self, FsError};
use crate::layout::Layout;
use crate::spec::Spec;
use crate::target::{self, Target};
use crate::yaml;

/// The annotation recording the base image on each workload: `<domain>/base-image`.
pub fn base_image_annotation(spec: &Spec) -> String {
    spec.key("base-image")
}

/// The label marking every object of an environment overlay: `<domain>/environment`.
pub fn environment_label(spec: &Spec) -> String {
    spec.key("environment")
}

/// What to generate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateOptions {
    /// One environment, or every environment of the spec.
    pub env: Option<String>,
    /// Only the rollback overlay (flags at their rollback values). Without it, everything is
    /// generated: overlay, rollback overlay and values files.
    pub rollback: bool,
}

/// A generate failure.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// `--env` names an environment the spec does not have.
    #[error("unknown environment `{env}`; choose from: {}", choices.join(", "))]
    UnknownEnvironment {
        /// What was asked for.
        env: String,
        /// The spec's environments.
        choices: Vec<String>,
    },
    /// The spec gives an Argo CD Application an invalid field.
    #[error(transparent)]
    Application(#[from] crate::argocd::application::ApplicationError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] FsError),
    /// The base could not be rendered.
    #[error("cannot read the base {}{}", dir.display(), if *chart { " (run `rollout hydrate` to render the chart into it)" } else { "" })]
    Base {
        /// The base directory, as shown.
        dir: PathBuf,
        /// Whether the base is a hydrated chart.
        chart: bool,
        /// The render error.
        #[source]
        source: crate::kustomize::KustomizeError,
    },
    /// A service does not match the base.
    #[error("{at}: {source}")]
    Target {
        /// `file:line:col` in the spec.
        at: String,
        /// What is wrong.
        #[source]
        source: target::TargetError,
    },
    /// The services of one environment need different namespaces, which one overlay cannot give.
    #[error("{at}: {message}")]
    Namespace {
        /// `file:line:col` in the spec.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A base values file is not valid YAML.
    #[error("{}:{source}", path.display())]
    Values {
        /// The values file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: yaml::YamlError,
    },
}

/// The environments selected by `opts`.
///
/// # Errors
/// [`GenerateError::UnknownEnvironment`].
pub fn environments<'a>(spec: &'a Spec, env: Option<&str>) -> Result<Vec<&'a str>, GenerateError> {
    match env {
        None => Ok(spec.environments.keys().map(String::as_str).collect()),
        Some(e) => match spec.environments.get_key_value(e) {
            Some((k, _)) => Ok(vec![k.as_str()]),
            None => Err(GenerateError::UnknownEnvironment {
                env: e.to_string(),
                choices: spec.environments.keys().cloned().collect(),
            }),
        },
    }
}

/// Renders the base and resolves every service's workload in it.
///
/// # Errors
/// [`GenerateError::Base`] or [`GenerateError::Target`].
pub fn targets(spec: &Spec, layout: &Layout) -> Result<Vec<Target>, GenerateError> {
    let dir = layout.root.join(layout.base_dir());
    let shown = layout.shown(layout.base_dir());
    let build = crate::kustomize::build(&dir).map_err(|source| GenerateError::Base {
        dir: shown.clone(),
        chart: spec.chart.is_some(),
        source,
    })?;
    target::resolve(spec, &build.resources, &shown.display().to_string()).map_err(|source| {
        GenerateError::Target {
            at: spec.position(&source.pointer),
            source,
        }
    })
}

/// Every file `rollout generate` owns for `opts`, for the spec laid out as `layout`.
///
/// # Errors
/// An unknown environment, a base that cannot be rendered or lacks a service's workload, or a base
/// values file that cannot be read or parsed.
pub fn plan(
    spec: &Spec,
    layout: &Layout,
    opts: &GenerateOptions,
) -> Result<FileSet, GenerateError> {
    let envs = environments(spec, opts.env.as_deref())?;
    let targets = targets(spec, layout)?;
    let mut set = FileSet::default();
    for env in &envs {
        set.extend(overlay::files(spec, layout, &targets, env, true)?);
    }
    if !opts.rollback {
        for env in &envs {
            set.extend(overlay::files(spec, layout, &targets, env, false)?);
        }
        let base = read_base_values(spec, &layout.root)?;
        set.stale = values::stale(spec, &layout.root, &envs).map_err(|source| fsutil::FsError {
            action: "cannot list",
            path: layout
                .root
                .join(spec.chart.as_ref().map_or(Path::new(""), |c| &c.path)),
            source,
        })?;
        for env in &envs {
            set.extend(values::files(spec, env, &base));
            set.extend(applications::files(spec, layout, env)?);
        }
    }
    Ok(set)
}

/// Each service's base values (`charts/<chart>/values-<service>.yaml`), `Null` when absent; empty
/// without a chart.
fn read_base_values(spec: &Spec, root: &Path) -> Result<BTreeMap<String, Value>, GenerateError> {
    let mut out = BTreeMap::new();
    let Some(chart) = &spec.chart else {
        return Ok(out);
    };
    for svc in &spec.services {
        let path = root.join(chart.values_path(&svc.name));
        let value = if path.is_file() {
            let text = fsutil::read_to_string(&path)?;
            yaml::parse_document(&text)
                .map_err(|source| GenerateError::Values {
                    path: path.clone(),
                    source,
                })?
                .value
        } else {
            Value::Null
        };
        out.insert(svc.name.clone(), value);
    }
    Ok(out)
}

/// Prefixes a generated YAML body with the do-not-edit header.
pub(crate) fn with_header(body: String) -> String {
    crate::hydrate::generated_header("rollout generate") + &body
}

/// Plans and writes the files for `opts` under the layout's root (what `rollout generate` and
/// `rollout rollback` do).
///
/// # Errors
/// As [`plan`], a file that cannot be written, or an input in `inputs` (the spec) that changed
/// since it was read (then nothing is written).
pub fn write(
    spec: &Spec,
    layout: &Layout,
    opts: &GenerateOptions,
    inputs: &[&fsutil::Watched],
) -> Result<(Applied, usize), GenerateError> {
    let set = plan(spec, layout, opts)?;
    let changes = fileset::plan(&layout.root, &set)?;
    Ok((
        fileset::apply(&layout.root, &changes, inputs)?,
        set.files.len(),
    ))
}
