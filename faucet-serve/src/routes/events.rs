//! `GET /runs/{id}/events`: a run's progress as server-sent events.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::AppState;
use crate::error::ApiError;
use crate::runs::record::RunRecord;

/// One `progress` event per change of the run (the first is its state
/// now), each the run's record as JSON, ending after the event of its
/// final state. A follower too slow to keep up skips to the latest.
pub(super) async fn events(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.runs.follow(&id) {
        Some((now, rx)) => Sse::new(progress(now, rx))
            .keep_alive(KeepAlive::default())
            .into_response(),
        None => ApiError::no_run(&id).into_response(),
    }
}

fn progress(
    now: RunRecord,
    rx: Receiver<RunRecord>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((Some(now), rx, false), |(first, mut rx, done)| async move {
        if done {
            return None;
        }
        let record = match first {
            Some(record) => record,
            None => loop {
                match rx.recv().await {
                    Ok(record) => break record,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            },
        };
        let done = record.state.is_final();
        let event = Event::default()
            .event("progress")
            .json_data(&record)
            .unwrap_or_default();
        Some((Ok(event), (None, rx, done)))
    })
}
