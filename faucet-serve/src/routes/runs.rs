//! `POST /runs`, `GET /runs`, `GET /runs/{id}`, `POST /runs/{id}/cancel`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::extract::{Params, Text};
use super::pipelines::{invalid, load};
use super::{AppState, named, spec_hash};
use crate::error::ApiError;
use crate::loader::Spec;
use crate::runs::Refused;
use crate::runs::record::{RunRecord, RunState};

/// The query of `POST /runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StartQuery {
    /// Start from the beginning whatever checkpoint is stored.
    #[serde(default)]
    restart: bool,
    /// Run this pipeline file of the pipelines directory instead of a
    /// spec in the body.
    #[serde(default)]
    pipeline: Option<String>,
}

/// Starts a run of the spec in the body, or of pipeline file
/// `?pipeline=NAME`: 202 with the run (state `queued`) at once; 422 for a
/// bad spec, 409 when the pipeline is running, 429 when the server is
/// full, 503 when it is shutting down.
pub(super) async fn start(
    State(state): State<AppState>,
    Params(query): Params<StartQuery>,
    Text(body): Text,
) -> Response {
    let (file, spec) = match &query.pipeline {
        None => (None, body),
        Some(_) if !body.trim().is_empty() => {
            let message = "send a spec in the body or `?pipeline=NAME`, not both";
            return ApiError::new(StatusCode::BAD_REQUEST, message).into_response();
        }
        Some(name) => match named::read(state.options.pipelines_dir.as_deref(), name) {
            Ok((path, text)) => (Some(path), text),
            Err(err) => return err.into_response(),
        },
    };
    let input = match &file {
        Some(path) => Spec::from_file(&spec, path),
        None => Spec::new(&spec),
    };
    let loaded = match load(&state, input) {
        Ok(loaded) => loaded,
        Err(errors) => return invalid(errors),
    };
    let name = loaded.name.clone();
    match state.runs.start(loaded, spec_hash(&spec), query.restart) {
        Ok(record) => (StatusCode::ACCEPTED, Json(record)).into_response(),
        Err(Refused::Busy(id)) => ApiError::new(
            StatusCode::CONFLICT,
            format!("pipeline `{name}` is already running (run {id})"),
        )
        .with("running_id", id)
        .into_response(),
        Err(Refused::Full(max)) => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("{max} runs are in flight, the most this server allows"),
        )
        .retry_after(state.options.retry_after_secs)
        .into_response(),
        Err(Refused::ShuttingDown) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )
        .into_response(),
    }
}

/// The query of `GET /runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// Only the runs of this pipeline.
    #[serde(default)]
    pipeline: Option<String>,
    /// Only the runs in this state.
    #[serde(default)]
    state: Option<RunState>,
    /// Only the newest this many (still oldest first).
    #[serde(default)]
    limit: Option<usize>,
}

/// The runs, oldest first: `{"runs": […]}`; every run unless the query
/// narrows it.
pub(super) async fn list(
    State(state): State<AppState>,
    Params(query): Params<ListQuery>,
) -> Response {
    let mut runs: Vec<RunRecord> = state
        .runs
        .list()
        .into_iter()
        .filter(|r| query.pipeline.as_ref().is_none_or(|p| &r.pipeline == p))
        .filter(|r| query.state.is_none_or(|s| r.state == s))
        .collect();
    if let Some(limit) = query.limit {
        runs.drain(..runs.len().saturating_sub(limit));
    }
    Json(json!({ "runs": runs })).into_response()
}

/// One run, or 404.
pub(super) async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.runs.get(&id) {
        Some(record) => Json(record).into_response(),
        None => ApiError::no_run(&id).into_response(),
    }
}

/// Asks a run to stop at its next page boundary: 202 with the run; 409
/// when it is over already; 404 when there is no such run.
pub(super) async fn cancel(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.runs.cancel(&id) {
        Some((true, record)) => (StatusCode::ACCEPTED, Json(record)).into_response(),
        Some((false, record)) => ApiError::new(
            StatusCode::CONFLICT,
            format!("run {id} is over already ({})", record.state.as_str()),
        )
        .with("state", record.state.as_str())
        .into_response(),
        None => ApiError::no_run(&id).into_response(),
    }
}
