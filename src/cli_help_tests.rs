//! Every command's `--help` ends with an Examples section whose lines are invocations that parse.

use clap::CommandFactory;

use crate::cli::Cli;

/// Every command path under `rollout` (the root is the empty path), without clap's `help`.
fn command_paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    out.push(prefix.to_vec());
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_string());
        command_paths(sub, &path, out);
    }
}

/// Splits an example line into argv as a shell would (double quotes only; no expansion).
fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quotes in {line:?}");
    if any {
        out.push(cur);
    }
    out
}

/// What `rollout PATH… --help` prints.
fn help_text(path: &[String]) -> String {
    let argv = std::iter::once("rollout".to_string())
        .chain(path.iter().cloned())
        .chain(std::iter::once("--help".to_string()));
    let err = Cli::command()
        .try_get_matches_from(argv)
        .expect_err("--help ends parsing");
    assert_eq!(
        err.kind(),
        clap::error::ErrorKind::DisplayHelp,
        "rollout {path:?} --help: {err}"
    );
    err.render().to_string()
}

#[test]
fn every_help_ends_with_examples_that_parse() {
    let mut paths = Vec::new();
    command_paths(&Cli::command(), &[], &mut paths);
    assert!(paths.len() > 30, "command tree too small: {paths:?}");
    for path in paths {
        let shown = format!("rollout {}", path.join(" "));
        let help = help_text(&path);
        let (_, examples) = help
            .rsplit_once("\nExamples:\n")
            .unwrap_or_else(|| panic!("`{shown} --help` has no Examples section:\n{help}"));
        let lines: Vec<&str> = examples.trim_end().lines().collect();
        assert!(
            (2..=4).contains(&lines.len()),
            "`{shown} --help`: want 2-4 examples, got {lines:?}"
        );
        for line in lines {
            let example = line
                .strip_prefix("  ")
                .filter(|l| l.starts_with("rollout "))
                .unwrap_or_else(|| panic!("`{shown} --help`: not an example line: {line:?}"));
            let argv = shell_words(example);
            assert!(
                argv[1..].starts_with(&path),
                "`{shown} --help`: example `{example}` does not run {shown}"
            );
            if let Err(e) = Cli::command().try_get_matches_from(&argv) {
                panic!("`{shown} --help`: example `{example}` does not parse:\n{e}");
            }
        }
    }
}

#[test]
fn shell_words_honour_quotes() {
    assert_eq!(
        shell_words(r#"rollout x --m "a b" "$URL""#),
        ["rollout", "x", "--m", "a b", "$URL"]
    );
}
