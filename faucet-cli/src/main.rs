//! `faucet`: run, validate, check and scaffold data pipelines that move
//! records from APIs into databases without losing or duplicating a row.
//!
//! Exit codes: 0 ok, 1 the run (or a check) failed, 2 bad config or usage,
//! 130 interrupted (rerun the same command to resume).

mod allocator;
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

use crate::cli::{Cli, Command, InitCommand};
use crate::exit::Exit;

fn main() -> ExitCode {
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
    match runtime.block_on(dispatch(cli.command)) {
        Ok(exit) => exit.into(),
        Err(err) => {
            exit::print_error(&err);
            exit::code_for(&err).into()
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<Exit> {
    match command {
        Command::Run(args) => commands::run::run(args).await,
        Command::Validate(args) => commands::validate::run(&args),
        Command::Check(args) => commands::check::run(&args).await,
        Command::Schema(args) => commands::schema::run(&args),
        Command::Connectors => {
            commands::connectors::run()?;
            Ok(Exit::Ok)
        }
        Command::Init(InitCommand::Pipeline(args)) => init::pipeline::run(&args),
        Command::Init(InitCommand::Source(args)) => init::scaffold::run(&args, init::Role::Source),
        Command::Init(InitCommand::Sink(args)) => init::scaffold::run(&args, init::Role::Sink),
        Command::Demo(args) => commands::demo::run(args).await,
        Command::Completions(args) => {
            commands::completions::run(&args)?;
            Ok(Exit::Ok)
        }
    }
}
