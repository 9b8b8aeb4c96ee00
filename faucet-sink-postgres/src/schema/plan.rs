//! Which columns a page needs that the table lacks, and which columns must
//! widen, so that the DDL runs once, before the page's rows.

use faucet_core::connector::{Record, ValueRef};

use serde_json::Value;

use super::declared::declared_columns;
use super::{Fit, PgType, fit, infer, merge};
use crate::config::TypeConflict;
use crate::sql::Ident;

/// A column as the table has it: its type, or `None` when the sink cannot
/// write that type (its catalog name is kept for messages).
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: Ident,
    pub(crate) ty: Option<PgType>,
    pub(crate) catalog_type: String,
}

/// One DDL step: add a column (`from: None`) or change its type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub(crate) column: Ident,
    pub(crate) from: Option<PgType>,
    pub(crate) to: PgType,
    /// A default expression for an added column (metadata columns).
    pub(crate) default: Option<&'static str>,
}

/// What the planner needs to know about the sink's settings.
pub(crate) struct PlanInput<'a> {
    /// The table's columns now.
    pub(crate) table: &'a [Column],
    /// Columns that must exist whatever the records hold (record column,
    /// metadata columns), with their type and default.
    pub(crate) required: &'a [(Ident, PgType, Option<&'static str>)],
    pub(crate) timestamps: bool,
    pub(crate) policy: TypeConflict,
    /// The JSON Schema declared for the records (`Page::schema`): its
    /// properties become columns of their declared types, before and
    /// beside what the records hold.
    pub(crate) declared: Option<&'a Value>,
}

/// The changes the `records` need, given `column_of` (record field to
/// column, `None` for fields not loaded). Values that conflict and cannot
/// widen are left for the encoder to report or dead-letter.
///
/// Fields are read through the record's field view, so a record a tree
/// cannot hold (`1e400`, a 40-digit integer) plans like any other. Every
/// value of a repeated key is planned for, although the encoder loads the
/// last: the table then holds each of them.
pub(crate) fn plan_changes(
    input: &PlanInput<'_>,
    records: &[Record],
    column_of: &dyn Fn(&str) -> Option<Result<Ident, String>>,
) -> Result<Vec<Change>, String> {
    let mut added: Vec<Change> = Vec::new();
    let mut widened: Vec<Change> = Vec::new();
    // Declared columns come first, in the schema's order; values then
    // widen them as they would an existing column.
    for (field, ty) in input
        .declared
        .map(|schema| declared_columns(schema, input.timestamps))
        .unwrap_or_default()
    {
        let (Some(ty), Some(column)) = (ty, column_of(field)) else {
            continue;
        };
        let column = column?;
        let present = input.table.iter().any(|c| c.name == column);
        if !present && !added.iter().any(|c| c.column == column) {
            added.push(add(column, ty, None));
        }
    }
    let declared = added.len();
    for (index, record) in records.iter().enumerate() {
        let Some(fields) = record.fields() else {
            continue;
        };
        for field in fields {
            let (field, value) = field.map_err(|e| format!("record {index} of the page: {e}"))?;
            if value.is_null() {
                continue;
            }
            let Some(column) = column_of(&field) else {
                continue;
            };
            let column = column?;
            if let Some(existing) = input.table.iter().find(|c| c.name == column) {
                let Some(ty) = existing.ty else { continue };
                widen(&mut widened, &column, ty, &value, input.policy);
            } else if let Some(i) = added.iter().position(|c| c.column == column) {
                let change = &mut added[i];
                if i < declared {
                    // A declared type stands unless a value cannot fit it.
                    if let Some(to) = widen_to(change.to, &value, input.policy) {
                        change.to = to;
                    }
                } else if let Some(ty) = infer(&value, input.timestamps) {
                    change.to = match (merge(change.to, ty), input.policy) {
                        (Some(t), _) => t,
                        (None, TypeConflict::Text) => PgType::Text,
                        (None, TypeConflict::Jsonb) => PgType::Jsonb,
                        (None, _) => change.to,
                    };
                }
            } else if let Some(ty) = infer(&value, input.timestamps) {
                added.push(add(column, ty, None));
            }
        }
    }
    // Metadata and record columns go after the data columns.
    for (name, ty, default) in input.required {
        if !input.table.iter().any(|c| &c.name == name) && !added.iter().any(|c| &c.column == name)
        {
            added.push(add(name.clone(), *ty, *default));
        }
    }
    added.extend(widened);
    Ok(added)
}

fn add(column: Ident, to: PgType, default: Option<&'static str>) -> Change {
    Change {
        column,
        from: None,
        to,
        default,
    }
}

/// The type a column of type `ty` must become to hold `value`, if it
/// must change.
fn widen_to(ty: PgType, value: &ValueRef<'_>, policy: TypeConflict) -> Option<PgType> {
    let Fit::Widen(target) = fit(ty, value, policy) else {
        return None;
    };
    Some(merge(ty, target).unwrap_or(target))
}

fn widen(
    widened: &mut Vec<Change>,
    column: &Ident,
    ty: PgType,
    value: &ValueRef<'_>,
    policy: TypeConflict,
) {
    let current = widened.iter().position(|c| &c.column == column);
    let ty_now = current.map_or(ty, |i| widened[i].to);
    let Some(to) = widen_to(ty_now, value, policy) else {
        return;
    };
    match current {
        Some(i) => widened[i].to = to,
        None => widened.push(Change {
            column: column.clone(),
            from: Some(ty),
            to,
            default: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn col(name: &str, ty: PgType) -> Column {
        Column {
            name: Ident::new(name).unwrap(),
            ty: Some(ty),
            catalog_type: ty.sql().to_owned(),
        }
    }

    fn same_name(field: &str) -> Option<Result<Ident, String>> {
        Some(Ident::column(field))
    }

    #[test]
    fn new_fields_add_columns_and_numbers_widen() {
        let table = [col("id", PgType::Int8), col("amount", PgType::Int8)];
        let input = PlanInput {
            table: &table,
            required: &[],
            timestamps: true,
            policy: TypeConflict::Error,
            declared: None,
        };
        let records = [
            json!({"id": 1, "amount": 2, "name": null}),
            json!({"id": 2, "amount": 2.5, "name": "x", "at": "2024-01-02T03:04:05Z"}),
            json!({"id": 3, "amount": 1, "name": "y", "at": "not a time"}),
        ]
        .map(Record::from);
        let changes = plan_changes(&input, &records, &same_name).unwrap();
        let summary: Vec<(String, Option<PgType>, PgType)> = changes
            .iter()
            .map(|c| (c.column.name().to_owned(), c.from, c.to))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("name".to_owned(), None, PgType::Text),
                ("at".to_owned(), None, PgType::Text),
                ("amount".to_owned(), Some(PgType::Int8), PgType::Float8),
            ]
        );
    }

    #[test]
    fn conflicts_widen_only_when_configured() {
        let table = [col("v", PgType::Int8)];
        let records = [Record::from_json(r#"{"v": "text"}"#).unwrap()];
        let mut input = PlanInput {
            table: &table,
            required: &[],
            timestamps: true,
            policy: TypeConflict::Error,
            declared: None,
        };
        assert!(
            plan_changes(&input, &records, &same_name)
                .unwrap()
                .is_empty()
        );
        input.policy = TypeConflict::Jsonb;
        let changes = plan_changes(&input, &records, &same_name).unwrap();
        assert_eq!(changes[0].to, PgType::Jsonb);
    }

    #[test]
    fn records_no_tree_can_hold_are_planned() {
        let input = PlanInput {
            table: &[],
            required: &[],
            timestamps: true,
            policy: TypeConflict::Error,
            declared: None,
        };
        let records =
            [
                Record::from_json(r#"{"big": 1e400, "id": 123456789012345678901234567890}"#)
                    .unwrap(),
            ];
        let changes = plan_changes(&input, &records, &same_name).unwrap();
        assert!(
            changes.iter().all(|c| c.to == PgType::Numeric),
            "{changes:?}"
        );
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn declared_types_stand_beside_what_records_hold_and_values_widen_them() {
        let schema = json!({"type": "object", "properties": {
            "id": {"type": "integer"},
            "note": {"type": ["null", "string"]},
            "at": {"type": ["null", "string"], "format": "date-time"},
            "existing": {"type": "number"},
            "open": {}
        }});
        let table = [col("existing", PgType::Float8)];
        let input = PlanInput {
            table: &table,
            required: &[],
            timestamps: true,
            policy: TypeConflict::Error,
            declared: Some(&schema),
        };
        // `note` and `at` are null or absent in every record; `id` needs
        // more than bigint in one; `open` is inferred from its value.
        let records = [
            Record::from_json(r#"{"id": 1, "note": null, "open": true}"#).unwrap(),
            Record::from_json(r#"{"id": 123456789012345678901234567890}"#).unwrap(),
        ];
        let changes = plan_changes(&input, &records, &same_name).unwrap();
        let summary: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    c.column.to_string().trim_matches('"').to_owned(),
                    c.from,
                    c.to,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("id".to_owned(), None, PgType::Numeric),
                ("note".to_owned(), None, PgType::Text),
                ("at".to_owned(), None, PgType::Timestamptz),
                ("open".to_owned(), None, PgType::Bool),
            ],
            "the existing column keeps its type: {changes:?}"
        );
    }
}
