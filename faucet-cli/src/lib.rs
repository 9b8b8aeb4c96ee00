//! The `faucet` command line as a library, so that a crate with its own
//! connectors can ship a `faucet` of its own that has every command (`run`,
//! `validate`, `check`, `discover`, `state`, `schema`, `init`, signals, `.env`,
//! progress, reports):
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     let registry = faucet_cli::builtin_registry();
//!     // e.g. `faucet_source_github::register(&mut registry);`
//!     faucet_cli::main_with(registry)
//! }
//! ```
//!
//! Exit codes: 0 ok, 1 the run (or a check) failed, 2 bad config or usage,
//! 130 interrupted (rerun the same command to resume).

mod cli;
mod commands;
mod connectors;
mod exit;
mod init;
mod logging;
mod pipeline_file;
mod progress;
mod report_file;
mod secrets;
mod signals;
mod stdout;
mod summary;

use std::process::ExitCode;

use clap::Parser;
use faucet_core::Registry;

use crate::cli::{Cli, Command, InitCommand, StateCommand};
use crate::exit::Exit;

pub use crate::connectors::builtin as builtin_registry;

/// Runs the `faucet` command line (arguments from the process) with the
/// connectors in `registry`, and returns the process's exit code.
pub fn main_with(registry: Registry) -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return Exit::Failed.into();
        }
    };
    let registry = std::sync::Arc::new(registry);
    match runtime.block_on(dispatch(cli.command, &registry)) {
        Ok(exit) => exit.into(),
        Err(err) if stdout::is_broken_pipe(&err) => Exit::Ok.into(),
        Err(err) => {
            exit::print_error(&err);
            exit::code_for(&err).into()
        }
    }
}

async fn dispatch(command: Command, registry: &std::sync::Arc<Registry>) -> anyhow::Result<Exit> {
    match command {
        Command::Run(args) => commands::run::run(args, registry).await,
        Command::Validate(args) => commands::validate::run(&args, registry),
        Command::Check(args) => commands::check::run(&args, registry).await,
        Command::Discover(args) => commands::discover::run(&args, registry).await,
        Command::State(StateCommand::Show(args)) => commands::state::show(&args, registry).await,
        Command::State(StateCommand::Reset(args)) => commands::state::reset(&args, registry).await,
        Command::Schema(args) => commands::schema::run(&args, registry),
        Command::Connectors(args) => {
            commands::connectors::run(args.format, registry)?;
            Ok(Exit::Ok)
        }
        Command::Init(InitCommand::Pipeline(args)) => init::pipeline::run(&args, registry),
        Command::Init(InitCommand::Source(args)) => init::scaffold::run(&args, init::Role::Source),
        Command::Init(InitCommand::Sink(args)) => init::scaffold::run(&args, init::Role::Sink),
        Command::Init(InitCommand::Transform(args)) => {
            init::scaffold::run(&args, init::Role::Transform)
        }
        Command::Demo(args) => commands::demo::run(args, registry).await,
        Command::Serve(args) => commands::serve::run(args, registry.clone()).await,
        Command::Completions(args) => {
            commands::completions::run(&args)?;
            Ok(Exit::Ok)
        }
    }
}
