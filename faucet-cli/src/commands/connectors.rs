//! `faucet connectors`: one line per registered connector.

use crate::connectors;

/// Prints `source  rest  Reads records from …` lines, sources first.
pub(crate) fn run() -> std::io::Result<()> {
    let list = connectors::builtin().connectors();
    let width = list.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for info in list {
        out.push_str(&format!(
            "{:<6}  {:<width$}  {}\n",
            info.kind.to_string(),
            info.name,
            info.description
        ));
    }
    crate::stdout::write(&out)
}
