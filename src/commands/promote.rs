//! `rollout promote FROM TO`: edit rollout.yaml so TO takes FROM's images and flag values, then
//! regenerate; the result is a git diff to review. Nothing is written when any step fails.

use rollout::generate::{self, GenerateOptions};
use rollout::layout::Layout;
use rollout::promote;

use super::{CommandError, Output};
use crate::cli::PromoteArgs;

fn shown(v: &Option<String>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "(unset)".to_string(),
    }
}

pub fn run(args: PromoteArgs) -> Result<Output, CommandError> {
    let path = &args.spec.spec;
    let root = super::spec_root(path);
    let _lock = super::lock(&root, "rollout promote")?;
    let (text, watched) = rollout::fsutil::Watched::read(path)?;
    let spec = rollout::spec::parse(&text, path)?;
    let changes = promote::changes(&spec, &args.from, &args.to)?;
    let mut out = Output::default();
    if changes.is_empty() {
        out.stderr = format!(
            "{} already runs {}'s images and flag values: nothing to change\n",
            args.to, args.from
        );
        return Ok(out);
    }
    let edited = promote::edit(&text, &path.display().to_string(), &changes)?;
    // The edited spec must be valid and generate, or nothing is written.
    let new_spec = rollout::spec::parse(&edited, path)?;
    let layout = Layout::discover(&new_spec, path);
    let set = generate::plan(&new_spec, &layout, &GenerateOptions::default())?;
    let planned = rollout::fileset::plan(&layout.root, &set)?;
    out.stderr
        .push_str(&format!("promote {} to {}:\n", args.from, args.to));
    for c in &changes {
        out.stderr.push_str(&format!(
            "  {}: {} -> {}\n",
            c.what,
            shown(&c.before),
            shown(&c.after)
        ));
    }
    // Not over a version someone saved since it was read.
    watched.unchanged()?;
    rollout::fsutil::write_atomic(path, edited.as_bytes())?;
    out.stderr.push_str(&format!("wrote {}\n", path.display()));
    let applied = rollout::fileset::apply(&layout.root, &planned, &[])?;
    out.stderr
        .push_str(&super::summary(&applied, set.files.len(), &layout));
    out.stderr
        .push_str("review the change with `git diff`, then commit it\n");
    Ok(out)
}
