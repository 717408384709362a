//! One file per subcommand: each turns parsed arguments into the library's options, calls one library
//! function and returns what to print. Nothing here prints; `main.rs` does.

use rollout::exit::Outcome;

use crate::cli::Command;

mod diff;

/// What a command hands back to `main`: text for stdout and stderr, and the outcome.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub outcome: Outcome,
}

/// Any error a command can end with: printed as `error: ...` with its causes, exit 2.
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

/// Runs one parsed command.
pub fn run(command: Command) -> Result<Output, CommandError> {
    match command {
        Command::Diff(args) => diff::run(args),
        Command::Generate(_) | Command::Hydrate(_) | Command::Schema(_) => {
            Err("not wired yet".into())
        }
    }
}
