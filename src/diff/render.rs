//! The one place `rollout diff` gets rendered manifests from: a kustomization directory built with
//! our own kustomize engine (`rollout::kustomize`), or a pre-rendered YAML file read as is.
//!
//! Owns nothing but that adapter.

use std::path::Path;

use crate::fsutil::{self, FsError};
use crate::kustomize::KustomizeError;
use crate::resource::{LoadError, ResourceList, parse_resources, parse_resources_untracked};

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
    /// The kustomization could not be built.
    #[error(transparent)]
    Kustomize(#[from] KustomizeError),
}

/// Renders `path`: a directory is built as a kustomization; a YAML file is read as is, without
/// per-node positions (the diff needs none; [`render_located`] reads them when a message does).
///
/// # Errors
/// When a file cannot be read or parsed, or the kustomization cannot be built.
pub fn render_dir(path: &Path) -> Result<Rendered, RenderError> {
    render(path, false)
}

/// [`render_dir`] with the position of every node of a pre-rendered file, for messages that
/// point inside a document.
///
/// # Errors
/// As [`render_dir`].
pub fn render_located(path: &Path) -> Result<Rendered, RenderError> {
    render(path, true)
}

fn render(path: &Path, located: bool) -> Result<Rendered, RenderError> {
    if path.is_dir() {
        let build = crate::kustomize::build_fast(path)?;
        return Ok(Rendered {
            resources: build.resources,
            warnings: build.warnings,
        });
    }
    let text = fsutil::read_to_string(path)?;
    let resources = if located {
        parse_resources(&text, path)?
    } else {
        parse_resources_untracked(&text, path)?
    };
    Ok(Rendered {
        resources,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_kustomization_directory() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
        let file = render_dir(&fixtures.join("rendered-staging.yaml")).unwrap();
        let dir = render_dir(&fixtures.join("overlays/staging")).unwrap();
        assert_eq!(file.resources.len(), 12);
        let values = |r: &Rendered| {
            r.resources
                .iter()
                .map(|r| r.value.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&dir), values(&file));
        assert!(dir.warnings.is_empty());
    }
}
