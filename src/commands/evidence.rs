//! `rollout evidence`: assembles the staging validation report and writes or prints it.

use rollout::evidence::report::{self, Report};
use rollout::exit::Outcome;
use rollout::fsutil::write_evidence;

use super::{CommandError, Output};
use crate::cli::{EvidenceArgs, EvidenceFormat};

/// What the report holds, from the spec (when there is one) and the commands the repository uses.
fn settings(args: &EvidenceArgs) -> Result<report::ReportSettings, CommandError> {
    if !args.spec.is_file() {
        return Ok(report::ReportSettings::default());
    }
    let spec = rollout::spec::load(&args.spec)?;
    let root = rollout::layout::spec_root(&args.spec);
    Ok(report::ReportSettings {
        title: spec.evidence.title.clone(),
        dashboards: root.join("dashboards").is_dir(),
        alerts: root.join("alerts").is_dir(),
        flags: !spec.flags.is_empty(),
        manual: spec.evidence.checklist.clone(),
    })
}

/// Runs `rollout evidence`.
pub fn run(args: EvidenceArgs) -> Result<Output, CommandError> {
    let r: Report = report::assemble_with(&args.evidence_dir, &settings(&args)?);
    let text = match args.output {
        EvidenceFormat::Md => report::render_markdown(&r),
        EvidenceFormat::Json => report::render_json(&r),
    };
    let outcome = Outcome::from_findings(!r.complete());
    match args.out {
        Some(path) => {
            // The report lands in the repository (the current directory), links resolved.
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            let real_cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd.clone());
            let rel = path
                .strip_prefix(&cwd)
                .or_else(|_| path.strip_prefix(&real_cwd))
                .unwrap_or(&path);
            let full = rollout::fsutil::contained(std::path::Path::new("."), rel)
                .map_err(|e| format!("{e} (write the report inside the repository)"))?;
            write_evidence(&full, &text).map_err(|e| e.to_string())?;
            Ok(Output {
                stdout: String::new(),
                stderr: format!("wrote {}: {}\n", path.display(), r.summary()),
                outcome,
                verbatim: false,
            })
        }
        None => Ok(Output {
            stdout: text,
            stderr: format!("{}\n", r.summary()),
            outcome,
            verbatim: false,
        }),
    }
}
