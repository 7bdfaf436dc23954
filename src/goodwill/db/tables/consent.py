"""The consent ledger: append-only; the current state is derived from it."""

from sqlalchemy import Column, Index, String, Table

from goodwill.db.tables._base import Json, id_column, metadata, ref, ts, workspace_column

consent_events = Table(
    "consent_events",
    metadata,
    id_column(),
    workspace_column(),
    ref("person_id", "persons", nullable=False, index=False),
    Column("purpose", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("action", String(16), nullable=False),  # grant | withdraw
    Column("lawful_basis", String(32), nullable=False, default="consent"),
    Column("source", String(100), nullable=False),
    Column("evidence", Json),
    ts("occurred_at", nullable=False),
    ts("recorded_at", nullable=False),
)

Index(
    "ix_consent_person_purpose",
    consent_events.c.person_id,
    consent_events.c.purpose,
    consent_events.c.channel,
    consent_events.c.occurred_at,
)
