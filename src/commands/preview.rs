//! `rollout preview`: flags to [`rollout::preview::PreviewOptions`], one call to
//! [`rollout::preview::run`], and the Markdown, JSON or text to print or write.

use rollout::exit::Outcome;
use rollout::preview::{PreviewOptions, report};

use super::{CommandError, Output};
use crate::cli::{PreviewArgs, PreviewFormat};

/// Turns the flags into options (no environment touched here).
fn options(args: &PreviewArgs) -> Result<PreviewOptions, CommandError> {
    if args.max_chars < 2_000 {
        return Err(format!(
            "invalid --max-chars {}: a comment needs at least 2000 characters for its summary",
            args.max_chars
        )
        .into());
    }
    Ok(PreviewOptions {
        repo: args.repo.clone(),
        base: args.base.clone(),
        head: (args.head != "worktree").then(|| args.head.clone()),
        repo_urls: args.repo_url.clone(),
        verify: args.verify && !args.no_verify,
        threads: None,
    })
}

/// Runs `rollout preview`.
pub fn run(args: PreviewArgs) -> Result<Output, CommandError> {
    let opts = options(&args)?;
    let preview = rollout::preview::run(&opts)?;
    let text = match args.output {
        PreviewFormat::Markdown => report::markdown(&preview, args.max_chars),
        PreviewFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report::json(&preview))?;
            s.push('\n');
            s
        }
        PreviewFormat::Text => report::text(&preview),
    };
    let changing = preview.apps.iter().filter(|a| a.is_finding()).count();
    let s = preview.stats;
    let mut stderr = format!(
        "{changing} of {} applications change ({} renders; parse cache: {} hits, {} misses)\n",
        preview.apps.len(),
        s.renders,
        s.cache_hits,
        s.cache_misses
    );
    let stdout = match &args.out {
        Some(path) => {
            rollout::fsutil::write_evidence(path, &text)?;
            stderr.push_str(&format!("wrote {}\n", path.display()));
            String::new()
        }
        None => text,
    };
    Ok(Output {
        stdout,
        stderr,
        outcome: Outcome::from_findings(preview.has_changes()),
        verbatim: false,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use crate::cli::{Command, PreviewArgs, PreviewFormat};

    fn parse(args: &[&str]) -> PreviewArgs {
        match crate::commands::parse_command(&[&["preview"], args].concat()).unwrap() {
            Command::Preview(p) => p,
            other => panic!("parsed {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let a = parse(&["--base", "main"]);
        assert_eq!(
            (a.head.as_str(), a.output, a.max_chars),
            ("worktree", PreviewFormat::Markdown, 65_536)
        );
        let o = super::options(&a).unwrap();
        assert_eq!(o.head, None);
        assert!(!o.verify && o.repo_urls.is_empty());
    }

    #[test]
    fn each_form_and_last_value_wins() {
        let a = parse(&[
            "--base",
            "a",
            "--base=main",
            "--head",
            "HEAD",
            "--output",
            "text",
            "--output=json",
            "--verify",
            "--no-verify",
            "--verify",
            "--repo-url",
            "u1",
            "--repo-url",
            "u2",
            "--out",
            "x.md",
            "--max-chars",
            "1000000",
            "--repo",
            "sub",
        ]);
        let o = super::options(&a).unwrap();
        assert_eq!((o.base.as_str(), o.head.as_deref()), ("main", Some("HEAD")));
        assert_eq!(a.output, PreviewFormat::Json);
        assert!(o.verify);
        assert_eq!(o.repo_urls, ["u1", "u2"]);
        assert_eq!(a.max_chars, 1_000_000);
        let b = parse(&["--base", "m", "--verify", "--no-verify"]);
        assert!(!super::options(&b).unwrap().verify);
    }

    #[test]
    fn bad_values_are_rejected() {
        for args in [
            &["--head", "x"][..],
            &["--base", "m", "--output", "yaml"],
            &["--base", "m", "--max-chars", "-1"],
        ] {
            let all = [&["preview"], args].concat();
            assert!(crate::commands::parse_command(&all).is_err(), "{args:?}");
        }
        assert!(super::options(&parse(&["--base", "m", "--max-chars", "100"])).is_err());
    }
}
