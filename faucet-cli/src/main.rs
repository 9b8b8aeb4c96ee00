//! `faucet`: run, validate, check and scaffold data pipelines that move
//! records from APIs into databases without losing or duplicating a row.
//!
//! Exit codes: 0 ok, 1 the run (or a check) failed, 2 bad config or usage,
//! 130 interrupted (rerun the same command to resume).

mod allocator;

fn main() -> std::process::ExitCode {
    faucet_cli::main_with(faucet_cli::builtin_registry())
}
