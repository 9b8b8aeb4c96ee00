//! `GET /runs/{id}/events`: a run's progress and log as server-sent
//! events.

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use crate::error::ApiError;
use crate::runs::{Following, RunEvent};

/// The run's log so far as `log` events (`{"level", "message"}`, secrets
/// masked: the server's lines and, with [`crate::RunLogLayer`] installed,
/// the connectors' own),
/// a `progress` event of the run now (its record as JSON), then a
/// `progress` event per change and a `log` event per new line; the stream
/// ends after the progress event of its final state. A follower too slow to keep up
/// skips to the latest events.
pub(super) async fn events(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.runs.follow(&id) {
        Some(following) => Sse::new(follow(following))
            .keep_alive(KeepAlive::default())
            .into_response(),
        None => ApiError::no_run(&id).into_response(),
    }
}

fn follow(following: Following) -> impl Stream<Item = Result<Event, Infallible>> {
    let mut first: VecDeque<RunEvent> = following.log.into_iter().map(RunEvent::Log).collect();
    first.push_back(RunEvent::Progress(Box::new(following.record)));
    let rx = following.later;
    stream::unfold((first, rx, false), |(mut first, mut rx, done)| async move {
        if done {
            return None;
        }
        let next = match first.pop_front() {
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
            RunEvent::Log(line) => {
                let event = Event::default()
                    .event("log")
                    .json_data(json!({ "level": line.level, "message": line.message }));
                (event, false)
            }
        };
        Some((Ok(event.unwrap_or_default()), (first, rx, done)))
    })
}
