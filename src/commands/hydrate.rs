//! `rollout hydrate`: each service's chart through `helm template` into overlays/base/.

use rollout::exit::Outcome;
use rollout::fileset;
use rollout::hydrate::{self, Helm};

use super::{CommandError, Output, spec_root};
use crate::cli::HydrateArgs;

pub fn run(args: HydrateArgs) -> Result<Output, CommandError> {
    let root = spec_root(&args.spec.spec);
    let _lock = super::lock(&root, "rollout hydrate")?;
    let (spec, watched) = rollout::spec::load_watched(&args.spec.spec)?;
    let layout = rollout::layout::Layout::discover(&spec, &args.spec.spec);
    let helm = Helm::locate(args.helm.as_deref())?;
    let set = hydrate::hydrate(&spec, &layout, &helm)?;
    let changes = fileset::plan(&root, &set)?;
    if args.check {
        if changes.is_empty() {
            return Ok(Output {
                stderr: format!(
                    "{} is up to date (helm {})\n",
                    layout.shown(layout.base_dir()).display(),
                    helm.version
                ),
                ..Default::default()
            });
        }
        return Ok(Output {
            stdout: fileset::check_report(&changes, "rollout hydrate"),
            outcome: Outcome::Findings,
            ..Default::default()
        });
    }
    let applied = fileset::apply(&root, &changes, &[&watched])?;
    Ok(Output {
        stderr: super::summary(&applied, set.files.len(), &layout),
        ..Default::default()
    })
}
