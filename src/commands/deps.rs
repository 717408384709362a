//! `rollout deps DIR`: every local file and remote URL a build of DIR reads, for Argo CD's
//! `manifest-generate-paths` (a commit refreshes only the Applications whose inputs it touches).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rollout::kustomize::{Reorder, build_with};

use super::{CommandError, Output};
use crate::cli::DepsArgs;

/// Runs `rollout deps`.
pub fn run(args: DepsArgs) -> Result<Output, CommandError> {
    let mut opts = super::render::build_options(&args.render, Reorder::Unspecified);
    opts.record_deps = true;
    let dir = &args.render.dir;
    let built = build_with(dir, &opts)?;
    let deps = built.deps.unwrap_or_default();
    // Files inside fetched remote roots are the URL's, not the repository's.
    let cache = rollout::kustomize::cache_dir();
    let local: BTreeSet<&PathBuf> = deps
        .files
        .iter()
        .filter(|f| cache.as_ref().is_none_or(|c| !f.starts_with(c)))
        .collect();
    let mut stdout = String::new();
    if args.manifest_generate_paths {
        let dirs: BTreeSet<String> = local
            .iter()
            .map(|f| {
                let parent = f.parent().unwrap_or(Path::new("."));
                let rel = rollout::layout::relative(
                    &rollout::layout::normal(dir),
                    &rollout::layout::normal(parent),
                );
                if rel.as_os_str().is_empty() {
                    ".".to_string()
                } else {
                    rel.display().to_string()
                }
            })
            .collect();
        let value = dirs.into_iter().collect::<Vec<_>>().join(";");
        stdout.push_str(&format!(
            "argocd.argoproj.io/manifest-generate-paths: {value}\n"
        ));
    } else {
        for f in local {
            stdout.push_str(&format!("{}\n", rollout::layout::normal(f).display()));
        }
        for u in &deps.urls {
            stdout.push_str(&format!("{u}\n"));
        }
    }
    Ok(Output {
        stdout,
        ..Default::default()
    })
}
