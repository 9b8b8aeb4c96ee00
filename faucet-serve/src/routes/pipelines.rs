//! `POST /pipelines/validate` and `POST /pipelines/check`: the body is a
//! spec.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::extract::Text;
use crate::loader::{LoadedPipeline, Spec, SpecError};

/// Loads the spec in the body: 200 `{"valid": true, "name"}`, or 422
/// `{"valid": false, "errors": [{"path", "message"}]}`.
pub(super) async fn validate(State(state): State<AppState>, Text(spec): Text) -> Response {
    match load(&state, Spec::new(&spec)) {
        Ok(loaded) => Json(json!({ "valid": true, "name": loaded.name })).into_response(),
        Err(errors) => invalid(errors),
    }
}

/// Loads the spec and runs the connectors' checks: 200 with each
/// checklist and `passed`, or 422 as for validate.
pub(super) async fn check(State(state): State<AppState>, Text(spec): Text) -> Response {
    let loaded = match load(&state, Spec::new(&spec)) {
        Ok(loaded) => loaded,
        Err(errors) => return invalid(errors),
    };
    let mut body = serde_json::to_value(state.loader.check(&loaded).await).unwrap_or_default();
    crate::mask::Masker::new(&loaded.secrets).json(&mut body);
    Json(body).into_response()
}

/// The spec, loaded by the server's loader.
pub(super) fn load(state: &AppState, spec: Spec<'_>) -> Result<LoadedPipeline, Vec<SpecError>> {
    state.loader.load(spec, &state.registry)
}

/// 422 with every error.
pub(super) fn invalid(errors: Vec<SpecError>) -> Response {
    let body = json!({ "valid": false, "errors": errors });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}
