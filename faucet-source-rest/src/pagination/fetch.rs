//! Fetching one page and decoding it on another task.

use std::sync::Arc;

use faucet_core::{CancellationToken, FaucetError, Result};

use super::{PartitionState, Position};
use crate::extract::{Decoded, decode, link_next};
use crate::incremental::{Threshold, format_value};
use crate::plan::Paging;
use crate::stream::Shared;

/// Fetches `position` of partition `part` and decodes it in a spawned
/// task (so decoding runs in parallel with other fetches and with the
/// sink). Next links come back absolute.
pub(crate) async fn fetch_page(
    shared: &Arc<Shared>,
    part: usize,
    position: &Position,
    state: &PartitionState,
    cancel: &CancellationToken,
) -> Result<Decoded> {
    let plan = &shared.plan;
    let since = match (&state.since, &plan.incremental) {
        (Some(value), Some(inc)) => Some(format_value(value, inc.format)?),
        _ => None,
    };
    let request = plan.request(part, position, since.as_deref())?;
    let response = shared.client.send(&request, cancel).await?;
    let link = match plan.paging {
        Paging::LinkHeader => response
            .headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(link_next),
        _ => None,
    };
    let threshold = state.since.clone().map(|value| Threshold {
        value,
        inclusive: state.since_inclusive,
    });
    let spec = shared.spec.clone();
    let (body, url) = (response.body, response.url);
    let mut decoded = tokio::spawn(async move { decode(&body, &url, &spec, threshold.as_ref()) })
        .await
        .map_err(|e| FaucetError::source_error(format!("decoding task failed: {e}")))??;
    if link.is_some() {
        decoded.next_url = link;
    }
    if let Some(next) = decoded.next_url.take() {
        let mut absolute = request.url.join(&next).map_err(|e| {
            FaucetError::source_error(format!(
                "next link `{}` from {} is not a valid URL: {e}",
                faucet_common_http::redact_url(&next, &[]),
                shared.client.redact(&request.url)
            ))
        })?;
        shared.client.strip_credentials(&mut absolute);
        decoded.next_url = Some(absolute.to_string());
    }
    Ok(decoded)
}
