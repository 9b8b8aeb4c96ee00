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
    // The first run's first page takes the lock (an empty page: nothing
    // is started, its checkpoint is stored at once).
    let empty = Page::new(vec![]).with_checkpoint(Checkpoint::new(json!({"page": 1})));
    let ctx = CommitContext::new("orders", 0);
    first.commit_page(&empty, &ctx).await.unwrap();
    // Reading the checkpoint takes no lock (`faucet state show`).
    let stored = second.load_checkpoint("orders").await.unwrap();
    assert_eq!(stored, Some(Checkpoint::new(json!({"page": 1}))));
    let err = second.commit_page(&empty, &ctx).await.unwrap_err();
    assert!(
        matches!(&err, FaucetError::AlreadyRunning { pipeline, .. } if pipeline == "orders"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    // Another pipeline in the same directory is not held up, and the first
    // run's finish releases its pipeline.
    let other = CommitContext::new("customers", 0);
    second.commit_page(&empty, &other).await.unwrap();
    first.finish(RunOutcome::Completed).await.unwrap();
    second.commit_page(&empty, &ctx).await.unwrap();
}
