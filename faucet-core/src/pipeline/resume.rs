//! Where a run starts: from nothing, after a stored checkpoint, or — when
//! the last run completed — wherever repeating it is safe.
//!
//! A completed run leaves a completion marker (see [`Completion`]). What the
//! next run does with it:
//!
//! | asked / connectors                          | next run                          |
//! |---------------------------------------------|-----------------------------------|
//! | `with_restart(true)`                        | reads everything again            |
//! | incremental source, final checkpoint stored | continues after it (new records)  |
//! | … but a stream it reads in full is appended | [`FaucetError::Completed`] naming it |
//! | idempotent sink (upsert, replace)           | reads everything again            |
//! | anything else (a full read into an append)  | [`FaucetError::Completed`]        |

use super::Pipeline;
use super::completion::Completion;
use super::report::Resume;
use crate::error::{FaucetError, Result};
use crate::page::Checkpoint;
use crate::sink::Sink;
use crate::source::Source;

/// The decision: what the source resumes from (still to be split by
/// `cut::split`), and the words for the report.
pub(super) struct StartPoint {
    pub(super) from: Option<Checkpoint>,
    pub(super) resume: Resume,
}

pub(super) async fn decide<S: Source, K: Sink>(p: &Pipeline<S, K>) -> Result<StartPoint> {
    // The sink is asked even on a restart: a sink that takes the
    // pipeline's lock takes it here.
    let stored = load(p).await?;
    if p.restart {
        return Ok(StartPoint {
            from: None,
            resume: Resume::Restarted,
        });
    }
    let Some(stored) = stored else {
        return Ok(StartPoint {
            from: None,
            resume: Resume::Fresh,
        });
    };
    let Some(done) = Completion::from_checkpoint(&stored) else {
        return Ok(StartPoint {
            from: Some(stored.clone()),
            resume: Resume::Resumed { after: stored },
        });
    };
    after_completion(p, done)
}

fn after_completion<S: Source, K: Sink>(
    p: &Pipeline<S, K>,
    done: Completion,
) -> Result<StartPoint> {
    let incremental = p.source.capabilities().incremental;
    if incremental {
        // Streams read in full on every run must land idempotently.
        let appended: Vec<String> = p
            .source
            .full_refresh_streams()
            .into_iter()
            .filter(|s| p.streams.selects(Some(s)) && !p.sink.idempotent_for(s))
            .collect();
        if !appended.is_empty() {
            return Err(FaucetError::Completed {
                pipeline: p.name.clone(),
                at_unix: done.at_unix,
                streams: appended,
            });
        }
    }
    match done.checkpoint {
        Some(after) if incremental => Ok(StartPoint {
            from: Some(after.clone()),
            resume: Resume::Continued {
                after,
                completed_at_unix: done.at_unix,
            },
        }),
        // An incremental source that never gave a position read nothing it
        // could continue after: reading from the start is what it would do.
        None if incremental => Ok(StartPoint {
            from: None,
            resume: Resume::StartedOver {
                completed_at_unix: done.at_unix,
            },
        }),
        _ if p.sink.capabilities().idempotent => Ok(StartPoint {
            from: None,
            resume: Resume::StartedOver {
                completed_at_unix: done.at_unix,
            },
        }),
        _ => Err(FaucetError::Completed {
            pipeline: p.name.clone(),
            at_unix: done.at_unix,
            streams: Vec::new(),
        }),
    }
}

async fn load<S: Source, K: Sink>(p: &Pipeline<S, K>) -> Result<Option<Checkpoint>> {
    if let Some(checkpoint) = p.sink.load_checkpoint(&p.name).await? {
        return Ok(Some(checkpoint));
    }
    match &p.state {
        Some(store) => store.load(&p.name).await,
        None => Ok(None),
    }
}
