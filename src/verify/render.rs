//! The single call site through which `verify` renders a kustomization directory (with our own
//! kustomize engine, `rollout::kustomize`).
//!
//! Owns nothing but the adapter.

use std::path::Path;

use crate::resource::ResourceList;

/// Renders a kustomization directory into resources (with source positions, so findings keep
/// file:line:col).
///
/// # Errors
/// The directory cannot be rendered (the message names the file and field).
pub fn render_dir(dir: &Path) -> Result<ResourceList, String> {
    crate::kustomize::build(dir)
        .map(|b| b.resources)
        .map_err(|e| e.to_string())
}

/// [`render_dir`], with the files the build read (to tell which files of the directory the
/// kustomization does not use).
///
/// # Errors
/// As [`render_dir`].
pub fn render_dir_reading(dir: &Path) -> Result<(ResourceList, Vec<std::path::PathBuf>), String> {
    let opts = crate::kustomize::BuildOptions {
        positions: true,
        record_deps: true,
        ..Default::default()
    };
    crate::kustomize::build_with(dir, &opts)
        .map(|b| {
            let reads = b
                .deps
                .map(|d| d.files.into_iter().collect())
                .unwrap_or_default();
            (b.resources, reads)
        })
        .map_err(|e| e.to_string())
}

/// Whether `path` is a kustomization file by its name.
pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

/// Whether `dir` holds a kustomization file.
pub fn is_kustomization_dir(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
