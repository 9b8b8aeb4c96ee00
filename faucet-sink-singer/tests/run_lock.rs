//! Two runs of one pipeline into one Singer sink state directory: the
//! second is refused while the first holds the pipeline's state, since
//! both would send the target states and store what it echoes.

use faucet_core::connector::*;
use faucet_sink_singer::{SingerSink, SingerSinkConfig};

fn sink(dir: &std::path::Path) -> SingerSink {
    let config: SingerSinkConfig = faucet_core::serde_json::from_value(json!({
        "executable": "target-jsonl",
        "state_dir": dir,
    }))
    .expect("a config");
    SingerSink::new(config).expect("a sink")
}

#[tokio::test]
async fn a_second_run_of_a_pipeline_is_refused_until_the_first_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (sink(dir.path()), sink(dir.path()));
    assert_eq!(first.load_checkpoint("orders").await.unwrap(), None);
    let err = second.load_checkpoint("orders").await.unwrap_err();
    assert!(
        matches!(&err, FaucetError::AlreadyRunning { pipeline, .. } if pipeline == "orders"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    // A page cannot go around the refusal either.
    let page = Page::new(vec![json!({"id": 1}).into()]);
    let ctx = CommitContext::new("orders", 0);
    let err = second.commit_page(&page, &ctx).await.unwrap_err();
    assert!(matches!(err, FaucetError::AlreadyRunning { .. }), "{err:?}");
    // Another pipeline in the same directory is not held up, and the first
    // run's finish releases its pipeline.
    second.load_checkpoint("customers").await.unwrap();
    first.finish(RunOutcome::Completed).await.unwrap();
    second.load_checkpoint("orders").await.unwrap();
}
