//! `rollout rollback [--env ENV] [--sync APP]`: write the rollback overlay through the generator,
//! then (with `--sync`) hand it to Argo CD via `rollout::argocd::rollback::run`.

use rollout::argocd::rollback::{self, RollbackOptions, RollbackOverlay};
use rollout::exit::Outcome;
use rollout::generate::{self, GenerateOptions};

use super::{CommandError, Output, sync};
use crate::cli::{RollbackArgs, SpecArgs};

pub fn run(args: RollbackArgs) -> Result<Output, CommandError> {
    if args.sync.is_none() {
        let a = &args.argo;
        let given = [
            (a.token_file.is_some(), "--token-file"),
            (a.revision.is_some(), "--revision"),
            (a.prune, "--prune"),
            (a.dry_run, "--dry-run"),
            (!a.sync_options.is_empty(), "--sync-option"),
            (a.insecure, "--insecure"),
            (a.no_wait_for_operation, "--no-wait-for-operation"),
            (a.degraded_grace.is_some(), "--degraded-grace"),
            (a.evidence.is_some(), "--evidence"),
        ];
        if let Some((_, flag)) = given.iter().find(|(set, _)| *set) {
            return Err(format!("{flag} only applies with --sync APP").into());
        }
    }
    let sync_opts = match &args.sync {
        Some(app) => Some(sync::sync_options(app, &args.argo)?),
        None => None,
    };
    let env = match &args.env {
        Some(e) => e.clone(),
        None => {
            let spec = rollout::spec::load(&args.spec.spec)?;
            spec.only_environment()
                .map(str::to_string)
                .map_err(|choices| {
                    format!(
                        "{} has {} environments: say which to roll back with --env; choose from: {}",
                        args.spec.spec.display(),
                        choices.len(),
                        choices.join(", ")
                    )
                })?
        }
    };
    let opts = RollbackOptions {
        env,
        sync: sync_opts,
    };
    let spec = args.spec.clone();
    let mut write = move |env: &str| write_rollback_overlay(&spec, env);
    let (spec, env, app) = (
        args.spec.clone(),
        opts.env.clone(),
        args.sync.clone().unwrap_or_default(),
    );
    let mut published = move |_: &RollbackOverlay| check_published(&spec, &env, &app);
    let mut progress = sync::stderr_progress();
    let report = rollback::run(&opts, &mut write, &mut published, &mut |e| {
        progress.event(e)
    });
    progress.finish();
    let report = report?;

    let mut out = Output::default();
    let o = &report.overlay;
    out.stderr.push_str(&format!(
        "rollback overlay {}: {}\n",
        o.dir.display(),
        if o.changed.is_empty() {
            "unchanged".to_string()
        } else {
            format!("{} file(s) written", o.changed.len())
        }
    ));
    let findings = report.has_findings();
    if let Some(s) = report.sync {
        let synced = sync::finish(s, &args.argo)?;
        out.stdout.push_str(&synced.stdout);
        out.stderr.push_str(&synced.stderr);
    }
    out.outcome = Outcome::from_findings(findings);
    Ok(out)
}

/// The one call into the generator: writes `overlays/<env>-rollback/` (flags at their rollback
/// values) exactly as `rollout generate --rollback --env <env>` does, and returns the directory
/// and the files it wrote or deleted (unchanged files are not listed).
fn write_rollback_overlay(
    spec_args: &SpecArgs,
    env: &str,
) -> Result<RollbackOverlay, Box<dyn std::error::Error + Send + Sync>> {
    let root = super::spec_root(&spec_args.spec);
    let _lock = rollout::fsutil::RepoLock::acquire(&root, "rollout rollback")?;
    let (spec, watched) = rollout::spec::load_watched(&spec_args.spec)?;
    let layout = rollout::layout::Layout::discover(&spec, &spec_args.spec);
    let opts = GenerateOptions {
        env: Some(env.to_string()),
        rollback: true,
    };
    let (applied, _) = generate::write(&spec, &layout, &opts, &[&watched])?;
    let mut changed = applied.written;
    changed.extend(applied.deleted);
    Ok(RollbackOverlay {
        dir: layout.shown(&layout.overlay_dir(env, true)),
        source_path: layout.source_path(env, true),
        changed,
    })
}

/// Asks git whether the rollback overlay of `env` and the Application `app` (its file under the
/// environment's Argo CD directory, else that directory) are committed and pushed.
fn check_published(
    spec_args: &SpecArgs,
    env: &str,
    app: &str,
) -> Result<Option<String>, Box<dyn std::error::Error + Send + Sync>> {
    let spec = rollout::spec::load(&spec_args.spec)?;
    let layout = rollout::layout::Layout::discover(&spec, &spec_args.spec);
    let root = if layout.root.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        layout.root.clone()
    };
    let app_file = layout.application_file(env, app);
    let app_path = if root.join(&app_file).exists() {
        app_file
    } else {
        layout.applications_dir(env)
    };
    let paths = [layout.overlay_dir(env, true), app_path];
    let state = rollout::git::unpublished(&root, &paths)?;
    Ok(state.advice(|p| layout.shown(p)))
}
