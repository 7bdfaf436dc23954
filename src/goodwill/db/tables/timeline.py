"""The timeline (append-only interactions), notes, human tasks and import runs."""

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from goodwill.db.tables._base import Json, id_column, metadata, ref, ts, workspace_column

interactions = Table(
    "interactions",
    metadata,
    id_column(),
    workspace_column(foreign_key=False),
    ref("person_id", "persons", nullable=False, index=False),
    ref("account_id", "accounts", index=False),
    ref("order_id", "orders"),
    ts("occurred_at", nullable=False),
    Column("kind", String(48), nullable=False),
    Column("channel", String(16), nullable=False, default=""),
    Column("actor", String(200), nullable=False, default=""),
    Column("payload", Json),
    Column("source", String(100), nullable=False, default=""),
    Column("idempotency_key", String(300), nullable=False),
    ts("recorded_at", nullable=False),
    UniqueConstraint("workspace_id", "idempotency_key"),
)
Index("ix_interactions_person_time", interactions.c.person_id, interactions.c.occurred_at)
Index(
    "ix_interactions_account_id",
    interactions.c.account_id,
    sqlite_where=interactions.c.account_id.isnot(None),
    postgresql_where=interactions.c.account_id.isnot(None),
)
Index(
    "ix_interactions_ws_kind_time",
    interactions.c.workspace_id,
    interactions.c.kind,
    interactions.c.occurred_at,
)

notes = Table(
    "notes",
    metadata,
    id_column(),
    workspace_column(),
    ref("person_id", "persons"),
    ref("account_id", "accounts"),
    ref("order_id", "orders"),
    Column("body", Text, nullable=False),
    Column("author", String(200), nullable=False),
    ts("created_at", nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    id_column(),
    workspace_column(),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False, default=""),
    ts("due_at"),
    Column("assignee", String(200)),
    Column("status", String(16), nullable=False, default="open"),  # open | done | cancelled
    ref("person_id", "persons"),
    ref("account_id", "accounts"),
    ref("order_id", "orders"),
    Column("source", String(100), nullable=False, default=""),
    Column("idempotency_key", String(300)),
    ts("created_at", nullable=False),
    ts("completed_at"),
    UniqueConstraint("workspace_id", "idempotency_key"),
)

import_runs = Table(
    "import_runs",
    metadata,
    id_column(),
    workspace_column(),
    Column("kind", String(32), nullable=False),
    Column("format", String(32), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("summary", Json),
    Column("rejected", Integer, nullable=False, default=0),
    ts("started_at", nullable=False),
    ts("finished_at"),
)
