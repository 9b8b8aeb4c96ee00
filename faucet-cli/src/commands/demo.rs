//! `faucet demo`.

use crate::cli::DemoArgs;
use crate::exit::Exit;

/// Serves the sample API and loads it.
pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<Exit> {
    let _ = args;
    anyhow::bail!("the demo needs the REST source, which is not built in yet")
}
