use super::*;

fn rec(n: u64) -> Record {
    json!({ "n": n }).into()
}

fn pager(resume: ResumePoint, page_records: usize) -> Pager {
    let mut p = Pager::new(
        resume,
        StreamSelection::all(),
        page_records,
        Duration::from_secs(60),
    );
    p.schema("a", json!({"type": "object"}), vec!["n".into()], vec![]);
    p.schema("b", json!({"type": "object"}), vec![], vec![]);
    p
}

fn drain(p: &mut Pager) -> Vec<(Option<String>, Vec<u64>, Value)> {
    p.take_ready()
        .map(|page| {
            let ns = page
                .records()
                .iter()
                .map(|r| r["n"].as_u64().unwrap())
                .collect();
            (
                page.stream().map(str::to_owned),
                ns,
                page.checkpoint().unwrap().as_value().clone(),
            )
        })
        .collect()
}

#[test]
fn pages_are_cut_per_stream_and_count_records_after_the_state() {
    let mut p = pager(ResumePoint::default(), 2);
    for (s, n) in [("a", 1), ("b", 2), ("a", 3), ("b", 4), ("b", 5)] {
        p.record(s, rec(n), 10).unwrap();
    }
    let pages = drain(&mut p);
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].0.as_deref(), Some("a"));
    assert_eq!(pages[0].1, vec![1, 3]);
    assert_eq!(
        pages[0].2,
        json!({"singer_state": null, "records_after_state": {"a": 2}})
    );
    assert_eq!(pages[1].1, vec![2, 4]);
    assert_eq!(
        pages[1].2,
        json!({"singer_state": null, "records_after_state": {"a": 2, "b": 2}})
    );
    // The state flushes b's pending record; its page takes the state.
    p.state(json!({"bookmarks": {"b": 5}}));
    let pages = drain(&mut p);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].1, vec![5]);
    assert_eq!(
        pages[0].2,
        json!({"singer_state": {"bookmarks": {"b": 5}}, "records_after_state": {}})
    );
    // A state with nothing pending is an empty page of its own.
    p.state(json!({"s": 2}));
    let pages = drain(&mut p);
    assert_eq!(pages.len(), 1);
    assert!(pages[0].1.is_empty());
    // The same state again: records keep counting after it.
    p.record("a", rec(6), 1).unwrap();
    p.state(json!({"s": 2}));
    p.finish();
    let pages = drain(&mut p);
    assert_eq!(pages.len(), 1);
    assert_eq!(
        pages[0].2,
        json!({"singer_state": {"s": 2}, "records_after_state": {"a": 1}})
    );
}

#[test]
fn a_state_flushes_streams_in_the_order_of_their_first_records() {
    let mut p = pager(ResumePoint::default(), 100);
    p.record("b", rec(1), 1).unwrap();
    p.record("a", rec(2), 1).unwrap();
    p.state(json!(1));
    let pages = drain(&mut p);
    let streams: Vec<_> = pages.iter().map(|p| p.0.clone().unwrap()).collect();
    assert_eq!(streams, ["b", "a"]);
    assert_eq!(
        pages[0].2,
        json!({"singer_state": null, "records_after_state": {"b": 1}})
    );
    assert_eq!(
        pages[1].2,
        json!({"singer_state": 1, "records_after_state": {}})
    );
}

#[test]
fn a_resumed_run_drops_the_records_already_delivered_per_stream() {
    let cp =
        Checkpoint::new(json!({"singer_state": {"x": 1}, "records_after_state": {"a": 2, "b": 1}}));
    let resume = ResumePoint::from_checkpoint(Some(&cp)).unwrap();
    assert_eq!(resume.state, json!({"x": 1}));
    let mut p = pager(resume, 100);
    for (s, n) in [("a", 1), ("b", 2), ("a", 3), ("a", 4), ("b", 5)] {
        p.record(s, rec(n), 1).unwrap();
    }
    p.finish();
    let pages = drain(&mut p);
    assert_eq!(pages[0].1, vec![4]);
    assert_eq!(pages[1].1, vec![5]);
    assert_eq!(
        pages[1].2,
        json!({"singer_state": {"x": 1}, "records_after_state": {"a": 3, "b": 2}})
    );
}

#[test]
fn a_record_before_its_schema_names_the_stream() {
    let mut p = pager(ResumePoint::default(), 10);
    let err = p.record("zz", rec(1), 1).unwrap_err();
    assert!(err.contains("`zz`"), "{err}");
}

#[test]
fn unselected_streams_are_neither_paged_nor_counted() {
    let mut p = Pager::new(
        ResumePoint::default(),
        StreamSelection::only(["a"]),
        10,
        Duration::from_secs(1),
    );
    p.schema("a", json!({}), vec![], vec![]);
    p.schema("b", json!({}), vec![], vec![]);
    p.record("b", rec(1), 1).unwrap();
    p.record("a", rec(2), 1).unwrap();
    p.finish();
    let pages = drain(&mut p);
    assert_eq!(pages.len(), 1);
    assert_eq!(
        pages[0].2,
        json!({"singer_state": null, "records_after_state": {"a": 1}})
    );
}

#[test]
fn pages_carry_the_schema_with_its_keys_and_time_cuts_them() {
    let mut p = Pager::new(
        ResumePoint::default(),
        StreamSelection::all(),
        10,
        Duration::from_millis(5),
    );
    p.schema(
        "a",
        json!({"type": "object"}),
        vec!["id".into()],
        vec!["at".into()],
    );
    p.record("a", rec(1), 1).unwrap();
    let start = Instant::now();
    assert!(p.next_due(start).is_some());
    p.tick(start + Duration::from_millis(10));
    let page = p.take_ready().next().unwrap();
    assert_eq!(
        page.schema().unwrap().as_ref(),
        &json!({"type": "object", "x-key-properties": ["id"], "x-bookmark-properties": ["at"]})
    );
}

#[test]
fn foreign_checkpoints_are_config_errors() {
    for bad in [
        json!({"next": 1}),
        json!(3),
        json!({"singer_state": 1, "records_after_state": {"a": -1}}),
    ] {
        let err = ResumePoint::from_checkpoint(Some(&Checkpoint::new(bad))).unwrap_err();
        assert!(matches!(err, FaucetError::Config { .. }), "{err}");
    }
}

#[test]
fn a_state_while_dropping_keeps_dropping_and_counts_the_rest_as_delivered() {
    let cp = Checkpoint::new(json!({"singer_state": 1, "records_after_state": {"a": 3}}));
    let mut p = pager(ResumePoint::from_checkpoint(Some(&cp)).unwrap(), 100);
    p.state(json!(1)); // the SDK repeats its state first: nothing changes
    assert_eq!(drain(&mut p).len(), 0);
    p.record("a", rec(1), 1).unwrap();
    p.state(json!(2));
    let pages = drain(&mut p);
    assert_eq!(
        pages.last().unwrap().2,
        json!({"singer_state": 2, "records_after_state": {"a": 2}})
    );
    for n in 2..=4 {
        p.record("a", rec(n), 1).unwrap();
    }
    p.finish();
    let pages = drain(&mut p);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].1, vec![4]);
    assert_eq!(
        pages[0].2,
        json!({"singer_state": 2, "records_after_state": {"a": 3}})
    );
}

#[test]
fn full_table_streams_that_restart_count_from_their_start() {
    let mut p = Pager::new(
        ResumePoint::default(),
        StreamSelection::all(),
        2,
        Duration::from_secs(60),
    )
    .with_full_table_restarts(true);
    p.schema("full", json!({}), vec![], vec![]);
    p.schema("inc", json!({}), vec![], vec!["at".into()]);
    for n in 0..3 {
        p.record("full", rec(n), 1).unwrap();
        p.record("inc", rec(n), 1).unwrap();
    }
    p.state(json!({"inc": 2}));
    p.record("full", rec(3), 1).unwrap();
    p.finish();
    let pages = drain(&mut p);
    assert_eq!(
        pages.last().unwrap().2,
        json!({"singer_state": {"inc": 2}, "records_after_state": {"full": 4}})
    );
    // Resumed, the tap sends `full` from its start again: 4 are dropped.
    let resume =
        ResumePoint::from_checkpoint(Some(&Checkpoint::new(pages.last().unwrap().2.clone())))
            .unwrap();
    let mut p = Pager::new(resume, StreamSelection::all(), 10, Duration::from_secs(60))
        .with_full_table_restarts(true);
    p.schema("full", json!({}), vec![], vec![]);
    p.state(json!({"inc": 2, "other": 1}));
    for n in 0..6 {
        p.record("full", rec(n), 1).unwrap();
    }
    p.finish();
    let pages = drain(&mut p);
    assert_eq!(pages.last().unwrap().1, vec![4, 5]);
    assert_eq!(
        pages.last().unwrap().2["records_after_state"],
        json!({"full": 6})
    );
}
