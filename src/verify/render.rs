//! The single call site through which `verify` renders a kustomization directory (with our own
//! kustomize engine, `rollout::kustomize`).
//!
//! Owns nothing but the adapter.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::resource::ResourceList;
use crate::yaml::Locations;

/// Renders a kustomization directory into resources.
///
/// # Errors
/// The directory cannot be rendered (the message names the file and field).
pub fn render_dir(dir: &Path) -> Result<ResourceList, String> {
    let mut list = crate::kustomize::build(dir)
        .map(|b| b.resources)
        .map_err(|e| e.to_string())?;
    locate(&mut list);
    Ok(list)
}

/// The engine reads resource files without positions (it is faster so); verify points its findings
/// at file:line:col, so each source file is read again with positions and every resource gets the
/// positions of the document it came from. Fields a transformer added have none and fall back to
/// their nearest ancestor that the source has.
fn locate(list: &mut ResourceList) {
    let mut by_file: HashMap<PathBuf, Option<Vec<Arc<Locations>>>> = HashMap::new();
    for r in list.iter_mut() {
        r.origin.file = lexically_normal(&r.origin.file);
        if r.origin.locations.is_some() || r.origin.file.as_os_str().is_empty() {
            continue;
        }
        let docs = by_file.entry(r.origin.file.clone()).or_insert_with(|| {
            let text = std::fs::read_to_string(&r.origin.file).ok()?;
            let docs = crate::yaml::parse_stream(&text).ok()?;
            Some(docs.into_iter().map(|d| Arc::new(d.locations)).collect())
        });
        if let Some(locs) = docs.as_ref().and_then(|d| d.get(r.origin.document)) {
            r.origin.locations = Some(Arc::clone(locs));
        }
    }
}

/// Whether `dir` holds a kustomization file.
pub fn is_kustomization_dir(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `overlays/staging/../base/x.yaml` → `overlays/base/x.yaml`, without touching the filesystem
/// (symlinks are not followed; a leading `..` stays).
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_lexically() {
        for (given, want) in [
            ("overlays/staging/../base/a.yaml", "overlays/base/a.yaml"),
            ("./a/./b.yaml", "a/b.yaml"),
            ("../x/../y.yaml", "../y.yaml"),
            ("/r/a/../b", "/r/b"),
        ] {
            assert_eq!(
                lexically_normal(Path::new(given)),
                PathBuf::from(want),
                "{given}"
            );
        }
    }
}
