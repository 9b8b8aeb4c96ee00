//! `GET /health`, `GET /ready`, `GET /manifest`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use faucet_core::Registry;
use serde_json::{Value, json};

use super::AppState;
use crate::options::ServeOptions;

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
/// schema.
pub(super) async fn manifest(State(state): State<AppState>) -> Json<Value> {
    Json(manifest_of(&state.registry, &state.options))
}

/// The manifest of a server with `registry` and `options`.
pub(crate) fn manifest_of(registry: &Registry, options: &ServeOptions) -> Value {
    let connectors: Vec<Value> = registry
        .connectors()
        .into_iter()
        .map(|info| {
            let schema = registry
                .schema(info.kind, &info.name)
                .map(|s| s.to_value())
                .unwrap_or(Value::Null);
            json!({
                "kind": info.kind.to_string(),
                "type": info.name,
                "description": info.description,
                "config_schema": schema,
            })
        })
        .collect();
    json!({
        "name": options.name,
        "version": options.version,
        "connectors": connectors,
    })
}
