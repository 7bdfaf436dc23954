"""journey tables: no foreign key on workspace_id of enrolments, outbox and deliveries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:55:00

The scheduler writes an enrolment and three outbox rows per person in bulk and the dispatcher a
ledger entry per message; on PostgreSQL each foreign key is a trigger firing per row. The
``workspace_id`` checks guard nothing the repositories (constructed with the workspace) do not
already guarantee, so, as for interactions and order lines (0004, docs/adr/0040-import-write-path.md),
these three tables keep the column and its index but not the constraint. The foreign keys that
carry meaning (journey, person, enrolment, outbox row) stay.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("enrolments", "outbox", "deliveries")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_workspace_id_workspaces"), type_="foreignkey"
            )


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_workspace_id_workspaces"),
                "workspaces",
                ["workspace_id"],
                ["id"],
                ondelete="CASCADE",
            )
