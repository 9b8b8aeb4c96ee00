//! `faucet connectors`: one line per registered connector.

use faucet_core::Registry;
use serde_json::json;

use crate::cli::Format;

/// Prints `source  rest  Reads records from …` lines, sources first, then
/// sinks and transforms, or a JSON list of `{kind, name, description}`.
pub(crate) fn run(format: Format, registry: &Registry) -> anyhow::Result<()> {
    let list = registry.connectors();
    if format == Format::Json {
        let items: Vec<_> = list
            .iter()
            .map(|c| json!({"kind": c.kind.to_string(), "name": c.name, "description": c.description}))
            .collect();
        return Ok(crate::stdout::line(&serde_json::to_string_pretty(&items)?)?);
    }
    let width = list.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let kind_width = list
        .iter()
        .map(|c| c.kind.to_string().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for info in list {
        out.push_str(&format!(
            "{:<kind_width$}  {:<width$}  {}\n",
            info.kind.to_string(),
            info.name,
            info.description
        ));
    }
    Ok(crate::stdout::write(&out)?)
}
