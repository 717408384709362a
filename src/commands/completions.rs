//! `rollout completions`: print a shell completion script generated from the clap command tree.

use clap::CommandFactory;

use super::{CommandError, Output};
use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> Result<Output, CommandError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rollout", &mut script);
    Ok(Output {
        stdout: String::from_utf8(script)?,
        // A script, not data: mask only registered secrets, never rewrite what looks like one.
        verbatim: true,
        ..Default::default()
    })
}
