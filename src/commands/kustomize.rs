//! `rollout kustomize build|version|edit`: kustomize's command line over our engine, so Argo CD
//! (`kustomize.path`) and scripts can run rollout where they run kustomize.

use rollout::exit::Outcome;
use rollout::kustomize::edit::{self, Edit};

use super::{CommandError, Output};
use crate::cli::{EditAdd, EditCommand, EditSet, KustomizeArgs, KustomizeCommand};

/// The kustomize release whose output this engine reproduces.
pub const KUSTOMIZE_VERSION: &str = "v5.8.1";

/// Runs `rollout kustomize`.
pub fn run(args: KustomizeArgs) -> Result<Output, CommandError> {
    match args.command {
        KustomizeCommand::Build(a) => super::render::run(a),
        KustomizeCommand::Version { .. } => Ok(Output {
            stdout: format!("{KUSTOMIZE_VERSION}\n"),
            outcome: Outcome::Clean,
            ..Output::default()
        }),
        KustomizeCommand::Edit { command } => {
            let e = match command {
                EditCommand::Set { what } => match what {
                    EditSet::Image { images } => Edit::SetImage(images),
                    EditSet::Namespace { value } => Edit::SetNamespace(value),
                    EditSet::Nameprefix { value } => Edit::SetNamePrefix(value),
                    EditSet::Namesuffix { value } => Edit::SetNameSuffix(value),
                    EditSet::Replicas { replicas } => Edit::SetReplicas(replicas),
                },
                EditCommand::Add { what } => match what {
                    EditAdd::Label {
                        pairs,
                        force,
                        without_selector,
                        include_templates,
                    } => Edit::AddLabel {
                        pairs,
                        force,
                        without_selector,
                        include_templates,
                    },
                    EditAdd::Annotation { pairs, force } => Edit::AddAnnotation { pairs, force },
                    EditAdd::Component { paths } => Edit::AddComponent(paths),
                    EditAdd::Resource { paths } => Edit::AddResource(paths),
                },
            };
            let dir = std::path::Path::new(".");
            let file = rollout::kustomize::find_kustomization(dir)?;
            let own = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let expand =
                |paths: Vec<String>| rollout::kustomize::glob::expand_args(dir, &paths, &own);
            let e = match e {
                Edit::AddResource(p) => Edit::AddResource(expand(p)?),
                Edit::AddComponent(p) => Edit::AddComponent(expand(p)?),
                other => other,
            };
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            let out = edit::apply(&text, &e).map_err(|m| format!("{}: {m}", file.display()))?;
            rollout::fsutil::write_atomic(&file, out.as_bytes())?;
            Ok(Output {
                outcome: Outcome::Clean,
                ..Output::default()
            })
        }
    }
}
