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

/// Whether `dir` holds a kustomization file.
pub fn is_kustomization_dir(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
