//! `rollout verify`: turns the parsed flags into `VerifyOptions`, runs the verification and renders
//! the report in the chosen format. Prints nothing.

use rollout::exit::Outcome;
use rollout::verify::report::{self, Format};
use rollout::verify::{InputKind, PracticeLevel, Span, VerifyOptions, WaiverRule};

use super::{CommandError, Output};
use crate::cli::{InputType, PolicyLevel, VerifyArgs, VerifyOutput};

/// Maps the flags, and the `verify` settings of `rollout.yaml` when it exists, to options.
///
/// # Errors
/// A spec that exists but does not load.
pub fn options(args: &VerifyArgs) -> Result<VerifyOptions, CommandError> {
    let mut o = VerifyOptions {
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
            InputType::AlertmanagerConfig => InputKind::AlertmanagerConfig,
        }),
        ..VerifyOptions::default()
    };
    let spec_path = std::path::Path::new("rollout.yaml");
    // The whole-repo mode needs the spec (an unreadable one is an error there); a run on given
    // paths uses its settings when it loads, and may be checking a broken spec itself.
    let spec = match spec_path.is_file().then(|| rollout::spec::load(spec_path)) {
        Some(Ok(spec)) => Some(spec),
        Some(Err(e)) if args.paths.is_empty() => return Err(e.into()),
        _ => None,
    };
    let level = |s: &str| match s {
        "strict" | "error" => PracticeLevel::Strict,
        "off" => PracticeLevel::Off,
        _ => PracticeLevel::Warn,
    };
    o.practices = match (
        args.policy,
        spec.as_ref().and_then(|s| s.verify.policy.as_deref()),
    ) {
        (Some(PolicyLevel::Warn), _) => PracticeLevel::Warn,
        (Some(PolicyLevel::Strict), _) => PracticeLevel::Strict,
        (Some(PolicyLevel::Off), _) => PracticeLevel::Off,
        (None, Some(p)) => level(p),
        (None, None) => PracticeLevel::Warn,
    };
    if let Some(spec) = &spec {
        // `--policy strict` makes every rule an error; otherwise each rule's own level holds.
        if args.policy != Some(PolicyLevel::Strict) && o.practices != PracticeLevel::Off {
            o.rule_levels = spec
                .verify
                .rules
                .iter()
                .map(|(rule, l)| (rule.clone(), level(l)))
                .collect();
        }
        o.waivers = waivers(spec);
        let layout = rollout::layout::Layout::discover(spec, spec_path);
        for (env, e) in &spec.environments {
            if let Some(v) = &e.kubernetes_version {
                for rollback in [false, true] {
                    let dir = layout.root.join(layout.overlay_dir(env, rollback));
                    o.versions_by_dir.push((dir, v.clone()));
                }
            }
        }
    }
    Ok(o)
}

/// The spec's waivers, each with where it is written.
fn waivers(spec: &rollout::spec::Spec) -> Vec<WaiverRule> {
    spec.verify
        .waivers
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let parts: Vec<&str> = w.object.split('/').collect();
            let (kind, namespace, name) = match parts.as_slice() {
                [k, n] => (*k, None, *n),
                [k, ns, n] => (*k, Some(ns.to_string()), *n),
                _ => return None,
            };
            let pos = spec
                .source
                .locations
                .nearest(&format!("/verify/waivers/{i}"))
                .unwrap_or(rollout::yaml::Pos { line: 1, col: 1 });
            Some(WaiverRule {
                rule: w.rule.clone(),
                kind: kind.to_string(),
                namespace,
                name: name.to_string(),
                reason: w.reason.clone(),
                expires: w.expires.parse().ok()?,
                at: Span {
                    file: spec.source.file.clone(),
                    line: pos.line,
                    col: pos.col,
                    caret: 0,
                    source_line: None,
                    label: String::new(),
                },
            })
        })
        .collect()
}

/// Runs `rollout verify`.
pub fn run(args: VerifyArgs) -> Result<Output, CommandError> {
    let report = rollout::verify::run(&options(&args)?)?;
    let format = match args.output {
        VerifyOutput::Text => Format::Text,
        VerifyOutput::Json => Format::Json,
        VerifyOutput::Junit => Format::Junit,
        VerifyOutput::Github => Format::Github,
        VerifyOutput::Sarif => Format::Sarif,
    };
    Ok(Output {
        stdout: report::render(&report, format),
        stderr: String::new(),
        outcome: Outcome::from_findings(report.failed()),
        verbatim: false,
        ..Default::default()
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
        let o = options(&parse(&[])).unwrap();
        assert!(o.strict);
        assert_eq!(o.kubernetes_version, "1.34");
        assert!(o.paths.is_empty() && o.kind.is_none() && !o.require_schemas);
        assert!(!options(&parse(&["--no-strict"])).unwrap().strict);
        assert!(
            options(&parse(&["--no-strict", "--strict"]))
                .unwrap()
                .strict
        );
        assert!(
            !options(&parse(&["--strict", "--no-strict"]))
                .unwrap()
                .strict
        );
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
        ]))
        .unwrap();
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
