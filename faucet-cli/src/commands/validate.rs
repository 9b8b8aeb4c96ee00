//! `faucet validate`: parses pipeline files and every connector config.

use faucet_core::Registry;
use serde_json::{Value, json};

use crate::cli::{Format, ValidateArgs};
use crate::exit::{self, Exit};
use crate::pipeline_file::{self, LoadOptions};
use crate::secrets;

/// Validates each file, printing `✓ file` or every error with its path (or,
/// with `--format json`, one JSON document of every file's result). Exit 2
/// when any file is invalid.
pub(crate) fn run(args: &ValidateArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let options = LoadOptions {
        env_file: args.env_file.clone(),
    };
    let json = args.format.format == Format::Json;
    let mut all_valid = true;
    let mut results: Vec<Value> = Vec::new();
    for path in &args.pipelines {
        match pipeline_file::load(path, &options, registry) {
            Ok((file, _)) if json => results.push(json!({
                "file": path.display().to_string(),
                "valid": true,
                "pipeline": secrets::redact(&file.name),
                "source": file.source.kind,
                "transforms": file
                    .transforms
                    .iter()
                    .map(|t| t.connector.kind.as_str())
                    .collect::<Vec<_>>(),
                "sink": file.sink.kind,
            })),
            Ok((file, _)) => crate::stdout::line(&format!(
                "✓ {}: pipeline `{}`, source `{}` → {}sink `{}`",
                path.display(),
                secrets::redact(&file.name),
                file.source.kind,
                transforms_line(&file.transforms),
                file.sink.kind
            ))?,
            Err(errors) if json => {
                all_valid = false;
                let list: Vec<Value> = errors
                    .errors
                    .iter()
                    .map(|(path, message)| {
                        json!({"path": path, "message": secrets::redact(message)})
                    })
                    .collect();
                results.push(json!({
                    "file": path.display().to_string(),
                    "valid": false,
                    "errors": list,
                }));
            }
            Err(errors) => {
                all_valid = false;
                exit::print_error(&anyhow::Error::new(errors));
            }
        }
    }
    if json {
        let doc = json!({ "valid": all_valid, "files": results });
        crate::stdout::line(&serde_json::to_string_pretty(&doc)?)?;
    }
    Ok(if all_valid { Exit::Ok } else { Exit::Usage })
}

/// `transforms `filter`, `rename` → ` for the line of a valid file; empty
/// without transforms.
fn transforms_line(transforms: &[crate::pipeline_file::TransformSpec]) -> String {
    if transforms.is_empty() {
        return String::new();
    }
    let names: Vec<String> = transforms
        .iter()
        .map(|t| format!("`{}`", t.connector.kind))
        .collect();
    format!("transforms {} → ", names.join(", "))
}
