//! The fast path against CEL's interpreter: for every field value and
//! literal of a wide set, every comparison operator both ways round, and
//! `&&` / `||` of them, whatever the fast path decides is what CEL gives,
//! and where CEL gives an error the fast path leaves it to CEL.

use faucet_core::connector::*;

use super::Expression;

/// Field values as an API sends them (the text after `"x":`); `None`:
/// the record lacks the field.
const VALUES: [Option<&str>; 22] = [
    None,
    Some("null"),
    Some("0"),
    Some("-7"),
    Some("42"),
    Some("9223372036854775807"),
    Some("18446744073709551615"),
    Some("-0.0"),
    Some("0.5"),
    Some("42.0"),
    Some("1e300"),
    Some("1e400"),
    Some("true"),
    Some("false"),
    Some(r#""""#),
    Some(r#""active""#),
    Some(r#""Active""#),
    Some(r#""é\u00e9""#),
    Some(r#""42""#),
    Some("[1]"),
    Some(r#"{"a": 1}"#),
    Some("123456789012345678901234567890"),
];

const LITERALS: [&str; 13] = [
    "null",
    "0",
    "42",
    "-7",
    "42u",
    "0.5",
    "42.0",
    "true",
    "false",
    r#""active""#,
    r#""""#,
    r#""é\u00e9""#,
    "18446744073709551615u",
];

const OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

fn record(x: Option<&str>, y: Option<&str>) -> Record {
    let mut fields = Vec::new();
    if let Some(x) = x {
        fields.push(format!(r#""x": {x}"#));
    }
    if let Some(y) = y {
        fields.push(format!(r#""y": {y}"#));
    }
    Record::from_json(format!("{{{}}}", fields.join(", "))).expect("valid JSON")
}

/// Checks the fast path of `source` on `record` against the interpreter;
/// whether the fast path decided.
fn agree(source: &str, record: &Record) -> bool {
    let expression = Expression::compile(source, "where").expect("compiles");
    let fast = expression
        .fast
        .as_ref()
        .unwrap_or_else(|| panic!("`{source}` has a fast path"));
    let interpreted = expression.interpret(record);
    match fast.decide(record) {
        Ok(Some(decided)) => {
            let Ok(cel::Value::Bool(expected)) = interpreted else {
                panic!("`{source}` on {record:?}: fast path {decided}, CEL {interpreted:?}");
            };
            assert_eq!(decided, expected, "`{source}` on {record:?}");
            true
        }
        Ok(None) => false,
        Err(e) => panic!("`{source}` on {record:?}: the fast path failed: {e}"),
    }
}

#[test]
fn comparisons_decide_as_cel_does() {
    // Cases CEL answers with a boolean, and how many of them the fast
    // path decided.
    let (mut answered, mut decided) = (0, 0);
    for value in VALUES {
        let record = record(value, None);
        for literal in LITERALS {
            for op in OPS {
                for source in [format!("x {op} {literal}"), format!("{literal} {op} x")] {
                    let expression = Expression::compile(&source, "where").unwrap();
                    answered += usize::from(expression.interpret(&record).is_ok());
                    decided += usize::from(agree(&source, &record));
                }
            }
        }
    }
    // Only lists, objects and numbers beyond a double are left to CEL
    // among the cases it answers.
    assert!(
        decided * 10 >= answered * 8,
        "decided {decided} of {answered}"
    );
}

#[test]
fn the_common_filters_are_decided_natively() {
    for (source, record) in [
        (r#"status == "active""#, r#"{"status": "active"}"#),
        (r#"status != "active""#, r#"{"status": "gone"}"#),
        ("amount >= 0.0", r#"{"amount": 12}"#),
        ("amount >= 0.0", r#"{"amount": 12.25}"#),
        ("id > 100", r#"{"id": 7}"#),
        ("deleted == null", r#"{"id": 1}"#),
        ("active == true", r#"{"active": false}"#),
    ] {
        let expression = Expression::compile(source, "where").unwrap();
        let record = Record::from_json(record).unwrap();
        let decided = expression.fast.as_ref().unwrap().decide(&record).unwrap();
        assert!(decided.is_some(), "`{source}` left to CEL on {record:?}");
        assert!(agree(source, &record));
    }
}

#[test]
fn conjunctions_and_disjunctions_decide_as_cel_does() {
    let some = [
        None,
        Some("1"),
        Some(r#""a""#),
        Some("null"),
        Some("[1]"),
        Some("2.5"),
    ];
    for x in some {
        for y in some {
            let record = record(x, y);
            for source in [
                "x == 1 && y > 2.0",
                "x == 1 || y > 2.0",
                r#"x < "b" && y == null"#,
                r#"x < "b" || 1 <= y"#,
                "x != null && (y >= 1 || x == 1)",
            ] {
                agree(source, &record);
            }
        }
    }
}

#[test]
fn other_forms_have_no_fast_path() {
    for source in [
        "x + 1 > 2",
        "x in [1, 2]",
        "has(x.y)",
        "x.y == 1",
        "x == y",
        "!(x == 1)",
        r#"x.startsWith("a")"#,
        "x == b'a'",
    ] {
        let expression = Expression::compile(source, "where").unwrap();
        assert!(expression.fast.is_none(), "`{source}`");
    }
}
