"""All queries of the people context.  Built with a workspace; every query is scoped to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from goodwill.db import tables as t
from goodwill.people.models import MERGE_UNIQUE_KEYS
from goodwill.workspaces.service import Workspace


class PeopleRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    # -- lookups -------------------------------------------------------------------------------
    def person_row(self, person_id: int) -> Any | None:
        return self.conn.execute(
            select(t.persons).where(
                t.persons.c.workspace_id == self.ws, t.persons.c.id == person_id
            )
        ).first()

    def find_by_identity(self, kind: str, value: str) -> int | None:
        row = self.conn.execute(
            select(t.identities.c.person_id).where(
                t.identities.c.workspace_id == self.ws,
                t.identities.c.kind == kind,
                t.identities.c.value == value,
            )
        ).first()
        return None if row is None else int(row[0])

    def identities(self, person_id: int) -> list[Any]:
        c = t.identities.c
        return list(
            self.conn.execute(
                select(c.kind, c.value, c.source)
                .where(c.workspace_id == self.ws, c.person_id == person_id)
                .order_by(c.kind, c.id)
            )
        )

    def preferences(self, person_id: int) -> Any | None:
        c = t.preferences.c
        return self.conn.execute(
            select(c.channels, c.max_per_week, c.interests).where(
                c.workspace_id == self.ws, c.person_id == person_id
            )
        ).first()

    def facts(self, person_id: int) -> list[Any]:
        c = t.facts.c
        return list(
            self.conn.execute(
                select(c.text, c.noted_by, c.noted_at)
                .where(c.workspace_id == self.ws, c.person_id == person_id)
                .order_by(c.noted_at.desc(), c.id.desc())
            )
        )

    def dates(self, person_id: int) -> list[Any]:
        c = t.important_dates.c
        return list(
            self.conn.execute(
                select(c.kind, c.label, c.month, c.day, c.year, c.recurrence)
                .where(c.workspace_id == self.ws, c.person_id == person_id)
                .order_by(c.month, c.day)
            )
        )

    def consent_events(self, person_id: int) -> list[Any]:
        c = t.consent_events.c
        return list(
            self.conn.execute(
                select(
                    c.id,
                    c.purpose,
                    c.channel,
                    c.action,
                    c.occurred_at,
                    c.source,
                    c.evidence,
                    c.lawful_basis,
                )
                .where(c.workspace_id == self.ws, c.person_id == person_id)
                .order_by(c.occurred_at, c.id)
            )
        )

    def memberships(self, person_id: int) -> list[Any]:
        m, a = t.memberships.c, t.accounts.c
        return list(
            self.conn.execute(
                select(m.account_id, a.name, m.role, m.active, a.owner)
                .join_from(t.memberships, t.accounts, m.account_id == a.id)
                .where(m.workspace_id == self.ws, m.person_id == person_id)
                .order_by(a.name, m.role)
            )
        )

    def links(self, person_id: int) -> list[tuple[str, str, int, str | None, str | None]]:
        lk, p = t.person_links.c, t.persons.c
        out: list[tuple[str, str, int, str | None, str | None]] = []
        for direction, mine, other in (
            ("out", lk.from_person_id, lk.to_person_id),
            ("in", lk.to_person_id, lk.from_person_id),
        ):
            rows = self.conn.execute(
                select(lk.kind, other, p.first_name, p.last_name)
                .join_from(t.person_links, t.persons, other == p.id)
                .where(lk.workspace_id == self.ws, mine == person_id)
                .order_by(lk.kind, other)
            )
            out.extend((r[0], direction, int(r[1]), r[2], r[3]) for r in rows)
        return out

    def order_summary(self, person_id: int) -> list[Any]:
        o = t.orders.c
        net = func.sum(o.total_minor - o.refunded_minor)
        return list(
            self.conn.execute(
                select(o.currency, func.count(), net, func.min(o.placed_at), func.max(o.placed_at))
                .where(o.workspace_id == self.ws, o.person_id == person_id, o.status != "cancelled")
                .group_by(o.currency)
            )
        )

    def open_tasks(self, person_id: int) -> list[Any]:
        c = t.tasks.c
        return list(
            self.conn.execute(
                select(c.id, c.title, c.due_at, c.assignee, c.status)
                .where(c.workspace_id == self.ws, c.person_id == person_id, c.status == "open")
                .order_by(c.due_at)
            )
        )

    def timeline(self, person_id: int, limit: int) -> list[Any]:
        c = t.interactions.c
        return list(
            self.conn.execute(
                select(c.occurred_at, c.kind, c.channel, c.actor, c.source, c.payload)
                .where(c.workspace_id == self.ws, c.person_id == person_id)
                .order_by(c.occurred_at.desc(), c.id.desc())
                .limit(limit)
            )
        )

    # -- merges --------------------------------------------------------------------------------
    def movable_ids(self, table_name: str, column: str, loser: int, winner: int) -> list[int]:
        """Ids of the loser's rows that can move to the winner without breaking a unique key."""
        table = t.metadata.tables[table_name]
        col = table.c[column]
        key = MERGE_UNIQUE_KEYS.get((table_name, column))
        rows = self.conn.execute(
            select(table.c.id, *(table.c[k] for k in key or ())).where(
                table.c.workspace_id == self.ws, col == loser
            )
        ).all()
        if key is None:
            return [int(r[0]) for r in rows]
        key_cols = [table.c[k] for k in key] or [table.c.id]
        taken = {
            tuple(r)
            for r in self.conn.execute(
                select(*key_cols).where(table.c.workspace_id == self.ws, col == winner)
            )
        }
        if key == ():
            return [] if taken else [int(r[0]) for r in rows[:1]]
        ids = []
        for r in rows:
            values = tuple(r[1:])
            other = values[0] if table_name == "person_links" else None
            if values in taken or other in (winner, loser):
                continue
            ids.append(int(r[0]))
        return ids

    def move(self, table_name: str, column: str, ids: list[int], to_person: int) -> None:
        table = t.metadata.tables[table_name]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self.conn.execute(
                update(table)
                .where(table.c.workspace_id == self.ws, table.c.id.in_(chunk))
                .values({column: to_person})
            )

    def update_person(self, person_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.persons)
            .where(t.persons.c.workspace_id == self.ws, t.persons.c.id == person_id)
            .values(**values)
        )

    def insert_merge(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(t.merges).values(workspace_id=self.ws, **values))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def merge_row(self, merge_id: int) -> Any | None:
        return self.conn.execute(
            select(t.merges).where(t.merges.c.workspace_id == self.ws, t.merges.c.id == merge_id)
        ).first()

    def later_merge_into(self, person_id: int, after_id: int) -> int | None:
        """An active merge, newer than ``after_id``, that moved ``person_id`` away."""
        m = t.merges.c
        row = self.conn.execute(
            select(m.id).where(
                m.workspace_id == self.ws,
                m.loser_id == person_id,
                m.undone_at.is_(None),
                m.id > after_id,
            )
        ).first()
        return None if row is None else int(row[0])

    def mark_merge_undone(self, merge_id: int, when: datetime) -> None:
        self.conn.execute(
            update(t.merges)
            .where(t.merges.c.workspace_id == self.ws, t.merges.c.id == merge_id)
            .values(undone_at=when)
        )

    def insert_interaction(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(t.interactions).values(workspace_id=self.ws, **values))

    def insert(self, table_name: str, values: dict[str, Any]) -> int:
        """Insert one row of a people-owned table (facts, notes, dates, preferences, links)."""
        table = t.metadata.tables[table_name]
        result = self.conn.execute(insert(table).values(workspace_id=self.ws, **values))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])
