//! One file per subcommand: each turns parsed arguments into the library's options, calls one library
//! function and returns what to print. Nothing here prints; `main.rs` does.

mod generate;
mod hydrate;
mod init;
mod promote;
mod rollback;
mod schema;
mod status;
mod sync;

mod alerts;
mod completions;
mod dashboards;
mod evidence;

use std::path::{Path, PathBuf};

use rollout::exit::Outcome;
use rollout::fileset::Applied;
use rollout::layout::Layout;

use crate::cli::Command;

mod deps;
mod diff;
mod kustomize;
mod preview;
mod render;
mod verify;

/// What a command hands back to `main`: text for stdout and stderr, and the outcome.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub outcome: Outcome,
    /// stdout is the user's own data reproduced (a rendered build): only registered secrets are
    /// masked there, not text that merely looks like a credential (a URL with user-info in a
    /// manifest), so `render` stays byte-for-byte what `kubectl kustomize` prints.
    pub verbatim: bool,
    /// More of stdout, printed after `stdout` part by part, each masked as `stdout` is (a large
    /// render's documents are emitted as they are printed, never joined into one string).
    pub stdout_parts: Parts,
}

/// Parts of stdout produced one at a time, as the printer asks for them.
pub struct Parts(Box<dyn Iterator<Item = String>>);

impl Parts {
    pub fn new(parts: impl Iterator<Item = String> + 'static) -> Self {
        Self(Box::new(parts))
    }
}

impl Default for Parts {
    fn default() -> Self {
        Self::new(std::iter::empty())
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Parts(..)")
    }
}

impl Iterator for Parts {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        self.0.next()
    }
}

/// Any error a command can end with: printed as `error: ...` with its causes, exit 2.
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

/// Runs one parsed command.
pub fn run(command: Command) -> Result<Output, CommandError> {
    match command {
        Command::Generate(args) => generate::run(args),
        Command::Hydrate(args) => hydrate::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Sync(args) => sync::run(args),
        Command::Status(args) => status::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Promote(args) => promote::run(args),
        Command::Init(args) => init::run(args),
        Command::Dashboards(args) => dashboards::run(args),
        Command::Alerts(args) => alerts::run(args),
        Command::Evidence(args) => evidence::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Render(args) => render::run(args),
        Command::Deps(args) => deps::run(args),
        Command::Kustomize(args) => kustomize::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Preview(args) => preview::run(args),
        Command::Completions(args) => completions::run(args),
    }
}

/// The directory paths in the spec are relative to.
fn spec_root(spec: &Path) -> PathBuf {
    rollout::layout::spec_root(spec)
}

/// Takes the repository lock for a command that writes generated files under `root`.
fn lock(root: &Path, what: &str) -> Result<rollout::fsutil::RepoLock, CommandError> {
    Ok(rollout::fsutil::RepoLock::acquire(root, what)?)
}

/// One line per written or deleted file (as the user reaches it from the current directory), then
/// a count.
fn summary(applied: &Applied, total: usize, layout: &Layout) -> String {
    let mut out = String::new();
    for p in &applied.written {
        out.push_str(&format!("wrote {}\n", layout.shown(p).display()));
    }
    for p in &applied.deleted {
        out.push_str(&format!("deleted stale {}\n", layout.shown(p).display()));
    }
    for p in &applied.cleaned {
        out.push_str(&format!(
            "removed leftover temp file {} (from an interrupted run)\n",
            layout.shown(p).display()
        ));
    }
    let unchanged = total.saturating_sub(applied.written.len());
    out.push_str(&format!(
        "{} written, {} deleted, {} unchanged\n",
        applied.written.len(),
        applied.deleted.len(),
        unchanged
    ));
    out
}

/// Test helper for the verbs' flag tables: `rollout ARGS…` parsed into its command.
#[cfg(test)]
pub(crate) fn parse_command(args: &[&str]) -> Result<crate::cli::Command, clap::Error> {
    use clap::Parser;
    crate::cli::Cli::try_parse_from(std::iter::once("rollout").chain(args.iter().copied()))
        .map(|c| c.command)
}
