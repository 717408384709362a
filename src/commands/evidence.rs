//! `rollout evidence`: assembles the staging validation report and writes or prints it.

use rollout::evidence::report::{self, Report};
use rollout::exit::Outcome;
use rollout::fsutil::write_evidence;

use super::{CommandError, Output};
use crate::cli::{EvidenceArgs, EvidenceFormat};

/// Runs `rollout evidence`.
pub fn run(args: EvidenceArgs) -> Result<Output, CommandError> {
    let r: Report = report::assemble(&args.evidence_dir);
    let text = match args.output {
        EvidenceFormat::Md => report::render_markdown(&r),
        EvidenceFormat::Json => report::render_json(&r),
    };
    let outcome = Outcome::from_findings(!r.complete());
    match args.out {
        Some(path) => {
            write_evidence(&path, &text).map_err(|e| e.to_string())?;
            Ok(Output {
                stdout: String::new(),
                stderr: format!("wrote {}: {}\n", path.display(), r.summary()),
                outcome,
            })
        }
        None => Ok(Output {
            stdout: text,
            stderr: format!("{}\n", r.summary()),
            outcome,
        }),
    }
}
