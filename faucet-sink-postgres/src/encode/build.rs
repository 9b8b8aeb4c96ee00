//! From settings and a table's columns to the `COPY` layout, the field to
//! column mapping and the columns the sink always needs.

use std::collections::HashMap;

use super::{Layout, LayoutColumn, Slot};
use crate::config::{Settings, WriteMode};
use crate::schema::PgType;
use crate::schema::plan::Column;
use crate::sink::merge::{DELETE_COLUMN, SEQ_COLUMN};
use crate::sql::Ident;

/// The column a record field goes to: `None` when the field is not loaded.
pub(crate) fn column_of(settings: &Settings, field: &str) -> Option<Result<Ident, String>> {
    if settings.delete_field.as_deref() == Some(field) {
        return None;
    }
    if settings.record_column.is_some() {
        return settings
            .key
            .iter()
            .find(|k| k.name() == field)
            .cloned()
            .map(Ok);
    }
    match &settings.columns {
        Some(map) => map.get(field).cloned().map(Ok),
        None => Some(Ident::column(field)),
    }
}

/// Columns that must exist whatever the records hold, with their type and
/// default.
pub(crate) fn required_columns(settings: &Settings) -> Vec<(Ident, PgType, Option<&'static str>)> {
    let mut required = Vec::new();
    if let Some(c) = &settings.record_column {
        required.push((c.clone(), PgType::Jsonb, None));
    }
    if let Some(c) = &settings.run_id_column {
        required.push((c.clone(), PgType::Text, None));
    }
    if let Some(c) = &settings.loaded_at_column {
        required.push((c.clone(), PgType::Timestamptz, Some("now()")));
    }
    required
}

/// The `COPY` layout for a table with `columns`. Columns no field maps to
/// are left out (they get their default). Errors name a column whose type
/// the sink cannot write.
pub(crate) fn build_layout(
    settings: &Settings,
    table: &str,
    columns: &[Column],
    run_id: &str,
) -> Result<Layout, String> {
    let field_of = |column: &Ident| -> Option<String> {
        match (&settings.record_column, &settings.columns) {
            (Some(_), _) => settings
                .key
                .contains(column)
                .then(|| column.name().to_owned()),
            (None, Some(map)) => map
                .iter()
                .find(|(_, c)| *c == column)
                .map(|(f, _)| f.clone()),
            (None, None) => Some(column.name().to_owned()),
        }
    };
    let mut layout_columns = Vec::new();
    let mut fields = Vec::new();
    for column in columns {
        let slot = if Some(&column.name) == settings.loaded_at_column.as_ref() {
            continue;
        } else if Some(&column.name) == settings.run_id_column.as_ref() {
            Slot::RunId
        } else if Some(&column.name) == settings.record_column.as_ref() {
            Slot::Record
        } else if let Some(field) = field_of(&column.name) {
            fields.push(field);
            Slot::Field(fields.len() - 1)
        } else {
            continue;
        };
        let ty = column.ty.ok_or_else(|| {
            format!(
                "column {} of {table} has type {}, which faucet cannot write (it writes boolean, \
                 smallint, integer, bigint, real, double precision, numeric, text, varchar, \
                 timestamp[tz], json and jsonb); leave it out with `columns`",
                column.name, column.catalog_type
            )
        })?;
        let key = settings.mode == WriteMode::Upsert && settings.key.contains(&column.name);
        layout_columns.push(LayoutColumn {
            name: column.name.clone(),
            ty,
            slot,
            key,
        });
    }
    if settings.mode == WriteMode::Upsert {
        layout_columns.push(LayoutColumn {
            name: Ident::new(SEQ_COLUMN).expect("valid name"),
            ty: PgType::Int8,
            slot: Slot::Seq,
            key: false,
        });
        if let Some(field) = &settings.delete_field {
            layout_columns.push(LayoutColumn {
                name: Ident::new(DELETE_COLUMN).expect("valid name"),
                ty: PgType::Bool,
                slot: Slot::Delete(field.clone()),
                key: false,
            });
        }
    }
    let pending_fields = match &settings.columns {
        Some(map) if settings.record_column.is_none() => map
            .iter()
            .filter(|(_, col)| !columns.iter().any(|c| &c.name == *col))
            .map(|(field, _)| field.clone())
            .collect(),
        _ => Vec::new(),
    };
    let field_index: HashMap<String, usize> = fields
        .iter()
        .enumerate()
        .map(|(i, field)| (field.clone(), i))
        .collect();
    Ok(Layout {
        table: table.to_owned(),
        columns: layout_columns,
        fields,
        field_index,
        every_field: settings.columns.is_none() && settings.record_column.is_none(),
        pending_fields,
        delete_field: settings.delete_field.clone(),
        run_id: run_id.to_owned(),
        policy: settings.type_conflict,
        nul: settings.nul,
    })
}
