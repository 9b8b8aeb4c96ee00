//! `faucet state show|reset`: where a pipeline would resume, and
//! forgetting it.
//!
//! The checkpoint is where the run keeps it: in the sink, when the sink
//! stores checkpoints with its rows (PostgreSQL, a JSON Lines file), else
//! in the state directory (`state.dir` or `--state`).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use faucet_core::{
    Checkpoint, Completion, FaucetError, FileStateStore, Registry, StateStore, StreamStates,
};
use serde_json::{Value, json};

use crate::cli::{FileArgs, Format, StateResetArgs, StateShowArgs};
use crate::exit::{Exit, UsageError};
use crate::pipeline_file::{self, Connectors, LoadOptions, PipelineFile};
use crate::secrets;
use crate::summary::utc;

/// A pipeline file's connectors and where its checkpoint is kept.
struct Located {
    file: PipelineFile,
    built: Connectors,
    store: Option<(PathBuf, FileStateStore)>,
}

fn locate(
    args: &FileArgs,
    state: Option<&PathBuf>,
    registry: &Registry,
) -> anyhow::Result<Located> {
    let options = LoadOptions {
        env_file: args.env_file.clone(),
    };
    let (file, built) = pipeline_file::load(&args.pipeline, &options, registry)?;
    let dir = state
        .cloned()
        .or_else(|| file.state.as_ref().map(|s| s.dir.clone()));
    let store = dir.map(|dir| (dir.clone(), FileStateStore::new(dir)));
    Ok(Located { file, built, store })
}

/// The stored checkpoint and where it was found (as the run looks: the
/// sink first, then the state directory).
async fn stored(at: &Located) -> anyhow::Result<Option<(String, Checkpoint)>> {
    let name = &at.file.name;
    let sink = &at.built.sink;
    if let Some(checkpoint) = sink
        .load_checkpoint(name)
        .await
        .context("cannot read the sink's checkpoint")?
    {
        return Ok(Some((format!("sink `{}`", at.file.sink.kind), checkpoint)));
    }
    if let Some((dir, store)) = &at.store
        && let Some(checkpoint) = store
            .load(name)
            .await
            .context("cannot read the state directory")?
    {
        return Ok(Some((
            format!("state directory {}", dir.display()),
            checkpoint,
        )));
    }
    Ok(None)
}

/// `faucet state show PIPELINE`.
pub(crate) async fn show(args: &StateShowArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let at = locate(&args.file, args.state.as_ref(), registry)?;
    let found = stored(&at).await?;
    let (doc, words) = describe(&at, found.as_ref());
    let text = if args.format.format == Format::Json {
        serde_json::to_string_pretty(&doc)?
    } else {
        words
    };
    crate::stdout::line(&secrets::redact(&text))?;
    Ok(Exit::Ok)
}

/// What the next run would do, as JSON and in words.
fn describe(at: &Located, found: Option<&(String, Checkpoint)>) -> (Value, String) {
    let name = &at.file.name;
    let Some((place, checkpoint)) = found else {
        let words = format!(
            "pipeline `{name}`: no checkpoint stored; the next run starts from the beginning."
        );
        let doc = json!({"pipeline": name, "stored_in": null, "checkpoint": null,
            "last_run": "none", "next_run": "start"});
        return (doc, words);
    };
    let Some(done) = Completion::from_checkpoint(checkpoint) else {
        let (streams, lines) = per_stream(Some(checkpoint));
        let words = match lines {
            Some(lines) => format!(
                "pipeline `{name}`: the last run stopped before the end; the next run resumes each stream after its checkpoint:\n{lines}  stored in {place}"
            ),
            None => format!(
                "pipeline `{name}`: the last run stopped before the end; the next run resumes after checkpoint {checkpoint}.\n  stored in {place}"
            ),
        };
        let mut doc = json!({"pipeline": name, "stored_in": place, "checkpoint": checkpoint.as_value(),
            "last_run": "stopped", "next_run": "resume"});
        if let Some(streams) = streams {
            doc["streams"] = streams;
        }
        return (doc, words);
    };
    let incremental = at.built.source.capabilities().incremental;
    let idempotent = at.built.sink.capabilities().idempotent;
    let (next, what) = match (&done.checkpoint, incremental, idempotent) {
        (Some(inner), true, _) => ("continue", format!("continues after checkpoint {inner} (new records only)")),
        (None, true, _) | (_, _, true) => ("start_over", "reads everything again (the sink is idempotent)".to_owned()),
        _ => ("refuse", "is refused: it would append every record again (`faucet run --restart` does that on purpose)".to_owned()),
    };
    let (streams, lines) = per_stream(done.checkpoint.as_ref());
    let words = format!(
        "pipeline `{name}`: the last run completed at {}; the next run {what}.\n{}  stored in {place}",
        utc(done.at_unix),
        lines
            .map(|l| format!("  streams at the end:\n{l}"))
            .unwrap_or_default(),
    );
    let mut doc = json!({"pipeline": name, "stored_in": place, "checkpoint": checkpoint.as_value(),
        "last_run": "completed", "completed_at_unix": done.at_unix, "completed_at": utc(done.at_unix),
        "next_run": next});
    if let Some(streams) = streams {
        doc["streams"] = streams;
    }
    (doc, words)
}

/// A per-stream checkpoint (`{"streams": {…}}`) as a JSON map of each
/// stream's checkpoint and as one indented line per stream; `None` for any
/// other checkpoint.
fn per_stream(checkpoint: Option<&Checkpoint>) -> (Option<Value>, Option<String>) {
    let Some(states) = checkpoint.and_then(|c| StreamStates::from_checkpoint(Some(c)).ok()) else {
        return (None, None);
    };
    let width = states
        .streams()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    let mut map = serde_json::Map::new();
    let mut lines = String::new();
    for stream in states.streams() {
        let state = states.get(stream).cloned().unwrap_or(Value::Null);
        lines.push_str(&format!("    {stream:<width$}  {state}\n"));
        map.insert(stream.to_owned(), state);
    }
    if map.is_empty() {
        lines.push_str("    (no stream has started)\n");
    }
    (Some(Value::Object(map)), Some(lines))
}

/// `faucet state reset PIPELINE`.
pub(crate) async fn reset(args: &StateResetArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let at = locate(&args.file, args.state.as_ref(), registry)?;
    let name = at.file.name.clone();
    let Some((place, _)) = stored(&at).await? else {
        eprintln!("pipeline `{name}`: no checkpoint stored; nothing to reset.");
        return Ok(Exit::Ok);
    };
    if !args.yes
        && !confirm(&format!(
            "Forget the checkpoint of pipeline `{name}` in {place}? The next run starts from the beginning. [y/N] "
        ))?
    {
        eprintln!("Nothing changed.");
        return Ok(Exit::Failed);
    }
    // Reading the checkpoint may have taken the pipeline's lock (as a run
    // does): drop those connectors and clear through new ones.
    drop(at);
    let at = locate(&args.file, args.state.as_ref(), registry)?;
    let in_sink = place.starts_with("sink");
    match at.built.sink.clear_checkpoint(&name).await {
        Ok(()) => {}
        // A sink that keeps no checkpoints has none to clear.
        Err(FaucetError::Unsupported { .. }) if !in_sink => {}
        Err(err) => {
            return Err(err).with_context(|| {
                format!(
                    "cannot clear the checkpoint in sink `{}`",
                    at.file.sink.kind
                )
            });
        }
    }
    if let Some((dir, store)) = &at.store {
        store
            .clear(&name)
            .await
            .with_context(|| format!("cannot clear the checkpoint in {}", dir.display()))?;
    }
    eprintln!(
        "Forgot the checkpoint of pipeline `{name}` ({place}); the next run starts from the beginning."
    );
    Ok(Exit::Ok)
}

/// Asks on stderr, reads one answer from stdin: `y` or `yes` agrees.
fn confirm(question: &str) -> anyhow::Result<bool> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| UsageError(format!("cannot read the answer: {e}; pass --yes")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
