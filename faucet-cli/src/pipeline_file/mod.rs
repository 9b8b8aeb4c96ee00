//! Pipeline files: what `faucet run`, `validate` and `check` read.
//!
//! ```yaml
//! name: users                 # optional: the state key (default: file name)
//! source:
//!   type: rest                # a registered source; the rest is its config
//!   base_url: https://api.example.com
//! transforms:                 # optional: registered transforms, in order
//!   - type: filter
//!     on_error: skip          # `fail` (default) or `skip` a record it fails on
//!     where: 'status == "active"'
//! streams: [users]           # optional: the streams to write (default: all)
//! sink:
//!   type: jsonl
//!   path: out/users.jsonl
//! state:                      # optional: checkpoints for sinks without their own
//!   dir: .faucet/state
//! settings:                   # optional pipeline settings
//!   channel_depth: 4
//! ```
//!
//! YAML or JSON (JSON is YAML), with anchors, aliases and `<<` merges;
//! top-level keys starting with `x-` are ignored, to hold anchors.
//! `${VAR}` / `${VAR:-default}` in values are substituted from the
//! environment and an optional `.env` file.

mod build;
mod dotenv;
mod every_error;
mod file_schema;
mod load;
mod locate;
mod paths;
mod placeholders;
mod sections;
mod spec;
mod substitute;

pub(crate) use build::Connectors;
pub(crate) use dotenv::read as read_dotenv_file;
pub(crate) use file_schema::pipeline_schema;
pub(crate) use load::{LoadOptions, PipelineFile, Text, default_name, load, load_text};
pub(crate) use placeholders::PLACEHOLDER;
pub(crate) use spec::TransformSpec;

use std::fmt;

/// Every problem found in a pipeline file, each with its path.
#[derive(Debug)]
pub(crate) struct FileErrors {
    /// The file, as the user named it.
    pub(crate) file: String,
    /// `(path, message)` pairs, in file order where known.
    pub(crate) errors: Vec<(String, String)>,
}

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{} has {n} error{}:",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for (path, message) in &self.errors {
            if path.is_empty() {
                write!(f, "\n  {message}")?;
            } else {
                write!(f, "\n  {path}: {message}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for FileErrors {}
