//! `rollout verify`: turns the parsed flags into `VerifyOptions`, runs the verification and renders
//! the report in the chosen format. Prints nothing.

use rollout::exit::Outcome;
use rollout::verify::report::{self, Format};
use rollout::verify::{InputKind, PracticeLevel, VerifyOptions};

use super::{CommandError, Output};
use crate::cli::{InputType, PolicyLevel, VerifyArgs, VerifyOutput};

/// Maps the flags to options.
pub fn options(args: &VerifyArgs) -> VerifyOptions {
    VerifyOptions {
        paths: args.paths.clone(),
        root: ".".into(),
        strict: !args.no_strict,
        kubernetes_version: args.kubernetes_version.clone(),
        crds: args.crd.clone(),
        schema_locations: args.schema_location.clone(),
        require_schemas: args.require_schemas,
        kind: args.input_type.map(|t| match t {
            InputType::Manifests => InputKind::Manifests,
            InputType::Kustomization => InputKind::Kustomization,
            InputType::Dashboard => InputKind::Dashboard,
            InputType::Alerts => InputKind::Alerts,
            InputType::Values => InputKind::Values,
            InputType::Argocd => InputKind::Argocd,
            InputType::Spec => InputKind::Spec,
        }),
        practices: match args.policy {
            PolicyLevel::Warn => PracticeLevel::Warn,
            PolicyLevel::Strict => PracticeLevel::Strict,
            PolicyLevel::Off => PracticeLevel::Off,
        },
    }
}

/// Runs `rollout verify`.
pub fn run(args: VerifyArgs) -> Result<Output, CommandError> {
    let report = rollout::verify::run(&options(&args))?;
    let format = match args.output {
        VerifyOutput::Text => Format::Text,
        VerifyOutput::Json => Format::Json,
        VerifyOutput::Junit => Format::Junit,
        VerifyOutput::Github => Format::Github,
    };
    Ok(Output {
        stdout: report::render(&report, format),
        stderr: String::new(),
        outcome: Outcome::from_findings(report.failed()),
        verbatim: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Command;

    fn parse(args: &[&str]) -> VerifyArgs {
        match crate::commands::parse_command(&[&["verify"], args].concat()).unwrap() {
            Command::Verify(a) => a,
            _ => unreachable!("parsed verify"),
        }
    }

    #[test]
    fn flags_defaults_and_last_wins() {
        let o = options(&parse(&[]));
        assert!(o.strict);
        assert_eq!(o.kubernetes_version, "1.34");
        assert!(o.paths.is_empty() && o.kind.is_none() && !o.require_schemas);
        assert!(!options(&parse(&["--no-strict"])).strict);
        assert!(options(&parse(&["--no-strict", "--strict"])).strict);
        assert!(!options(&parse(&["--strict", "--no-strict"])).strict);
        let o = options(&parse(&[
            "a.yaml",
            "--type",
            "dashboard",
            "--crd",
            "c.yaml",
            "--crd",
            "d.yaml",
            "--schema-location",
            "s",
            "--require-schemas",
            "--kubernetes-version",
            "1.33",
        ]));
        assert_eq!(o.kind, Some(InputKind::Dashboard));
        assert_eq!(o.crds.len(), 2);
        assert_eq!(o.schema_locations, vec!["s".to_string()]);
        assert!(o.require_schemas);
        assert_eq!(o.kubernetes_version, "1.33");
        assert_eq!(parse(&["--output", "github"]).output, VerifyOutput::Github);
        let bad = crate::commands::parse_command(&["verify", "--output", "xml"]).unwrap_err();
        assert!(
            bad.to_string()
                .contains("possible values: text, json, junit, github")
        );
    }
}
