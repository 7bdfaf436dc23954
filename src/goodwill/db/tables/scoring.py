"""Dated per-customer score snapshots (so health trends are real) and per-run model records."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from goodwill.db.tables._base import Json, id_column, metadata, ref, ts, workspace_column

score_runs = Table(
    "score_runs",
    metadata,
    id_column(),
    workspace_column(),
    Column("as_of", Date, nullable=False),
    ts("computed_at", nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customers", Integer, nullable=False),
    Column("model", String(32), nullable=False),
    Column("params", Json),
    Column("diagnostics", Json),
    Column("capital_minor", BigInteger, nullable=False, default=0),
    Column("health_weighted_capital_minor", BigInteger, nullable=False, default=0),
    Column("summary", Json),  # NPS, segments, cohorts and other business-level figures
    UniqueConstraint("workspace_id", "as_of"),
)

score_snapshots = Table(
    "score_snapshots",
    metadata,
    id_column(),
    workspace_column(),
    ref("run_id", "score_runs", nullable=False, index=False),
    ref("person_id", "persons", nullable=False, index=False),
    Column("as_of", Date, nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("recency_days", Float, nullable=False),
    Column("age_days", Float, nullable=False),
    Column("p_alive", Float, nullable=False),
    Column("expected_purchases_90d", Float, nullable=False),
    Column("clv_minor", BigInteger, nullable=False),
    Column("clv_percentile", Float, nullable=False),
    Column("health", Float, nullable=False),
    Column("engagement", Float, nullable=False),
    Column("depth", Float, nullable=False),
    Column("nps_last", Integer),
    Column("rfm", String(3), nullable=False),
    Column("segment", String(32), nullable=False),
    Column("components", Json),
    Column("explanation", String(500), nullable=False, default=""),
    UniqueConstraint("person_id", "as_of"),
)
Index("ix_score_snapshots_run", score_snapshots.c.run_id)
Index("ix_score_snapshots_ws_asof", score_snapshots.c.workspace_id, score_snapshots.c.as_of)
