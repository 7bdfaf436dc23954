"""Shared column helpers and the naming convention that keeps migrations stable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Integer, MetaData

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# 64-bit ids on PostgreSQL, SQLite's rowid alias on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSON(), "sqlite")


def id_column() -> Column[Any]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def workspace_column(*, index: bool = True, foreign_key: bool = True) -> Column[Any]:
    """``workspace_id``.  ``index=False`` where a composite key starts with it (the single-column
    index would be a redundant prefix); ``foreign_key=False`` on the bulk-written tables whose
    per-row check costs more than it guards (ADR 0040)."""
    if not foreign_key:
        return Column("workspace_id", Id, nullable=False, index=index)
    return Column(
        "workspace_id",
        Id,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=index,
    )


def ts(name: str, *, nullable: bool = True, index: bool = False) -> Column[Any]:
    return Column(name, DateTime(timezone=True), nullable=nullable, index=index)


def ref(
    name: str, table: str, *, nullable: bool = True, index: bool = True, foreign_key: bool = True
) -> Column[Any]:
    """A reference to ``table.id``; ``foreign_key=False`` keeps the column (and its index) but
    not the constraint (see :func:`workspace_column`)."""
    if not foreign_key:
        return Column(name, Id, nullable=nullable, index=index)
    return Column(
        name, Id, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=nullable, index=index
    )
