//! `rollout schema`: print a built-in JSON Schema.

use super::{CommandError, Output};
use crate::cli::{SchemaArgs, SchemaKind};

pub fn run(args: SchemaArgs) -> Result<Output, CommandError> {
    let text = match args.which {
        SchemaKind::Spec => rollout::spec::SCHEMA,
    };
    Ok(Output {
        stdout: text.to_string(),
        ..Default::default()
    })
}
