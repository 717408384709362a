//! `rollout schema`: print a built-in JSON Schema.

use super::{CommandError, Output};
use crate::cli::{SchemaArgs, SchemaKind};

pub fn run(args: SchemaArgs) -> Result<Output, CommandError> {
    let text = match args.which {
        SchemaKind::Spec => rollout::spec::SCHEMA,
        SchemaKind::GrafanaDashboard => rollout::schema::grafana::SCHEMA_JSON,
        SchemaKind::AlertmanagerAlerts => rollout::schema::alertmanager::SCHEMA_JSON,
    };
    Ok(Output {
        stdout: text.to_string(),
        ..Default::default()
    })
}
