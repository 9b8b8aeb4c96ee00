//! PostgreSQL helper (in progress).
