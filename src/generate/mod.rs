//! `rollout generate`: from the spec to the files committed in git: the environment overlay, the
//! rollback overlay, the per-environment Helm values files and the Argo CD Applications.
//!
//! Owns what those files contain. Building them is pure ([`overlay`], [`values`]); the only I/O here
//! is reading each service's base values file.

pub mod applications;
pub mod overlay;
pub mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fileset::{self, Applied, FileSet};
use crate::fsutil::{self, FsError};
use crate::spec::Spec;
use crate::yaml;

/// The annotation recording the base image on each workload.
pub const BASE_IMAGE_ANNOTATION: &str = "rollout.sploot.io/base-image";
/// The label marking every object of an environment overlay.
pub const ENVIRONMENT_LABEL: &str = "rollout.sploot.io/environment";

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

/// The overlay directory of an environment (`overlays/staging`, `overlays/staging-rollback`).
pub fn overlay_dir(env: &str, rollback: bool) -> PathBuf {
    if rollback {
        PathBuf::from(format!("overlays/{env}-rollback"))
    } else {
        PathBuf::from(format!("overlays/{env}"))
    }
}

/// Every file `rollout generate` owns for `opts`. `root` is the directory holding rollout.yaml.
///
/// # Errors
/// An unknown environment, or a base values file that cannot be read or parsed.
pub fn plan(spec: &Spec, root: &Path, opts: &GenerateOptions) -> Result<FileSet, GenerateError> {
    let envs = environments(spec, opts.env.as_deref())?;
    let mut set = FileSet::default();
    for env in &envs {
        set.extend(overlay::files(spec, env, true));
    }
    if !opts.rollback {
        for env in &envs {
            set.extend(overlay::files(spec, env, false));
        }
        let base = read_base_values(spec, root)?;
        for env in &envs {
            set.extend(values::files(spec, env, &base));
            set.extend(applications::files(spec, env)?);
        }
    }
    Ok(set)
}

/// Each service's base values (`charts/<chart>/values-<service>.yaml`), `Null` when absent.
fn read_base_values(spec: &Spec, root: &Path) -> Result<BTreeMap<String, Value>, GenerateError> {
    let mut out = BTreeMap::new();
    for svc in &spec.services {
        let path = root.join(spec.chart.values_path(&svc.name));
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

/// Plans and writes the files for `opts` under `root` (what `rollout generate` and
/// `rollout rollback` do).
///
/// # Errors
/// As [`plan`], a file that cannot be written, or an input in `inputs` (the spec) that changed
/// since it was read (then nothing is written).
pub fn write(
    spec: &Spec,
    root: &Path,
    opts: &GenerateOptions,
    inputs: &[&fsutil::Watched],
) -> Result<(Applied, usize), GenerateError> {
    let set = plan(spec, root, opts)?;
    let changes = fileset::plan(root, &set)?;
    Ok((fileset::apply(root, &changes, inputs)?, set.files.len()))
}
