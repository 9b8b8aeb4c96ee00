//! `GET /runs/{id}/events`: a run's progress and log as server-sent
//! events.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use serde_json::json;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::AppState;
use crate::error::ApiError;
use crate::runs::RunEvent;
use crate::runs::record::RunRecord;

/// A `progress` event per change of the run (the first is its state
/// now), each the run's record as JSON, and a `log` event per line of its
/// log (`{"message"}`, secrets masked); the stream ends after the
/// progress event of its final state. A follower too slow to keep up
/// skips to the latest events.
pub(super) async fn events(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.runs.follow(&id) {
        Some((now, rx)) => Sse::new(follow(now, rx))
            .keep_alive(KeepAlive::default())
            .into_response(),
        None => ApiError::no_run(&id).into_response(),
    }
}

fn follow(now: RunRecord, rx: Receiver<RunEvent>) -> impl Stream<Item = Result<Event, Infallible>> {
    let first = Some(RunEvent::Progress(Box::new(now)));
    stream::unfold((first, rx, false), |(first, mut rx, done)| async move {
        if done {
            return None;
        }
        let next = match first {
            Some(event) => event,
            None => loop {
                match rx.recv().await {
                    Ok(event) => break event,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            },
        };
        let (event, done) = match next {
            RunEvent::Progress(record) => {
                let event = Event::default().event("progress").json_data(&record);
                (event, record.state.is_final())
            }
            RunEvent::Log(message) => {
                let event = Event::default()
                    .event("log")
                    .json_data(json!({ "message": message }));
                (event, false)
            }
        };
        Some((Ok(event.unwrap_or_default()), (None, rx, done)))
    })
}
