"""Every write of the demo: batch-local references become database ids, rows go through the bulk
paths (COPY on PostgreSQL, executemany on SQLite), all scoped to one workspace."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, delete, exists, select

from goodwill.db.bulk import allocate_ids, analyze, insert_rows
from goodwill.db.tables import metadata
from goodwill.demo.models import REFERENCED, Batch, Frame
from goodwill.workspaces.service import Workspace


def _workspace_tables() -> list[Table]:
    """Every table whose rows belong to a workspace, children before parents."""
    return [t for t in reversed(metadata.sorted_tables) if "workspace_id" in t.c]


def _values(column: Any) -> list[Any]:
    if isinstance(column, np.ndarray):
        if np.issubdtype(column.dtype, np.datetime64):
            return list(column.astype("datetime64[us]").tolist())
        return list(column.tolist())
    return list(column)


def _mapped(local: Any, ids: np.ndarray) -> list[Any]:
    idx = np.asarray(local, dtype=np.int64)
    if not len(idx):
        return []
    out = ids[np.maximum(idx, 0)].astype(object)
    out[idx < 0] = None
    return list(out.tolist())


class DemoRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    def is_empty(self) -> bool:
        for table in _workspace_tables():
            query = select(exists().where(table.c.workspace_id == self.ws))
            if self.conn.execute(query).scalar():
                return False
        return True

    def delete_all(self) -> int:
        """Delete every row of the workspace (the workspace itself stays); returns the count."""
        removed = 0
        for table in _workspace_tables():
            result = self.conn.execute(delete(table).where(table.c.workspace_id == self.ws))
            removed += max(result.rowcount or 0, 0)
        return removed

    def insert_frame(self, frame: Frame, ids: dict[str, np.ndarray]) -> int:
        """Insert one frame; frames other frames point at get ids first (kept in ``ids``)."""
        n = len(frame)
        if not n:
            if frame.table in REFERENCED:
                ids[frame.table] = np.zeros(0, dtype=np.int64)
            return 0
        table = metadata.tables[frame.table]
        names = ["workspace_id", *frame.columns]
        columns: list[list[Any]] = [[self.ws] * n]
        for name, column in frame.columns.items():
            target = frame.refs.get(name)
            columns.append(_mapped(column, ids[target]) if target else _values(column))
        if frame.table in REFERENCED:
            allocated = np.asarray(allocate_ids(self.conn, table, n), dtype=np.int64)
            ids[frame.table] = allocated
            names.insert(0, "id")
            columns.insert(0, allocated.tolist())
        return insert_rows(self.conn, table, names, zip(*columns, strict=True))

    def insert_products(self, frame: Frame) -> list[int]:
        table = metadata.tables["products"]
        allocated = allocate_ids(self.conn, table, len(frame))
        names = ["id", "workspace_id", *frame.columns]
        columns: list[list[Any]] = [allocated, [self.ws] * len(frame)]
        columns += [_values(c) for c in frame.columns.values()]
        insert_rows(self.conn, table, names, zip(*columns, strict=True))
        return allocated

    def refresh_statistics(self, tables: list[str]) -> None:
        """After a bulk load, give PostgreSQL's planner fresh statistics (SQLite plans well
        without them; autovacuum would get there too, later)."""
        analyze(self.conn, tables)

    def write_batch(self, batch: Batch) -> dict[str, int]:
        ids: dict[str, np.ndarray] = {}
        return {frame.table: self.insert_frame(frame, ids) for frame in batch.frames}
