//! The single call site through which `verify` renders a kustomization directory.
//!
//! Owns nothing but the adapter. MERGE: when `rollout::kustomize` lands, replace the body of
//! [`render_dir`] with the `kustomize::build` call in its doc comment and delete `mod kustomize_shim`
//! (everything below the function).

use std::path::Path;

use crate::resource::ResourceList;

/// Renders a kustomization directory into resources.
///
/// At merge this becomes:
/// `crate::kustomize::build(dir).map(|b| b.resources).map_err(|e| e.to_string())`
///
/// # Errors
/// The directory cannot be rendered (the message names the file and field).
pub fn render_dir(dir: &Path) -> Result<ResourceList, String> {
    kustomize_shim::build(dir)
}

/// Whether `dir` holds a kustomization file.
pub fn is_kustomization_dir(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// TEMPORARY (delete at merge): reads only `resources:` (files and kustomization directories),
/// refuses every other field so nothing is silently ignored.
mod kustomize_shim {
    use std::path::Path;

    use serde_json::Value;

    use super::KUSTOMIZATION_FILES;
    use crate::resource::{ResourceList, parse_resources};

    pub fn build(dir: &Path) -> Result<ResourceList, String> {
        let file = KUSTOMIZATION_FILES
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("{}: no kustomization file", dir.display()))?;
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        let doc =
            crate::yaml::parse_document(&text).map_err(|e| format!("{}:{e}", file.display()))?;
        let mut out = Vec::new();
        let Some(map) = doc.value.as_object() else {
            return Ok(out);
        };
        for key in map.keys() {
            if !matches!(key.as_str(), "apiVersion" | "kind" | "resources") {
                let pos = doc.locations.key(&format!("/{key}")).unwrap_or_default();
                return Err(format!(
                    "{}:{pos}: kustomization field {key:?} is not supported by verify's interim renderer",
                    file.display()
                ));
            }
        }
        for entry in map
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(rel) = entry.as_str() else { continue };
            let path = dir.join(rel);
            if path.is_dir() {
                out.extend(build(&path)?);
            } else {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                out.extend(parse_resources(&text, &path).map_err(|e| e.to_string())?);
            }
        }
        Ok(out)
    }
}
