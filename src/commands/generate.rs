//! `rollout generate`: spec → overlays, rollback overlay and values files; `--check` for CI.

use rollout::exit::Outcome;
use rollout::fileset;
use rollout::generate::{self, GenerateOptions};
use rollout::layout::Layout;

use super::{CommandError, Output, spec_root};
use crate::cli::GenerateArgs;

pub fn run(args: GenerateArgs) -> Result<Output, CommandError> {
    let root = spec_root(&args.spec.spec);
    // Writers (and `--check`, which must not see a half-applied set) take turns; the spec is read
    // once, whole, under the lock, before anything is planned.
    let _lock = super::lock(&root, "rollout generate")?;
    let (spec, watched) = rollout::spec::load_watched(&args.spec.spec)?;
    let layout = Layout::discover(&spec, &args.spec.spec);
    let opts = GenerateOptions {
        env: args.env,
        rollback: args.rollback,
    };
    if args.check {
        let set = generate::plan(&spec, &layout, &opts)?;
        let changes = fileset::plan(&root, &set)?;
        if changes.is_empty() {
            return Ok(Output {
                stderr: format!("{} generated files are up to date\n", set.files.len()),
                ..Default::default()
            });
        }
        // Paths and the command to run, as seen from where the user stands.
        let mut fix = String::from("rollout generate");
        if opts.rollback {
            fix.push_str(" --rollback");
        }
        if args.spec.spec != std::path::Path::new("rollout.yaml") {
            fix.push_str(&format!(" --spec {}", args.spec.spec.display()));
        }
        let shown: Vec<fileset::Change> = changes
            .iter()
            .map(|c| c.shown_at(layout.shown(c.path())))
            .collect();
        return Ok(Output {
            stdout: fileset::check_report(&shown, &fix),
            outcome: Outcome::Findings,
            ..Default::default()
        });
    }
    let (applied, total) = generate::write(&spec, &layout, &opts, &[&watched])?;
    Ok(Output {
        stderr: super::summary(&applied, total, &layout),
        ..Default::default()
    })
}
