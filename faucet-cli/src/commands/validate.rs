//! `faucet validate`: parses pipeline files and every connector config.

use crate::cli::ValidateArgs;
use crate::connectors;
use crate::exit::{self, Exit};
use crate::pipeline_file::{self, LoadOptions};
use crate::secrets;

/// Validates each file, printing `✓ file` or every error with its path.
/// Exit 2 when any file is invalid.
pub(crate) fn run(args: &ValidateArgs) -> anyhow::Result<Exit> {
    let registry = connectors::builtin();
    let options = LoadOptions {
        env_file: args.env_file.clone(),
    };
    let mut all_valid = true;
    for path in &args.pipelines {
        match pipeline_file::load(path, &options, &registry) {
            Ok((file, _)) => crate::stdout::line(&format!(
                "✓ {}: pipeline `{}`, source `{}` → sink `{}`",
                path.display(),
                secrets::redact(&file.name),
                file.source.kind,
                file.sink.kind
            ))?,
            Err(errors) => {
                all_valid = false;
                exit::print_error(&anyhow::Error::new(errors));
            }
        }
    }
    Ok(if all_valid { Exit::Ok } else { Exit::Usage })
}
