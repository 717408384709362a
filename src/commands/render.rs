//! `rollout render DIR [-o FILE]`: build a kustomization with the built-in engine.

use rollout::exit::Outcome;
use rollout::kustomize::helm::HelmOptions;
use rollout::kustomize::{BuildOptions, LoadRestrictor, RenderOptions, Reorder, render_reporting};

use super::{CommandError, Output};
use crate::cli::RenderArgs;

/// Runs `rollout render`.
pub fn run(args: RenderArgs) -> Result<Output, CommandError> {
    let mut stderr = String::new();
    let reorder = match args.reorder.as_deref() {
        None => Reorder::Unspecified,
        Some(v) => {
            // kubectl kustomize says this before anything else, whatever the build does.
            eprintln!(
                "Flag --reorder has been deprecated, use the new 'sortOptions' field in kustomization.yaml instead."
            );
            if v == "none" {
                Reorder::None
            } else {
                Reorder::Legacy
            }
        }
    };
    if args.enable_managedby_label {
        eprintln!(
            "Flag --enable-managedby-label has been deprecated, The flag `enable-managedby-label` has been deprecated. Use the `managedByLabel` option in the `buildMetadata` field instead."
        );
    }
    let opts = RenderOptions {
        build: build_options(&args, reorder),
        dir: args.dir,
        output: args.output,
    };
    let mut shown = Vec::new();
    let r = match render_reporting(&opts, &mut shown) {
        Ok(r) => r,
        Err(e) => {
            // kustomize has printed its deprecation warnings by the time a build fails.
            for w in &shown {
                eprintln!("{w}");
            }
            return Err(e.into());
        }
    };
    for w in &r.warnings {
        stderr.push_str(w);
        stderr.push('\n');
    }
    Ok(Output {
        stdout_parts: super::Parts::new(r.stdout),
        stderr,
        outcome: Outcome::Clean,
        verbatim: true,
        ..Default::default()
    })
}

/// The helm flags as build options.
/// The engine's options for render's flags (`--reorder` resolved by the caller).
pub fn build_options(args: &RenderArgs, reorder: Reorder) -> BuildOptions {
    BuildOptions {
        positions: false,
        reorder,
        managed_by_label: args.enable_managedby_label,
        load_restrictor: if args.load_restrictor == "LoadRestrictionsNone" {
            LoadRestrictor::None
        } else {
            LoadRestrictor::RootOnly
        },
        helm: helm_options(&args.helm),
        cache_dir: rollout::kustomize::cache_dir(),
        offline: args.offline,
        write_lock: args.lock,
        record_deps: false,
        parse_cache: None,
    }
}

pub fn helm_options(a: &crate::cli::HelmArgs) -> HelmOptions {
    HelmOptions {
        enabled: a.enable_helm,
        command: a.helm_command.clone(),
        kube_version: a.helm_kube_version.clone().filter(|v| !v.is_empty()),
        api_versions: a.helm_api_versions.clone(),
        debug: a.helm_debug,
    }
}
