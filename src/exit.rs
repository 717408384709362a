//! Exit codes, part of `rollout`'s interface (as in ripgrep and `kubectl diff`).
//!
//! Owns the mapping from outcomes to process exit codes; knows nothing about any command.

/// The three outcomes a command can end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outcome {
    /// Everything checked out, nothing differs: exit 0.
    #[default]
    Clean,
    /// The command ran and found something: a diff, a stale file, a failed check: exit 1.
    Findings,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn code(self) -> i32 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
        }
    }

    /// `Findings` when `found` is true, else `Clean`.
    pub fn from_findings(found: bool) -> Self {
        if found {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }
}

/// Exit code for a usage or input error (bad flag, unreadable or invalid input, unreachable server).
pub const USAGE_OR_INPUT_ERROR: i32 = 2;
