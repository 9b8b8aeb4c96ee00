//! The conformance kit on this sink: every record once, and exactly once
//! across a failed run and a resume.

mod support;

use faucet_core::conformance;
use faucet_core::connector::*;
use faucet_sink_postgres::PostgresSink;
use support::*;

#[tokio::test]
async fn passes_the_conformance_kit() {
    let (schema, mut config) = setup("kit").await;
    // Commits inside the run, so the failed run leaves committed pages.
    config.batch_rows = 7;
    let read_back = || async {
        let rows = schema
            .client()
            .query("SELECT id, page FROM kit ORDER BY id", &[])
            .await
            .map_err(|e| FaucetError::sink_error(e.to_string()))?;
        Ok(rows
            .iter()
            .map(|r| json!({"id": r.get::<_, i64>(0), "page": r.get::<_, i64>(1)}).into())
            .collect())
    };
    let report =
        conformance::check_sink(|| PostgresSink::new(config.clone()).unwrap(), read_back).await;
    report.assert_passed();
    assert!(
        report
            .checks
            .items
            .iter()
            .any(|i| i.name.contains("exactly once"))
    );
}
