//! `rollout completions SHELL`: scripts the shells accept, naming every subcommand.

use std::process::Command;

fn completions(shell: &str) -> String {
    let out = assert_cmd::Command::cargo_bin("rollout")
        .expect("rollout binary")
        .args(["completions", shell])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "completions {shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 script")
}

/// `SHELL -n FILE` (syntax check only) when the shell is installed; false when it is not.
fn syntax_ok(shell: &str, script: &str) -> Option<bool> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rollout.completion");
    std::fs::write(&file, script).unwrap();
    match Command::new(shell).arg("-n").arg(&file).output() {
        Ok(out) => {
            if !out.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            }
            Some(out.status.success())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot run {shell}: {e}"),
    }
}

const SUBCOMMANDS: &[&str] = &[
    "generate",
    "hydrate",
    "render",
    "verify",
    "diff",
    "sync",
    "status",
    "rollback",
    "promote",
    "init",
    "dashboards",
    "alerts",
    "evidence",
    "schema",
    "kustomize",
    "completions",
];

#[test]
fn bash_completion_is_valid_bash_and_names_the_subcommands() {
    let script = completions("bash");
    assert_eq!(
        syntax_ok("bash", &script),
        Some(true),
        "bash -n rejects it (or bash is missing)"
    );
    assert!(script.contains("complete -F _rollout"), "{script}");
    for sub in SUBCOMMANDS {
        assert!(script.contains(sub), "bash completion lacks {sub}");
    }
    for nested in ["push", "fire", "quiet", "redis", "metrics", "build", "edit"] {
        assert!(script.contains(nested), "bash completion lacks {nested}");
    }
}

#[test]
fn zsh_completion_starts_with_compdef() {
    let script = completions("zsh");
    assert!(script.starts_with("#compdef rollout\n"), "{script}");
    for sub in SUBCOMMANDS {
        assert!(script.contains(sub), "zsh completion lacks {sub}");
    }
    if let Some(ok) = syntax_ok("zsh", &script) {
        assert!(ok, "zsh -n rejects it");
    }
}

#[test]
fn fish_completion_completes_rollout() {
    let script = completions("fish");
    assert!(!script.trim().is_empty());
    assert!(
        script
            .lines()
            .filter(|l| l.starts_with("complete "))
            .all(|l| l.starts_with("complete -c rollout ")),
        "{script}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            script.contains(&format!("-a \"{sub}\"")),
            "fish completion lacks {sub}"
        );
    }
    if let Some(ok) = syntax_ok("fish", &script) {
        assert!(ok, "fish -n rejects it");
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = assert_cmd::Command::cargo_bin("rollout")
        .expect("rollout binary")
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
}
