//! Numbers arrive exactly: each value is read back as text (`::text`)
//! and compared with the text PostgreSQL makes of the same literal.

mod support;

use faucet_sink_postgres::TypeConflict;
use support::*;

const DECIMAL_38: &str = "12345678901234567890.123456789012345678";
const BEYOND_I64: &str = "123456789012345678901234567890";
const BEYOND_U64: &str = "18446744073709551616";

#[tokio::test]
async fn decimals_and_big_integers_keep_every_digit() {
    let (schema, config) = setup("exact").await;
    create_table(
        &schema,
        "exact",
        "id int, d numeric, b bigint, z numeric, f float8",
    )
    .await;
    let records = vec![
        raw(&format!(
            r#"{{"id": 1, "d": {DECIMAL_38}, "b": 9007199254740993}}"#
        )),
        raw(&format!(
            r#"{{"id": 2, "d": -{DECIMAL_38}e-5, "b": 9223372036854775807}}"#
        )),
        raw(&format!(
            r#"{{"id": 3, "d": {BEYOND_I64}, "b": -9223372036854775808}}"#
        )),
        raw(&format!(
            r#"{{"id": 4, "d": {BEYOND_U64}, "b": -0, "z": -0, "f": -0}}"#
        )),
        raw(r#"{"id": 5, "d": 1.50, "z": 1e400, "f": -0.0}"#),
        raw(r#"{"id": 6, "d": 2.5E-7, "z": -1E-300, "f": 0.1}"#),
    ];
    load(config, records).await.unwrap();
    let d = texts(&schema, "SELECT d::text FROM exact ORDER BY id").await;
    let expected_d = [
        DECIMAL_38.to_owned(),
        cast(&schema, &format!("-{DECIMAL_38}e-5"), "numeric")
            .await
            .unwrap(),
        BEYOND_I64.to_owned(),
        BEYOND_U64.to_owned(),
        "1.50".to_owned(),
        "0.00000025".to_owned(),
    ];
    assert_eq!(d, expected_d.map(Some));
    assert_eq!(
        d[1].as_deref(),
        Some("-123456789012345.67890123456789012345678")
    );
    let b = texts(&schema, "SELECT b::text FROM exact ORDER BY id").await;
    let expected_b = [
        Some("9007199254740993"),
        Some("9223372036854775807"),
        Some("-9223372036854775808"),
        Some("0"),
        None,
        None,
    ];
    assert_eq!(b, expected_b.map(|v| v.map(str::to_owned)));
    let z = texts(
        &schema,
        "SELECT z::text FROM exact WHERE z IS NOT NULL ORDER BY id",
    )
    .await;
    assert_eq!(z[0].as_deref(), Some("0"), "numeric has no negative zero");
    assert_eq!(z[1], Some(format!("1{}", "0".repeat(400))));
    assert_eq!(z[2], cast(&schema, "-1E-300", "numeric").await);
    let f = texts(
        &schema,
        "SELECT f::text FROM exact WHERE f IS NOT NULL ORDER BY id",
    )
    .await;
    assert_eq!(f, ["-0", "-0", "0.1"].map(|v| Some(v.to_owned())));
}

#[tokio::test]
async fn new_columns_for_numbers_beyond_bigint_and_double_are_numeric() {
    let (schema, config) = setup("inferred").await;
    let records = vec![
        raw(r#"{"id": 1, "big": 1, "huge": 1.5}"#),
        raw(&format!(
            r#"{{"id": 2, "big": {BEYOND_I64}, "huge": 1e400}}"#
        )),
        raw(&format!(
            r#"{{"id": 3, "fresh": {BEYOND_U64}, "far": -2e308}}"#
        )),
    ];
    load(config, records).await.unwrap();
    let types = column_types(&schema, "inferred").await;
    for column in ["big", "huge", "fresh", "far"] {
        let ty = types
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, t)| t.as_str());
        assert_eq!(ty, Some("numeric"), "{column}: {types:?}");
    }
    let sql = "SELECT concat_ws(' ', big, huge, fresh, far) FROM inferred ORDER BY id";
    let rows = texts(&schema, sql).await;
    assert_eq!(rows[0].as_deref(), Some("1 1.5"));
    assert_eq!(rows[1], Some(format!("{BEYOND_I64} 1{}", "0".repeat(400))));
    assert_eq!(rows[2], Some(format!("{BEYOND_U64} -2{}", "0".repeat(308))));
}

/// Loads `{"id": 2, "x": 1e400}` after a float row into a `double
/// precision` column under `policy`.
async fn load_1e400(
    table: &str,
    policy: TypeConflict,
) -> (faucet_testkit::postgres::TestSchema, Result<(), String>) {
    let (schema, mut config) = setup(table).await;
    create_table(&schema, table, "id int, x float8").await;
    config.type_conflict = policy;
    let records = vec![
        raw(r#"{"id": 1, "x": 1.5}"#),
        raw(r#"{"id": 2, "x": 1e400}"#),
    ];
    let result = load(config, records)
        .await
        .map(drop)
        .map_err(|e| e.to_string());
    (schema, result)
}

#[tokio::test]
async fn beyond_double_is_an_error_naming_the_column_and_the_option() {
    let (schema, result) = load_1e400("refused", TypeConflict::Error).await;
    let err = result.unwrap_err();
    assert!(err.contains(r#"column "x""#), "{err}");
    assert!(
        err.contains("`1e400`") && err.contains("beyond the range of double precision"),
        "{err}"
    );
    assert!(err.contains("type_conflict: text"), "{err}");
    assert_eq!(count(&schema, "refused").await, 0);
}

#[tokio::test]
async fn beyond_double_widens_to_text_or_jsonb_never_infinity() {
    let (schema, result) = load_1e400("as_text", TypeConflict::Text).await;
    result.unwrap();
    let x = texts(&schema, "SELECT x FROM as_text ORDER BY id").await;
    assert_eq!(x, [Some("1.5".to_owned()), Some("1e400".to_owned())]);

    let (schema, result) = load_1e400("as_jsonb", TypeConflict::Jsonb).await;
    result.unwrap();
    let x = texts(&schema, "SELECT x::text FROM as_jsonb ORDER BY id").await;
    assert_eq!(x[1], cast(&schema, "1e400", "jsonb").await);
    assert_eq!(x[1], Some(format!("1{}", "0".repeat(400))));
    let infinite = texts(
        &schema,
        "SELECT x::text FROM as_jsonb WHERE x::text LIKE '%nfinity%'",
    );
    assert!(infinite.await.is_empty());
}

#[tokio::test]
async fn beyond_double_can_be_set_aside_with_its_text() {
    let (schema, result) = load_1e400("aside", TypeConflict::DeadLetter).await;
    result.unwrap();
    assert_eq!(count(&schema, "aside").await, 1);
    let sql = "SELECT reason || ' | ' || record::text FROM aside_rejected";
    let rows = texts(&schema, sql).await;
    let record = cast(&schema, r#"{"id": 2, "x": 1e400}"#, "jsonb")
        .await
        .unwrap();
    assert_eq!(
        rows,
        [Some(format!(
            r#"column "x": is beyond the range of double precision | {record}"#
        ))]
    );
}

#[tokio::test]
async fn numeric_keys_equal_to_postgresql_are_one_row_in_upsert() {
    let (schema, mut config) = setup("keyed").await;
    create_table(&schema, "keyed", "id numeric PRIMARY KEY, v text").await;
    config.mode = faucet_sink_postgres::WriteMode::Upsert;
    config.key = vec!["id".into()];
    let records = vec![
        raw(r#"{"id": 1.0, "v": "first"}"#),
        raw(&format!(r#"{{"id": {BEYOND_U64}, "v": "big"}}"#)),
        raw(r#"{"id": 1.00, "v": "last"}"#),
    ];
    load(config, records).await.unwrap();
    let rows = texts(
        &schema,
        "SELECT id::text || ' ' || v FROM keyed ORDER BY id",
    )
    .await;
    assert_eq!(
        rows,
        [
            Some("1.00 last".to_owned()),
            Some(format!("{BEYOND_U64} big"))
        ]
    );
}

#[tokio::test]
async fn a_decimal_a_double_would_round_makes_the_column_numeric_never_rounds() {
    let (schema, config) = setup("widened").await;
    // A new table: the long decimal makes its column numeric at once.
    load(
        config.clone(),
        vec![raw(r#"{"id": 1, "x": 1.5, "y": 0.1000000000000000000001}"#)],
    )
    .await
    .unwrap();
    let types = column_types(&schema, "widened").await;
    assert!(
        types.contains(&("x".into(), "double precision".into())),
        "{types:?}"
    );
    assert!(types.contains(&("y".into(), "numeric".into())), "{types:?}");
    // A double precision column meeting such a decimal later widens to
    // numeric (as for an integer beyond bigint) instead of rounding it.
    let sink = faucet_sink_postgres::PostgresSink::new(config).unwrap();
    let records = vec![raw(r#"{"id": 2, "x": 2.0000000000000000000001, "y": 2}"#)];
    faucet_core::Pipeline::new(PagedSource::of(records, 10), sink)
        .with_name("widened, second pipeline")
        .run()
        .await
        .unwrap();
    let types = column_types(&schema, "widened").await;
    assert!(types.contains(&("x".into(), "numeric".into())), "{types:?}");
    let x = texts(&schema, "SELECT x::text FROM widened ORDER BY id").await;
    assert_eq!(
        x,
        [
            Some("1.5".to_owned()),
            Some("2.0000000000000000000001".to_owned())
        ]
    );
}
