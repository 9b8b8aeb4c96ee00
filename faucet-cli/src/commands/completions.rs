//! `faucet completions SHELL`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Prints the completion script for the shell.
pub(crate) fn run(args: &CompletionsArgs) -> std::io::Result<()> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "faucet", &mut script);
    crate::stdout::write(&String::from_utf8_lossy(&script))
}
