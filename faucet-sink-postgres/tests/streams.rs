//! Many streams: a table per stream (`table: "{stream}"`, or per-stream
//! settings under `streams`), each created, evolved and written in its
//! own mode; names quoted; one table refusing a second stream.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::PostgresSink;
use support::*;

#[tokio::test]
async fn a_template_writes_a_table_per_stream() {
    let (schema, mut config) = setup("{stream}").await;
    config.batch_rows = 9;
    let sink = PostgresSink::new(config).unwrap();
    assert!(sink.capabilities().streams);
    let report = run(&sink, ShopSource::new(5, 12, 23, 4)).await.unwrap();
    let source = ShopSource::new(5, 12, 23, 4);
    for (s, name) in SHOP.iter().enumerate() {
        assert_stream(&schema, name, &source, s).await;
        let progress = &report.progress.streams[*name];
        assert_eq!(progress.records_written, source.counts[s] as u64, "{name}");
    }
    // The run completed: the last page's checkpoint, the whole map.
    let stored = stored_checkpoint(&schema, "shop").await.unwrap();
    assert_eq!(
        stored["faucet_completed"]["checkpoint"],
        json!({"streams": {
            "accounts": {"next": 5}, "orders": {"next": 12}, "order_lines": {"next": 23}
        }})
    );
    assert_eq!(
        column_types(&schema, "orders").await,
        [
            ("id".to_owned(), "bigint".to_owned()),
            ("account_id".to_owned(), "bigint".to_owned()),
            ("total".to_owned(), "double precision".to_owned()),
            ("version".to_owned(), "bigint".to_owned()),
        ]
    );
}

#[tokio::test]
async fn each_stream_has_its_own_mode() {
    let (schema, config) = setup("unused").await;
    let sink = PostgresSink::new(mixed(config.clone())).unwrap();
    assert!(!sink.capabilities().idempotent, "lines append");
    // Per stream: replace and upsert repeat harmlessly, lines (the sink's
    // mode, append) and an unmapped stream of the template do not.
    assert!(sink.idempotent_for("accounts") && sink.idempotent_for("orders"));
    assert!(!sink.idempotent_for("order_lines") && !sink.idempotent_for("refunds"));
    let shop = || {
        let mut source = ShopSource::new(6, 30, 17, 4);
        source.distinct_orders = 7;
        source
    };
    run(&sink, shop()).await.unwrap();
    assert_stream(&schema, "raw_accounts", &shop(), 0).await;
    assert_stream(&schema, "lines", &shop(), 2).await;
    // Orders 0..30 with ids repeating every 7: the last version of each.
    let assert_orders = |orders: Vec<Value>, source: ShopSource| {
        assert_eq!(orders.len(), 7);
        for (id, row) in orders.iter().enumerate() {
            let last = (0..30).rev().find(|i| i % 7 == id).unwrap();
            assert_row(row, &source.record(1, last));
        }
    };
    assert_orders(rows(&schema, "raw_orders").await, shop());
    let pk = schema
        .client()
        .query_one(
            "SELECT count(*) FROM pg_index WHERE indrelid = 'raw_orders'::regclass AND indisprimary",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(pk.get::<_, i64>(0), 1, "orders keyed by id");

    // A second run from the start: accounts replaced by its 3 accounts,
    // orders updated (their account ids follow), lines twice.
    sink.clear_checkpoint("shop").await.unwrap();
    let mut again = shop();
    again.counts[0] = 3;
    run(&sink, again).await.unwrap();
    let mut three = shop();
    three.counts[0] = 3;
    assert_stream(&schema, "raw_accounts", &three, 0).await;
    assert_orders(rows(&schema, "raw_orders").await, three);
    assert_eq!(count(&schema, "lines").await, 34);
    let leftovers = texts(&schema, &load_tables(&schema)).await;
    assert_eq!(leftovers, Vec::<Option<String>>::new());
}

#[tokio::test]
async fn hostile_stream_names_are_quoted_and_over_long_ones_refused() {
    let (schema, mut config) = setup("{stream}").await;
    create_table(&schema, "accounts", "id int").await;
    config.dead_letter_table = Some("faucet_rejected".into());
    let mut source = ShopSource::new(3, 4, 5, 2);
    source.names = [
        r#"x"; DROP TABLE accounts; --"#.to_owned(),
        "a.b".to_owned(),
        "ünïcødé 表".to_owned(),
    ];
    let names = source.names.clone();
    let sink = PostgresSink::new(config.clone()).unwrap();
    run(&sink, source).await.unwrap();
    let check = ShopSource::new(3, 4, 5, 2);
    for (s, name) in names.iter().enumerate() {
        assert_stream(&schema, name, &check, s).await;
    }
    assert_eq!(count(&schema, "accounts").await, 0, "still there");

    let mut long = ShopSource::new(3, 4, 5, 2);
    long.names[1] = "o".repeat(64);
    let sink = PostgresSink::new(config).unwrap();
    let err = Pipeline::new(long, &sink)
        .with_name("long")
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "table"),
        "{err}"
    );
    assert!(err.to_string().contains("longer than 63 bytes"), "{err}");
}

#[tokio::test]
async fn one_table_refuses_a_second_stream_naming_table() {
    let (schema, mut config) = setup("mixed").await;
    config.batch_rows = 2;
    let sink = PostgresSink::new(config).unwrap();
    let err = run(&sink, ShopSource::new(2, 2, 2, 2)).await.unwrap_err();
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "table"),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("{stream}"), "{message}");
    assert!(message.contains("`accounts` and `orders`"), "{message}");
    // Nothing of the second stream reached the table.
    let columns: Vec<String> = (column_types(&schema, "mixed").await)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(!columns.contains(&"account_id".to_owned()), "{columns:?}");

    // A template given pages of no stream.
    let (_schema, config) = setup("raw_{stream}").await;
    let sink = PostgresSink::new(config).unwrap();
    let err = Pipeline::new(PagedSource::new(people(3), 2), &sink)
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "table"),
        "{err}"
    );
    assert!(err.to_string().contains("no stream"), "{err}");
}

#[tokio::test]
async fn check_covers_every_table_it_can_know() {
    let (schema, config) = setup("unused").await;
    let sink = PostgresSink::new(mixed(config)).unwrap();
    let report = sink.check().await.unwrap();
    let names: Vec<&str> = report.items.iter().map(|i| i.name.as_str()).collect();
    for name in [
        "schema writable",
        "table writable (stream accounts)",
        "table writable (stream orders)",
        "table writable (stream order_lines)",
        "state table writable",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(report.passed(), "{report:?}");
    let tables = texts(
        &schema,
        &format!(
            "SELECT relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = '{}'",
            schema.name()
        ),
    )
    .await;
    assert!(
        !tables.contains(&Some("faucet_check_probe".into())),
        "rolled back"
    );
}

#[tokio::test]
async fn rejected_records_go_to_their_stream_s_dead_letter_table() {
    let (schema, mut config) = setup("{stream}").await;
    config.type_conflict = faucet_sink_postgres::TypeConflict::DeadLetter;
    config.batch_rows = 1_000;
    // Order ids are numbers; a string id cannot join them.
    let source = ShopSource::new(2, 4, 2, 2);
    let sink = PostgresSink::new(config).unwrap();
    run(&sink, source).await.unwrap();
    let bad = Page::new(vec![
        raw(r#"{"id": "not a number", "account_id": 1}"#),
        raw(r#"{"id": 99, "account_id": 1}"#),
    ])
    .with_stream("orders")
    .with_checkpoint(json!({"streams": {}}));
    sink.commit_page(&bad, &CommitContext::new("shop", 100))
        .await
        .unwrap();
    sink.flush().await.unwrap();
    assert_eq!(count(&schema, "orders").await, 5);
    let rejected = texts(&schema, "SELECT record::text FROM orders_rejected").await;
    assert_eq!(
        rejected,
        [Some(
            r#"{"id": "not a number", "account_id": 1}"#.to_owned()
        )]
    );
    let others = texts(
        &schema,
        &format!(
            "SELECT relname::text FROM pg_class WHERE relnamespace = '{}'::regnamespace \
             AND relname IN ('accounts_rejected', 'order_lines_rejected')",
            schema.name()
        ),
    )
    .await;
    assert!(others.is_empty(), "{others:?}");
}
