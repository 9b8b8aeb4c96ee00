//! `faucet demo`: a first run that needs no network and no database.
//!
//! Serves the test kit's sample API in-process on 127.0.0.1, writes a
//! REST → JSON Lines pipeline file for it (or REST → PostgreSQL with
//! `--postgres URL`), prints that file, and runs it with the usual
//! progress display and summary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::demo_api::DemoApi;
use anyhow::Context;

use super::run::{RunOptions, execute};
use crate::cli::DemoArgs;

use crate::exit::Exit;
use crate::pipeline_file::{self, LoadOptions};
use crate::secrets;

/// Records per page the demo asks for.
const PAGE_SIZE: u64 = 500;

/// Wait before each page, so the sample API behaves like a remote one.
const LATENCY: Duration = Duration::from_millis(10);

/// Runs the demo.
pub(crate) async fn run(args: DemoArgs, registry: &faucet_core::Registry) -> anyhow::Result<Exit> {
    let server = DemoApi::start(args.records, LATENCY)
        .await
        .context("cannot start the sample API on 127.0.0.1")?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let output = args.dir.join("records.jsonl");
    let postgres = args.postgres.as_deref().map(|_| args.schema.as_str());
    let text = pipeline_text(&server.url(), postgres, &output);
    let path = args.dir.join("pipeline.yaml");
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    let mut options = LoadOptions::default();
    if let Some(url) = &args.postgres {
        let env_file = args.dir.join(".env");
        write_env_file(&env_file, url)?;
        options.env_file = Some(env_file);
    }
    let (file, built) = pipeline_file::load(&path, &options, registry)?;
    if args.postgres.is_none() {
        start_fresh(&output)?;
    }
    eprintln!(
        "Serving {} sample records at {} (in this process), {PAGE_SIZE} per page.\nPipeline file {}:\n",
        args.records,
        server.url(),
        path.display()
    );
    eprintln!("{}", indent(&secrets::redact(&text)));
    let options = RunOptions {
        limit: None,
        state: None,
        progress: args.progress,
        report: None,
        // The sample API is new each time, so the demo always starts over.
        restart: true,
        streams: None,
        format: crate::cli::Format::Text,
    };
    let exit = execute(&file, built, &options).await?;
    match exit {
        Exit::Ok => eprintln!("{}", next_steps(&path, args.postgres.is_some(), &output)),
        Exit::Interrupted => eprintln!(
            "(The demo's API stops with it, so `faucet demo` starts over each time; a `faucet run` of your own pipeline resumes.)"
        ),
        _ => {}
    }
    Ok(exit)
}

/// The demo's pipeline file.
/// `postgres` is the schema of the table when the sink is PostgreSQL; the
/// database URL stays out of the file, in `.env` beside it.
fn pipeline_text(base_url: &str, postgres: Option<&str>, output: &Path) -> String {
    let sink = match postgres {
        Some(schema) => format!(
            "sink:\n  type: postgres\n  url: ${{DATABASE_URL}}\n  schema: \"{schema}\"\n  table: faucet_demo\n  \
             mode: upsert\n  key: [id]\n"
        ),
        None => format!("sink:\n  type: jsonl\n  path: \"{}\"\n", output.display()),
    };
    format!(
        "# A REST → {} pipeline against faucet's sample API.\n\
         name: faucet-demo\n\
         source:\n  type: rest\n  base_url: \"{base_url}\"\n  path: /records/page\n  records: data\n  \
         pagination:\n    kind: page_number\n    size_param: per_page\n    size: {PAGE_SIZE}\n{sink}",
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "JSON Lines"
        }
    )
}

/// Writes `DATABASE_URL='url'` to `path`, readable by its owner only: the
/// URL may hold a password. A `'` in the URL is written percent-encoded
/// (`%27`), which PostgreSQL decodes to the same URL.
fn write_env_file(path: &Path, url: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut file = open
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let line = format!("DATABASE_URL='{}'\n", url.replace('\'', "%27"));
    file.write_all(line.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Removes the output of an earlier demo and its state, so the demo
/// starts from the first record.
fn start_fresh(output: &Path) -> anyhow::Result<()> {
    let mut state = output.as_os_str().to_owned();
    state.push(".faucet-state.json");
    for file in [output.to_path_buf(), PathBuf::from(state)] {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", file.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

fn next_steps(path: &Path, postgres: bool, output: &Path) -> String {
    let wrote = if postgres {
        "The records are in the table `faucet_demo`.".to_owned()
    } else {
        format!("The records are in {}.", output.display())
    };
    format!(
        "\n{wrote}\nNext: copy {} and point `base_url` at your API (the sample API stops with the demo); \
         `faucet init pipeline --source rest --sink postgres` writes a commented starting point.{}",
        path.display(),
        if postgres {
            "\nThe database URL is in .env beside the pipeline file (readable by you only): keep it out of version control."
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_file_is_short_and_names_its_connectors() {
        let text = pipeline_text("http://127.0.0.1:1", None, Path::new("d/records.jsonl"));
        assert!(
            text.contains("type: rest") && text.contains("type: jsonl"),
            "{text}"
        );
        assert!(text.lines().count() <= 14, "{text}");
        let text = pipeline_text("http://127.0.0.1:1", Some("public"), Path::new("x"));
        assert!(
            text.contains("type: postgres") && text.contains("mode: upsert"),
            "{text}"
        );
        assert!(text.contains("url: ${DATABASE_URL}\n"), "{text}");
    }
}
