"""import write path: fewer indexes and foreign keys on the bulk tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:18:23.057300

What an import writes per line (order lines, interactions) maintains fewer indexes and fires fewer
foreign-key checks (docs/adr/0040-import-write-path.md):

* ``interactions.workspace_id`` and ``order_lines.workspace_id`` lose their foreign keys (the
  columns and their indexes stay);
* ``ix_interactions_account_id`` and ``ix_orders_account_id`` become partial (``account_id IS NOT
  NULL``): order and consent events have no account, so the full indexes were almost all NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTIAL = ("interactions", "orders")


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_interactions_workspace_id_workspaces"), type_="foreignkey"
        )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_workspace_id_workspaces"), type_="foreignkey"
        )

    for table in _PARTIAL:
        op.drop_index(f"ix_{table}_account_id", table_name=table)
        where = sa.text("account_id IS NOT NULL")
        op.create_index(
            f"ix_{table}_account_id",
            table,
            ["account_id"],
            unique=False,
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for table in _PARTIAL:
        op.drop_index(f"ix_{table}_account_id", table_name=table)
        op.create_index(f"ix_{table}_account_id", table, ["account_id"], unique=False)

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_workspace_id_workspaces"),
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_interactions_workspace_id_workspaces"),
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )
