//! The `rollout` binary: parse arguments, run one command, print its result, map it to an exit code.
//!
//! All work happens in the library; this file owns only printing and exit codes
//! (0 clean, 1 findings, 2 usage or input error). A closed stdout (broken pipe) is a clean exit.
#![forbid(unsafe_code)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
#[cfg(test)]
mod cli_help_tests;
mod commands;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Invoked as `kustomize` (a symlink, e.g. Argo CD's `kustomize.path`): `rollout kustomize`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_stem())
        .is_some_and(|n| n == "kustomize");
    if invoked {
        args.insert(1, "kustomize".into());
    }
    let cli = cli::Cli::parse_from(args);
    let result = commands::run(cli.command);
    let code = match result {
        Ok(mut out) => {
            // The masking layer: nothing reaches the terminal without going through it.
            let stderr = std::mem::take(&mut out.stderr);
            let written = write_all(&mut out, &rollout::mask::scrub(&stderr));
            let code = out.outcome.code();
            // The process exits right after printing: skip freeing every node of a large build
            // (about 8% of a 3,000-Deployment render).
            std::mem::forget(out);
            if let Err(e) = written
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("error: cannot write output: {e}");
                return ExitCode::from(rollout::exit::USAGE_OR_INPUT_ERROR as u8);
            }
            code
        }
        Err(err) => {
            let _ = std::io::stdout().flush();
            let mut shown = one_line(&err.to_string());
            eprintln!("error: {shown}");
            let mut source = std::error::Error::source(&*err);
            while let Some(s) = source {
                // Many messages already end with their cause ("file:1:2: invalid YAML: ..."); print
                // a cause only when it adds something.
                let text = one_line(&s.to_string());
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                    shown = text;
                }
                source = s.source();
            }
            rollout::exit::USAGE_OR_INPUT_ERROR
        }
    };
    ExitCode::from(code as u8)
}

/// An error message as printed: masked, with control bytes escaped (a multi-line message keeps its
/// line breaks, each line indented as the causes are).
fn one_line(message: &str) -> String {
    let masked = rollout::mask::scrub(message);
    let mut out = String::with_capacity(masked.len());
    for c in masked.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// stdout as the masking layer lets it out: a user's own data reproduced (`verbatim`) masks only
/// registered secrets.
fn mask_stdout(text: &str, verbatim: bool) -> std::borrow::Cow<'_, str> {
    if verbatim {
        rollout::mask::scrub_registered(text)
    } else {
        rollout::mask::scrub(text)
    }
}

/// Writes stderr, then stdout: `out.stdout` and each of `out.stdout_parts` as it is produced,
/// all through the masking layer.
fn write_all(out: &mut commands::Output, stderr: &str) -> std::io::Result<()> {
    if !stderr.is_empty() {
        let mut err = std::io::stderr().lock();
        err.write_all(stderr.as_bytes())?;
    }
    let verbatim = out.verbatim;
    let mut w = std::io::stdout().lock();
    w.write_all(mask_stdout(&out.stdout, verbatim).as_bytes())?;
    for part in out.stdout_parts.by_ref() {
        w.write_all(mask_stdout(&part, verbatim).as_bytes())?;
    }
    w.flush()
}
