//! Decoding pages: messages for bodies that are not pages, and the scan
//! route agreeing with the tree route on the same bodies.

use super::*;
use serde_json::json;

fn spec(records: RecordsSpec) -> DecodeSpec {
    DecodeSpec {
        records,
        ..DecodeSpec::default()
    }
}

fn array(path: &str) -> DecodeSpec {
    spec(RecordsSpec::Array(JsonPath::parse(path).unwrap()))
}

fn reason(result: Result<Decoded, BodyError>) -> String {
    match result {
        Err(BodyError::NotAPage(reason)) => reason,
        other => panic!("expected a body that is not a page, got {other:?}"),
    }
}

fn run(body: &[u8], spec: &DecodeSpec) -> Result<Decoded, BodyError> {
    both(body, spec, None)
}

/// What a decoding gave, for comparing the two routes: records as trees,
/// the signals, counts, or the error.
fn summary(result: &Result<Decoded, BodyError>) -> String {
    match result {
        Ok(page) => format!(
            "records {:?} cursor {:?} next {:?} has_more {:?} total {:?} pages {:?} received {} max {:?}",
            page.records
                .iter()
                .map(|r| r.to_value().unwrap())
                .collect::<Vec<_>>(),
            page.cursor,
            page.next_url,
            page.has_more,
            page.total,
            page.total_pages,
            page.received,
            page.max_key
        ),
        Err(BodyError::NotAPage(reason)) => format!("not a page: {reason}"),
        Err(BodyError::Records(err)) => format!("records: {err}"),
    }
}

/// `spec` forced onto the tree route.
fn on_tree(spec: &DecodeSpec) -> DecodeSpec {
    DecodeSpec {
        trie: OnceLock::from(None),
        ..spec.clone()
    }
}

/// Decodes `body` by both routes, asserts they agree, and returns what
/// the scan route gave.
fn both(
    body: &[u8],
    spec: &DecodeSpec,
    threshold: Option<&Threshold>,
) -> Result<Decoded, BodyError> {
    let body = Bytes::copy_from_slice(body);
    let scanned = decode(&body, "u", None, spec, threshold);
    let tree = decode(&body, "u", None, &on_tree(spec), threshold);
    assert_eq!(
        summary(&scanned),
        summary(&tree),
        "the routes disagree on {}",
        String::from_utf8_lossy(&body)
    );
    scanned
}

fn path(text: &str) -> Option<JsonPath> {
    Some(JsonPath::parse(text).unwrap())
}

#[test]
fn malformed_json_gives_the_byte_offset() {
    let err = reason(run(b"{\"data\": [1,,2]}", &array("data")));
    assert!(err.contains("invalid JSON at byte 12"), "{err}");
    let err = reason(run(b"{\"data\": [1, 2", &array("data")));
    assert!(err.contains("truncated JSON"), "{err}");
}

#[test]
fn html_and_empty_bodies_are_named_as_such() {
    let body = Bytes::from_static(b"<!doctype html><p>Down for maintenance</p>");
    let err = reason(decode(
        &body,
        "u",
        Some("text/html; charset=utf-8"),
        &array("$"),
        None,
    ));
    assert_eq!(
        err,
        "the server answered HTML (text/html; charset=utf-8), not JSON"
    );
    assert_eq!(reason(run(b"  \n", &array("$"))), "the body is empty");
}

#[test]
fn missing_records_path_lists_top_level_keys() {
    let err = reason(run(b"{\"items\": [], \"meta\": {}}", &array("data")));
    assert!(
        err.contains("`data` not found") && err.contains("items, meta"),
        "{err}"
    );
}

#[test]
fn an_object_is_not_an_array_page_unless_single_is_asked() {
    let err = reason(run(b"{\"error\": \"try again\"}", &DecodeSpec::default()));
    assert!(
        err.contains("expected an array") && err.contains("error"),
        "{err}"
    );
    let single = spec(RecordsSpec::Single(JsonPath::parse("$").unwrap()));
    let one = run(b"{\"id\": 1}", &single).unwrap();
    assert_eq!(one.records, vec![json!({"id": 1})]);
    assert!(reason(run(b"[1]", &single)).contains("not an object"));
}

#[test]
fn records_null_at_a_path_is_an_empty_page_and_a_number_is_not_a_page() {
    assert!(
        run(b"{\"data\": null}", &array("data"))
            .unwrap()
            .records
            .is_empty()
    );
    assert!(reason(run(b"{\"data\": 3}", &array("data"))).contains("a number"));
}

#[test]
fn each_selected_value_is_a_record_and_last_record_gives_the_cursor() {
    let mut each = spec(RecordsSpec::Each(
        JsonPath::parse("$.groups[*].rows[*]").unwrap(),
    ));
    each.cursor_from_last = Some(JsonPath::parse("id").unwrap());
    let page = run(
        b"{\"groups\": [{\"rows\": [{\"id\": 1}]}, {\"rows\": [{\"id\": 2}, {\"id\": 3}]}]}",
        &each,
    )
    .unwrap();
    assert_eq!(
        page.records,
        vec![json!({"id": 1}), json!({"id": 2}), json!({"id": 3})]
    );
    assert_eq!(page.cursor.as_deref(), Some("3"));
}

/// A spec of simple paths: records, then cursor, next URL, has-more,
/// total, total pages, cursor from the last record, replication key.
fn simple(records: RecordsSpec, paths: [&str; 7]) -> DecodeSpec {
    let p = |i: usize| (!paths[i].is_empty()).then(|| path(paths[i])).flatten();
    let spec = DecodeSpec {
        records,
        cursor: p(0),
        next_url: p(1),
        has_more: p(2),
        total: p(3),
        total_pages: p(4),
        cursor_from_last: p(5),
        replication_key: p(6),
        ..DecodeSpec::default()
    };
    assert!(spec.trie().is_some(), "simple paths are scanned");
    spec
}

fn at(records: &str) -> RecordsSpec {
    RecordsSpec::Array(JsonPath::parse(records).unwrap())
}

fn single(records: &str) -> RecordsSpec {
    RecordsSpec::Single(JsonPath::parse(records).unwrap())
}

#[test]
fn the_scan_agrees_with_the_tree_on_every_shape() {
    let page = br#"{"data": [{"id": 1, "t": "2024-01-01T00:00:00Z"}, {"id": 2, "t": "2024-01-02T00:00:00Z"}],
        "meta": {"next": "abc", "total": "2", "pages": 1}, "has_more": true}"#;
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(page).unwrap()).unwrap();
    let none = ["", "", "", "", "", "", ""];
    let cases: Vec<(DecodeSpec, Vec<u8>)> = vec![
        (
            simple(at("data"), ["meta.next", "", "has_more", "meta.total", "$.meta.pages", "id", "t"]),
            page.to_vec(),
        ),
        (
            simple(at("/data"), ["/meta/next", "", "has_more", "meta.total", "", "", "t"]),
            pretty,
        ),
        (
            simple(at("$.data.items"), ["data.next", "", "", "", "", "", ""]),
            br#"{"data": {"next": 5, "items": [{"id": 1}], "next": 6}}"#.to_vec(),
        ),
        (
            simple(at("$.pages[-1]"), ["$.pages[-1][-1].id", "", "", "", "", "id", ""]),
            br#"{"pages": [[{"id": 1}], [{"id": 2}, {"id": 3}]], "x": [1]}"#.to_vec(),
        ),
        (
            simple(at("$.pages[-2]"), ["$.pages[-1][-9].id", "", "", "", "", "", ""]),
            br#"{"pages": [[{"id": 1}], [{"id": 2}]]}"#.to_vec(),
        ),
        (
            simple(single("$"), ["x[0]", "", "", "", "", "y.z", ""]),
            br#"{"id": 7, "x": ["a"], "y": {"z": 1.5}}"#.to_vec(),
        ),
        (
            simple(single("$.result"), ["next", "", "", "", "", "", ""]),
            br#"{"result": {"id": 1}, "next": null}"#.to_vec(),
        ),
        (
            simple(at("$"), ["[0].id", "", "", "", "", "id", "id"]),
            br#"[{"id": 1}, {"id": 2}]"#.to_vec(),
        ),
        (
            simple(at("data"), ["meta.next", "", "", "", "", "", ""]),
            br#"{"data": [{"id": 1}], "meta": {"next": "a"}, "data": [{"id": 2}, {"id": 3}], "meta": 3}"#.to_vec(),
        ),
        (
            simple(at("data"), ["meta.next", "meta", "", "", "", "", ""]),
            br#"{"data": [], "meta": {"next": "a", "next": "b"}}"#.to_vec(),
        ),
        (
            simple(at("data"), ["m\u{e9}ta.n", "", "", "", "", "id", "id"]),
            br#"{"d\u0061ta": [{"\u0069d": 1}, {"id": 2, "id": 3}], "m\u00e9ta": {"n": "\u00e9\n"}}"#.to_vec(),
        ),
        (
            simple(at("data.0"), ["$.data[0][0].id", "", "", "", "", "", ""]),
            br#"{"data": [[{"id": 5}]]}"#.to_vec(),
        ),
        (simple(at("data.0"), none), br#"{"data": {"0": [{"id": 2}]}}"#.to_vec()),
        (
            simple(at("data"), ["cursor", "next", "has_more", "total", "pages", "", ""]),
            br#"{"data": [], "has_more": "true", "total": " 5 ", "next": 12, "cursor": "", "pages": -1}"#.to_vec(),
        ),
        (
            simple(at("data"), ["", "", "", "", "", "a.b[-1]", "a.b.0"]),
            br#"{"data": [{"a": {"b": [3, 4]}}, {"a": [1]}, {"a": {"b": [1, 2]}}]}"#.to_vec(),
        ),
    ];
    for (spec, body) in &cases {
        let page = both(body, spec, None);
        assert!(page.is_ok(), "{}", String::from_utf8_lossy(body));
    }
    // With a threshold: the filter and the largest key agree too.
    let threshold = Threshold {
        value: json!("2024-01-01T00:00:00Z"),
        inclusive: false,
    };
    let kept = both(page, &cases[0].0, Some(&threshold)).unwrap();
    assert_eq!(
        kept.records,
        vec![json!({"id": 2, "t": "2024-01-02T00:00:00Z"})]
    );
    assert_eq!(kept.max_key, Some(json!("2024-01-02T00:00:00Z")));
    assert_eq!((kept.received, kept.cursor.as_deref()), (2, Some("2")));
}

#[test]
fn bodies_that_are_not_pages_fail_alike_on_both_routes() {
    let none = ["", "", "", "", "", "", ""];
    let data = simple(at("data"), ["meta.next", "", "", "", "", "", ""]);
    let items = simple(at("items"), none);
    let root = simple(at("$"), none);
    let one = simple(single("$"), none);
    let result = simple(single("result"), none);
    let keyed = simple(at("data"), ["", "", "", "", "", "", "t"]);
    let cases: &[(&DecodeSpec, &[u8])] = &[
        (&data, br#"{"data": 3}"#),
        (&data, br#"{"data": {"a": 1}}"#),
        (&data, br#"{"items": [], "meta": {}, "items": 1}"#),
        (&data, br#"{}"#),
        (&data, br#"[{"id": 1}]"#),
        (&data, b"\"text\""),
        (&root, br#"{"error": "try again", "code": 7}"#),
        (&root, br#"{}"#),
        (&root, b"null"),
        (&one, br#"[1]"#),
        (&result, br#"{"result": [1]}"#),
        (&result, br#"{"other": {}}"#),
        (&keyed, br#"{"data": [{"t": 1}, 2]}"#),
        (&data, br#"{"data": [1,,2]}"#),
        (&simple(at("$.pages[-3]"), none), br#"{"pages": [[], []]}"#),
        (&items, br#"{"data": [1,,2], "items": []}"#),
        (&data, br#"{"data": [1, 2"#),
        (&data, br#"{"data": []} x"#),
        (&data, b"\xEF\xBB\xBF{\"data\": []}"),
        (&data, b"{\"data\": [\"\xFF\"]}"),
        (&items, b"{\"data\": [\"\xFF\"], \"items\": []}"),
        (&data, b"{\"data\": [\"a\tb\"]}"),
        (&data, br#"{"data": ["\q"]}"#),
        (&data, br#"{"data": [01]}"#),
        (&data, br#"{"data": [], "meta": {"next": tru}}"#),
    ];
    for (spec, body) in cases {
        let page = both(body, spec, None);
        assert!(page.is_err(), "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn records_nested_deeper_than_a_tree_allows_keep_their_text() {
    // serde_json trees stop at 128 levels: the tree route refuses such a
    // page; the scan keeps the record, and a stage that wants its tree
    // gets that limit as a clear error.
    let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
    let body = Bytes::from(format!(r#"{{"data": [{deep}, {{"id": 2}}]}}"#));
    let spec = simple(at("data"), ["", "", "", "", "", "id", ""]);
    let page = decode(&body, "u", None, &spec, None).unwrap();
    assert_eq!(page.records[0].raw_json(), Some(deep.as_bytes()));
    let err = page.records[0].value().unwrap_err().to_string();
    assert!(err.contains("recursion limit exceeded"), "{err}");
    assert_eq!(page.cursor.as_deref(), Some("2"));
    let refused = reason(decode(&body, "u", None, &on_tree(&spec), None));
    assert!(refused.contains("recursion limit exceeded"), "{refused}");
}

#[test]
fn records_are_slices_of_the_body_with_every_digit() {
    let body = Bytes::from_static(
        br#"{"data": [{"n": 12345678901234567890123456789012345678, "d": -0.12345678901234567890123456789012345678, "e": 1e400, "z": -0},
  {"s": "\ud83d\ude00 \u00e9", "lone": "\ud800"}]}"#,
    );
    let spec = simple(at("data"), ["", "", "", "", "", "", ""]);
    let page = decode(&body, "u", None, &spec, None).unwrap();
    let range = body.as_ptr_range();
    let texts: Vec<&[u8]> = page.records.iter().map(|r| r.raw_json().unwrap()).collect();
    for text in &texts {
        assert!(
            range.contains(&text.as_ptr()),
            "a slice of the body, not a copy"
        );
    }
    assert_eq!(
        texts[0],
        br#"{"n": 12345678901234567890123456789012345678, "d": -0.12345678901234567890123456789012345678, "e": 1e400, "z": -0}"#
    );
    assert_eq!(
        texts[1],
        br#"{"s": "\ud83d\ude00 \u00e9", "lone": "\ud800"}"#
    );
    // A tree cannot hold these: the tree route refuses the page, and a
    // stage that asks a record for its tree gets an error, not a guess.
    let refused = reason(decode(&body, "u", None, &on_tree(&spec), None));
    assert!(refused.contains("number out of range"), "{refused}");
    assert!(page.records[0].value().is_err() && page.records[1].value().is_err());
}

#[test]
fn paths_that_need_a_tree_take_the_tree_route() {
    let each = spec(RecordsSpec::Each(JsonPath::parse("$.a[*].b").unwrap()));
    assert!(each.trie().is_none());
    let mut filtered = array("data");
    filtered.cursor = path("$..next");
    assert!(filtered.trie().is_none());
    let page = run(br#"{"data": [{"id": 1}], "x": {"next": "n"}}"#, &filtered).unwrap();
    assert_eq!(page.cursor.as_deref(), Some("n"));
    assert!(page.records[0].raw_json().is_none(), "a tree record");
}

#[test]
fn the_items_of_a_simple_path_are_scanned_unless_they_are_an_objects() {
    let each = |path: &str| spec(RecordsSpec::Each(JsonPath::parse(path).unwrap()));
    let data = each("$.data[*]");
    assert!(data.trie().is_some());
    let scanned = run(br#"{"data": [{"id": 1}, 2, null]}"#, &data).unwrap();
    assert!(scanned.records.iter().all(|r| r.raw_json().is_some()));
    assert_eq!(
        scanned.records,
        vec![json!({"id": 1}), json!(2), Value::Null]
    );
    // Members of an object: the tree route, which keeps one value per key.
    let members = run(br#"{"data": {"a": {"id": 1}, "b": 2, "a": 3}}"#, &data).unwrap();
    assert_eq!(members.records, vec![json!(3), json!(2)]);
    assert!(members.records[0].raw_json().is_none());
    for body in [
        &br#"{"data": null}"#[..],
        br#"{"data": 4}"#,
        br#"{"other": []}"#,
        b"[]",
    ] {
        assert!(run(body, &data).unwrap().records.is_empty());
    }
    let root = each("$[*]");
    assert_eq!(
        run(br#"[{"id": 1}]"#, &root).unwrap().records,
        vec![json!({"id": 1})]
    );
    assert_eq!(
        run(br#"{"k": [1]}"#, &root).unwrap().records,
        vec![json!([1])]
    );
    let last = each("$.pages[-1].*");
    let page = run(br#"{"pages": [[1], [2, 3]]}"#, &last).unwrap();
    assert_eq!(page.records, vec![json!(2), json!(3)]);
}
