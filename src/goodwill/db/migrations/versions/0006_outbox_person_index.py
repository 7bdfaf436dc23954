"""outbox: index on (person_id, status, available_at)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 07:50:00

The dispatcher checks, per batch, which of the batch's people have higher-priority messages
waiting (the contact budget's priorities). With only ``ix_outbox_due`` that query walked every
due pending row of the outbox, so each batch cost more the fuller the outbox was (1M pending
messages: 0.19 s per batch of 200 on SQLite, about 1 ms of worker time per message); with this
index it reads the batch's people only (1 ms a batch).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_person", "outbox", ["person_id", "status", "available_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_person", table_name="outbox")
