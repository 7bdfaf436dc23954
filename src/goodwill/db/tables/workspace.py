from sqlalchemy import Column, String, Table

from goodwill.db.tables._base import id_column, metadata, ts

workspaces = Table(
    "workspaces",
    metadata,
    id_column(),
    Column("name", String(100), nullable=False, unique=True),
    ts("created_at", nullable=False),
)
