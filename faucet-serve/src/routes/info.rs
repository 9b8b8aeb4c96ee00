//! `GET /health`, `GET /ready`, `GET /manifest`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use crate::manifest::Manifest;

/// Liveness: the process answers.
pub(super) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the run store can be written.
pub(super) async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.runs.ready() {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        let body = json!({ "status": "not_ready", "error": "the run store cannot be written" });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}

/// The server's name and version, and every connector with its config
/// schema, capabilities and actions.
pub(super) async fn manifest(State(state): State<AppState>) -> Json<Value> {
    Json(Manifest::of(&state.registry, &state.options).to_value())
}
