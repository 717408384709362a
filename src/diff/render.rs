//! The one place `rollout diff` gets rendered manifests from (an adapter until the kustomize engine
//! lands): a pre-rendered YAML file, or a kustomization that only lists resource files and
//! directories.
//!
//! Owns nothing but that adapter; any kustomization field that would transform resources is an
//! error naming the field, never silently ignored.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fsutil::{self, FsError};
use crate::resource::{LoadError, ResourceList, parse_resources};
use crate::yaml::{self, YamlError};

/// The rendered manifests and any warnings the renderer printed.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// The resources, in output order.
    pub resources: ResourceList,
    /// Renderer warnings (deprecated fields and the like).
    pub warnings: Vec<String>,
}

/// A target that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file could not be read.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A manifest is not valid YAML.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The kustomization file is not valid YAML.
    #[error("{}:{source}", file.display())]
    Kustomization {
        /// The kustomization file.
        file: PathBuf,
        /// What was wrong.
        #[source]
        source: YamlError,
    },
    /// A directory without a kustomization file.
    #[error("{}: no kustomization.yaml, kustomization.yml or Kustomization in the directory", dir.display())]
    NoKustomization {
        /// The directory.
        dir: PathBuf,
    },
    /// A field this adapter cannot apply (needs the kustomize engine).
    #[error(
        "{file}: field `{field}` needs the kustomize engine, which this build does not have yet; render with `kubectl kustomize` and pass the YAML file"
    )]
    Unsupported {
        /// The kustomization file (with line:col).
        file: String,
        /// The field.
        field: String,
    },
    /// A `resources:` entry that is not a local file or directory.
    #[error("{file}: resource {entry:?} is not a local file or directory")]
    BadResource {
        /// The kustomization file (with line:col).
        file: String,
        /// The entry.
        entry: String,
    },
}

const KUSTOMIZATION_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Renders `path`: a YAML file is read as is; a directory must hold a kustomization that only
/// lists `resources:` (files and directories, read in order, recursively).
///
/// At merge with the render engine this becomes `crate::kustomize::build(path)` for directories.
///
/// # Errors
/// When a file cannot be read or parsed, or the kustomization uses a field this adapter cannot apply.
pub fn render_dir(path: &Path) -> Result<Rendered, RenderError> {
    let mut out = Rendered::default();
    if path.is_dir() {
        load_kustomization(path, &mut out, 0)?;
    } else {
        let text = fsutil::read_to_string(path)?;
        out.resources = parse_resources(&text, path)?;
    }
    Ok(out)
}

fn load_kustomization(dir: &Path, out: &mut Rendered, depth: usize) -> Result<(), RenderError> {
    let file = KUSTOMIZATION_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| RenderError::NoKustomization {
            dir: dir.to_path_buf(),
        })?;
    let text = fsutil::read_to_string(&file)?;
    let doc = yaml::parse_document(&text).map_err(|source| RenderError::Kustomization {
        file: file.clone(),
        source,
    })?;
    let at = |pointer: &str| {
        let pos = doc
            .locations
            .key(pointer)
            .or_else(|| doc.locations.nearest(pointer))
            .map(|p| p.to_string())
            .unwrap_or_else(|| "1:1".into());
        format!("{}:{pos}", file.display())
    };
    if let Some(map) = doc.value.as_object() {
        for key in map.keys() {
            if !matches!(key.as_str(), "apiVersion" | "kind" | "resources") {
                return Err(RenderError::Unsupported {
                    file: at(&format!("/{key}")),
                    field: key.clone(),
                });
            }
        }
    }
    let entries = doc
        .value
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, entry) in entries.iter().enumerate() {
        let pointer = format!("/resources/{i}");
        let Some(rel) = entry.as_str() else {
            return Err(RenderError::BadResource {
                file: at(&pointer),
                entry: entry.to_string(),
            });
        };
        let p = dir.join(rel);
        if rel.contains("://") || !(p.is_file() || p.is_dir()) || depth > 32 {
            return Err(RenderError::BadResource {
                file: at(&pointer),
                entry: rel.to_string(),
            });
        }
        if p.is_dir() {
            load_kustomization(&p, out, depth + 1)?;
        } else {
            let text = fsutil::read_to_string(&p)?;
            out.resources.extend(parse_resources(&text, &p)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff")
    }

    #[test]
    fn file_and_plain_kustomization() {
        let r = render_dir(&fixtures().join("rendered-staging.yaml")).unwrap();
        assert_eq!(r.resources.len(), 12);
        let b = render_dir(&fixtures().join("overlays/base")).unwrap();
        assert_eq!(b.resources.len(), 12);
        assert_eq!(
            b.resources[1].id().to_string(),
            "v1.ConfigMap.media.auth-config"
        );
    }

    #[test]
    fn transforming_fields_are_refused_with_position() {
        let err = render_dir(&fixtures().join("overlays/staging"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("kustomization.yaml:3:1: field `images` needs the kustomize engine"),
            "{err}"
        );
    }
}
