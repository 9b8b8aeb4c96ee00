//! `faucet init pipeline`: a commented pipeline file from the connectors'
//! schemas.

use std::fmt::Write;
use std::io::Write as _;

use faucet_core::{ConnectorKind, Registry};

use super::schema_yaml::write_properties;
use crate::cli::InitPipelineArgs;
use crate::exit::{Exit, UsageError};
use crate::pipeline_file::PLACEHOLDER;

/// Writes the file (or prints it) and says what to do next.
pub(crate) fn run(args: &InitPipelineArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let text = render(registry, &args.source, &args.sink)?;
    match &args.output {
        None => crate::stdout::write(&text)?,
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| UsageError(format!("cannot create {}: {e}", path.display())))?;
            file.write_all(text.as_bytes())?;
            eprintln!(
                "Wrote {}. Replace every \"{PLACEHOLDER}\" value, then run `faucet validate {}`.",
                path.display(),
                path.display()
            );
        }
    }
    Ok(Exit::Ok)
}

/// Optional keys of built-in connectors that a real pipeline sets: written
/// live with a placeholder, so the file does not run until they are filled.
const LIVE: &[(ConnectorKind, &str, &[&str])] = &[(
    ConnectorKind::Source,
    "rest",
    &["path", "records", "pagination"],
)];

/// The pipeline file text for `source` → `sink`.
pub(crate) fn render(registry: &Registry, source: &str, sink: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# A faucet pipeline: `faucet validate FILE` checks it, `faucet run FILE` runs it."
    );
    let _ = writeln!(
        out,
        "# Replace every \"{PLACEHOLDER}\" value. Commented-out keys show their defaults."
    );
    let _ = writeln!(
        out,
        "# Values may use ${{VAR}} or ${{VAR:-default}} from the environment or a .env file;"
    );
    let _ = writeln!(
        out,
        "# keep secrets there, not in this file. For completion in editors, save"
    );
    let _ = writeln!(
        out,
        "# `faucet schema > faucet.schema.json` and add this first line:"
    );
    let _ = writeln!(
        out,
        "# # yaml-language-server: $schema=faucet.schema.json\n"
    );
    let _ = writeln!(
        out,
        "# The state key of this pipeline. Default: the file name."
    );
    let _ = writeln!(out, "# name: my-pipeline\n");
    section(&mut out, registry, ConnectorKind::Source, source)?;
    section(&mut out, registry, ConnectorKind::Sink, sink)?;
    let _ = writeln!(
        out,
        "# Checkpoints for sinks that do not keep their own (`--state DIR` overrides)."
    );
    let _ = writeln!(out, "# state:\n#   dir: .faucet/state\n");
    let _ = writeln!(
        out,
        "# settings:\n#   channel_depth: {}   # pages buffered between source and sink",
        faucet_core::DEFAULT_CHANNEL_DEPTH
    );
    Ok(out)
}

fn section(
    out: &mut String,
    registry: &Registry,
    kind: ConnectorKind,
    name: &str,
) -> anyhow::Result<()> {
    let schema = registry.schema(kind, name)?.to_value();
    let _ = writeln!(out, "{kind}:");
    let _ = writeln!(out, "  type: {name}\n");
    let live = LIVE
        .iter()
        .find(|(k, n, _)| *k == kind && *n == name)
        .map_or(&[][..], |(_, _, keys)| keys);
    write_properties(out, &schema, &schema, 2, live);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_connectors_are_config_errors() {
        let err = render(&crate::connectors::builtin(), "nope", "jsonl").unwrap_err();
        assert!(
            err.to_string().contains("unknown source type `nope`"),
            "{err}"
        );
    }
}
