//! `faucet schema [source|sink|transform NAME]`.

use faucet_core::{ConnectorKind, Registry};

use crate::cli::{KindArg, SchemaArgs};
use crate::exit::Exit;
use crate::pipeline_file;

/// Prints the JSON Schema of a pipeline file, or of one connector's config.
pub(crate) fn run(args: &SchemaArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let schema = match (args.kind, &args.name) {
        (Some(kind), Some(name)) => {
            let kind = match kind {
                KindArg::Source => ConnectorKind::Source,
                KindArg::Sink => ConnectorKind::Sink,
                KindArg::Transform => ConnectorKind::Transform,
            };
            registry.schema(kind, name)?.to_value()
        }
        _ => pipeline_file::pipeline_schema(registry),
    };
    crate::stdout::line(&serde_json::to_string_pretty(&schema)?)?;
    Ok(Exit::Ok)
}
