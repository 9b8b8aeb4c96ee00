//! Stop signals that contradict each other: an end of stream is the API's
//! own signal, so a contradiction fails the run (or warns, where the API
//! may be right), naming the page's URL and the config paths involved.

use faucet_core::{FaucetError, Result};

use super::PartitionState;
use crate::config::RestOnTotalMismatch;
use crate::extract::Decoded;
use crate::plan::{Paging, Plan};

/// Takes in a page's counts: records read, and the total the API
/// announced (the first one seen is kept).
pub(crate) fn count(state: &mut PartitionState, decoded: &Decoded) {
    state.read = state.read.map(|r| r + decoded.received as u64);
    state.total = state.total.or(decoded.total);
}

/// At a partition's end (`why`), compares the records read with the
/// API's total: fewer is an error (or a warning with
/// `on_total_mismatch: warn`). Skipped after `max_pages`, which asks for a
/// part of the stream, and for a checkpoint of an older version that did
/// not count.
pub(crate) fn reconcile(plan: &Plan, state: &PartitionState, url: &str, why: &str) -> Result<()> {
    let (Some(read), Some(total)) = (state.read, state.total) else {
        return Ok(());
    };
    if read >= total || why == "max_pages reached" {
        return Ok(());
    }
    let source = if plan.stop.total_path.is_some() {
        "`pagination.stop.total_path`"
    } else {
        "a total header (`pagination.stop.total_headers`)"
    };
    let message = format!(
        "pagination ended ({why}) at {url} after {read} records, but the API announced {total} in {source}; the stream is incomplete (check `pagination` against the API's docs, or set `pagination.stop.on_total_mismatch: warn` to accept it)"
    );
    match plan.stop.on_total_mismatch {
        RestOnTotalMismatch::Error => Err(FaucetError::source_error(message)),
        RestOnTotalMismatch::Warn => {
            tracing::warn!(url = %url, read, total, "Fewer records than the API's total");
            Ok(())
        }
    }
}

/// At a partition's end (`why`), compares the pages read with the page
/// count the API announced (`total_pages_path`): fewer is an error (or a
/// warning with `on_total_mismatch: warn`), as for a record total.
pub(crate) fn reconcile_pages(
    plan: &Plan,
    read_pages: u64,
    total_pages: u64,
    url: &str,
    why: &str,
) -> Result<()> {
    if read_pages >= total_pages || why == "max_pages reached" {
        return Ok(());
    }
    let message = format!(
        "pagination ended ({why}) at {url} after {read_pages} pages, but the API announced {total_pages} in `pagination.stop.total_pages_path`; the stream is incomplete (check `pagination` against the API's docs, or set `pagination.stop.on_total_mismatch: warn` to accept it)"
    );
    match plan.stop.on_total_mismatch {
        RestOnTotalMismatch::Error => Err(FaucetError::source_error(message)),
        RestOnTotalMismatch::Warn => {
            tracing::warn!(url = %url, read_pages, total_pages, "Fewer pages than the API's page count");
            Ok(())
        }
    }
}

/// A loop guard fired at `decoded`'s page (`what`: the previous page's body
/// again, a cursor or link seen before): the API ignores the paging
/// parameter, or loops. That ends the stream only when nothing the API
/// said contradicts it: `has_more` true on the repeated page, or a total
/// above what was read, is an error naming the URL and the parameter.
pub(crate) fn repeated(
    plan: &Plan,
    state: &PartitionState,
    decoded: &Decoded,
    what: &str,
) -> Result<()> {
    if decoded.has_more == Some(true) {
        let has_more = plan.stop.has_more_path.as_deref().unwrap_or_default();
        return Err(FaucetError::source_error(format!(
            "the page at {} repeats {what} while it says more pages follow (`pagination.stop.has_more_path`: `{has_more}` is true): the API ignores or loops on the paging parameter; check `pagination.param` (and {}) against the API's docs",
            decoded.url, plan.next_field
        )));
    }
    reconcile(plan, state, &decoded.url, what)
}

/// `has_more` says more pages follow but there is no cursor or link.
pub(crate) fn more_without_next(plan: &Plan, decoded: &Decoded) -> FaucetError {
    let has_more = plan.stop.has_more_path.as_deref().unwrap_or_default();
    FaucetError::source_error(format!(
        "the page at {} says more pages follow (`pagination.stop.has_more_path`: `{has_more}` is true) but {} gave no next page; check {}",
        decoded.url, plan.next_field, plan.next_field
    ))
}

/// Whether every page so far had a cursor or link, and their largest
/// size: a full page without one after that can be suspicious.
#[derive(Debug, Default)]
pub(crate) struct NextHistory {
    pages: u64,
    largest: usize,
}

/// What the end of a cursor or link chain tells, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndNote {
    /// Nothing worth a line: an empty or short last page, or an API that
    /// said the stream ends (an explicit `null` or empty cursor / next
    /// URL in the body, or no `rel="next"` in a `Link` header, the
    /// header's only way to say it).
    Quiet,
    /// The first page has no next page: one page is read.
    OnePage,
    /// A full page after pages that all had a next position has no
    /// cursor / next-URL field at all: the API may have changed shape
    /// mid-stream.
    Suspicious,
}

impl NextHistory {
    /// Takes in a page that has a next position.
    pub(crate) fn linked(&mut self, received: usize) {
        self.pages += 1;
        self.largest = self.largest.max(received);
    }

    /// What the last page of a chain tells. A full last page is what
    /// every API that looks ahead gives when the page size divides the
    /// count, so it is suspicious only when the field that held the next
    /// position is missing from the body, not when it says `null`.
    pub(crate) fn end_note(&self, plan: &Plan, decoded: &Decoded) -> EndNote {
        let said_end = decoded.next_stated || matches!(plan.paging, Paging::LinkHeader);
        if self.pages > 0 && decoded.received > 0 && decoded.received >= self.largest {
            if said_end {
                EndNote::Quiet
            } else {
                EndNote::Suspicious
            }
        } else if self.pages == 0 && decoded.received > 0 {
            EndNote::OnePage
        } else {
            EndNote::Quiet
        }
    }

    /// Logs what the last page of a chain tells ([`Self::end_note`]).
    pub(crate) fn check_end(&self, plan: &Plan, decoded: &Decoded) {
        match self.end_note(plan, decoded) {
            EndNote::Quiet => {}
            EndNote::OnePage => tracing::info!(
                url = %decoded.url,
                field = plan.next_field,
                "The first page has no next page; reading one page"
            ),
            EndNote::Suspicious => tracing::warn!(
                url = %decoded.url,
                field = plan.next_field,
                records = decoded.received,
                "A full page has nothing at {} after {} pages that had a next position; ending pagination, but the stream may be incomplete",
                plan.next_field,
                self.pages
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RestSourceConfig;

    fn plan(pagination: serde_json::Value) -> Plan {
        let config: RestSourceConfig = faucet_core::parse_config(serde_json::json!({
            "base_url": "http://127.0.0.1:1",
            "path": "/x",
            "pagination": pagination,
        }))
        .unwrap();
        Plan::new(&config).unwrap()
    }

    fn last(received: usize, next_stated: bool) -> Decoded {
        Decoded {
            received,
            next_stated,
            ..Decoded::default()
        }
    }

    #[test]
    fn a_full_last_page_is_suspicious_only_without_its_next_field() {
        let cursor = plan(serde_json::json!({"kind": "cursor", "cursor_path": "next"}));
        let links = plan(serde_json::json!({"kind": "link_header"}));
        let mut history = NextHistory::default();
        history.linked(2);
        // `"next": null` on a full page: the API said it ends (the shop's
        // orders when the count divides by the page size).
        assert_eq!(history.end_note(&cursor, &last(2, true)), EndNote::Quiet);
        // No `Link: rel="next"` on a full page (the shop's order lines).
        assert_eq!(history.end_note(&links, &last(2, false)), EndNote::Quiet);
        // The field is gone from a full page: the shape may have changed.
        assert_eq!(
            history.end_note(&cursor, &last(2, false)),
            EndNote::Suspicious
        );
        // A short or empty last page says nothing more.
        assert_eq!(history.end_note(&cursor, &last(1, false)), EndNote::Quiet);
        assert_eq!(history.end_note(&cursor, &last(0, false)), EndNote::Quiet);
        let first = NextHistory::default();
        assert_eq!(first.end_note(&cursor, &last(2, true)), EndNote::OnePage);
    }
}
