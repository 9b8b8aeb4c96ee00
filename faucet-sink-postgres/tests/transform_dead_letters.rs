//! Records a transform fails on under `on_error: dead_letter` land in the
//! dead-letter table in the same transaction as their page: with their
//! original text, the transform and position in the reason, exactly once
//! across an upsert run's overlapping commits.

mod support;

use faucet_core::connector::*;
use faucet_core::{OnError, Pipeline};
use faucet_sink_postgres::{PostgresSink, WriteMode};
use serde_json::json;
use support::*;

/// Fails on records whose `id` is a multiple of 7.
struct SevensFail;

impl Transform for SevensFail {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        match record.field("id")? {
            Some(ValueRef::Number(n)) if n.as_u64().is_some_and(|id| id % 7 == 0) => {
                Err(FaucetError::decode("field `id`", "a multiple of seven"))
            }
            _ => {
                out.push(record);
                Ok(())
            }
        }
    }

    fn name(&self) -> &str {
        "sevens"
    }
}

#[tokio::test]
async fn dead_letters_of_a_transform_commit_with_their_page() {
    for mode in [WriteMode::Append, WriteMode::Upsert] {
        let table = format!("letters_{mode:?}").to_lowercase();
        let (schema, mut config) = setup(&table).await;
        config.mode = mode;
        config.key = vec!["id".into()];
        config.batch_rows = 60;
        let records: Vec<_> = (1..=300).map(|id| json!({"id": id, "n": 1.5})).collect();
        let sink = PostgresSink::new(config).unwrap();
        let report = Pipeline::new(PagedSource::new(records, 25), sink)
            .with_name(table.as_str())
            .transform_with(SevensFail, OnError::DeadLetter)
            .run()
            .await
            .unwrap();
        assert_eq!(report.progress.records_dead_lettered, 42, "{mode:?}");
        assert_eq!(count(&schema, &table).await, 258, "{mode:?}");
        let rejected = format!("{table}_rejected");
        let rows = schema
            .client()
            .query(
                &format!(
                    "SELECT position, reason, record::text FROM \"{}\".\"{rejected}\" \
                     ORDER BY (record->>'id')::int",
                    schema.name()
                ),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 42, "{mode:?}: every dead letter once");
        let (position, reason, record): (String, String, String) =
            (rows[0].get(0), rows[0].get(1), rows[0].get(2));
        assert_eq!(position, "page 0, record 6");
        assert!(
            reason.starts_with("transforms[0] (sevens): ") && reason.contains("multiple of seven"),
            "{reason}"
        );
        assert_eq!(record, r#"{"n": 1.5, "id": 7}"#);
    }
}
