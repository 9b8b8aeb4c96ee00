//! One module per command.

pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod connectors;
pub(crate) mod demo;
mod demo_api;
pub(crate) mod discover;
pub(crate) mod dry_run;
pub(crate) mod run;
pub(crate) mod schema;
pub(crate) mod serve;
pub(crate) mod state;
pub(crate) mod validate;
