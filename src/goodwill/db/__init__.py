"""Database access: engine, unit of work, table definitions and migrations glue."""
