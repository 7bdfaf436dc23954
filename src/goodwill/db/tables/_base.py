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


def workspace_column(*, foreign_key: bool = True) -> Column[Any]:
    """``workspace_id``, indexed.  ``foreign_key=False`` on the bulk-written tables whose per-row
    check costs more than it guards (ADR 0040)."""
    if not foreign_key:
        return Column("workspace_id", Id, nullable=False, index=True)
    return Column(
        "workspace_id",
        Id,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def ts(name: str, *, nullable: bool = True, index: bool = False) -> Column[Any]:
    return Column(name, DateTime(timezone=True), nullable=nullable, index=index)


def ref(name: str, table: str, *, nullable: bool = True, index: bool = True) -> Column[Any]:
    return Column(
        name, Id, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=nullable, index=index
    )
