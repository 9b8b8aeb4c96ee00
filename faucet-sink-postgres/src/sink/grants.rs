//! What to `GRANT` when a statement is refused: the hint of a permission
//! error (SQLSTATE 42501), naming the role, schema and table.

use crate::config::{Settings, WriteMode};
use crate::sql::QualifiedName;

/// Creating `table`, and its schema when `schema_exists` is false.
pub(crate) fn create_table(s: &Settings, table: &QualifiedName, schema_exists: bool) -> String {
    let role = &s.role;
    if schema_exists {
        format!("GRANT USAGE, CREATE ON SCHEMA {} TO {role}", table.schema)
    } else {
        format!(
            "create schema {} beforehand (CREATE SCHEMA {0} AUTHORIZATION {role}), \
             or GRANT CREATE ON DATABASE {} TO {role}",
            table.schema, s.database
        )
    }
}

/// Adding or widening columns of `table`.
pub(crate) fn alter_table(s: &Settings, table: &QualifiedName) -> String {
    format!(
        "adding or widening columns needs ownership of {table}: ALTER TABLE {table} OWNER TO {}, \
         or add the columns yourself, or load only existing columns with `columns`",
        s.role
    )
}

/// Writing rows into `table` in the configured mode.
pub(crate) fn write_rows(s: &Settings, table: &QualifiedName) -> String {
    let privileges = match (s.mode, s.delete_field.is_some()) {
        (WriteMode::Upsert, true) => "SELECT, INSERT, UPDATE, DELETE",
        (WriteMode::Upsert, false) => "SELECT, INSERT, UPDATE",
        _ => "INSERT",
    };
    format!(
        "GRANT {privileges} ON {table} TO {0}; GRANT USAGE ON SCHEMA {1} TO {0}",
        s.role, table.schema
    )
}

/// Creating upsert's staging table (a temporary copy of `table`'s
/// columns, which reads its definition).
pub(crate) fn stage(s: &Settings, table: &QualifiedName) -> String {
    format!(
        "{}; GRANT TEMPORARY ON DATABASE {} TO {} (PUBLIC has it by default)",
        write_rows(s, table),
        s.database,
        s.role
    )
}

/// Reading and writing the state table.
pub(crate) fn state_table(s: &Settings, state: &QualifiedName) -> String {
    format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON {state} TO {0}; GRANT USAGE ON SCHEMA {1} TO {0}",
        s.role, state.schema
    )
}

/// Creating the missing state table.
pub(crate) fn create_state_table(
    s: &Settings,
    state: &QualifiedName,
    schema_exists: bool,
) -> String {
    format!(
        "{}; or create it beforehand: {} and {}",
        create_table(s, state, schema_exists),
        crate::sql::state_table_sql(state),
        state_table(s, state)
    )
}
