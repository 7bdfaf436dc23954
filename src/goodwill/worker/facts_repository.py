"""All queries that read the relationship record for a batch of messages at send time.

One query per kind of fact for the whole batch (never one per message), so gathering facts
for a batch of 100 costs about as much as for one.

The workspace filter is written :func:`_in_workspace` (``workspace_id + 0 = :ws``) where the
query also selects by person or order: without table statistics SQLite prefers the
single-column ``workspace_id`` index to the person index and reads every row of the workspace
(for a send-time consent check that made dispatch quadratic).  The filter still applies; it is
only kept from steering the plan.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from goodwill.db import tables as t
from goodwill.db.where import in_workspace_unindexed
from goodwill.messaging.vocabulary import DIRECT_CHANNELS
from goodwill.worker.models import CONTACT_STATUSES, OutboxStatus
from goodwill.workspaces.service import Workspace

_DIRECT = sorted(str(c) for c in DIRECT_CHANNELS)


class FactsRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id
        self._postgres = conn.dialect.name == "postgresql"

    def _in(self, column: Any, values: Collection[Any]) -> Any:
        """``column IN (values)`` with one parameter and a fixed statement text: PostgreSQL
        ``column = ANY(:array)``, SQLite ``column IN (SELECT value FROM json_each(:list))``.
        A 200-value ``IN (...)`` list is expanded by SQLAlchemy and parsed by the driver again
        on every execution, which cost more than running the query."""
        if self._postgres:
            return column == any_(literal(list(values), ARRAY(column.type)))
        listed = literal(json.dumps(list(values)), String())  # SQLite: json_each(:list)
        return column.in_(select(literal_column("value")).select_from(func.json_each(listed)))

    def persons(self, ids: Collection[int]) -> list[Any]:
        p = t.persons.c
        return list(
            self.conn.execute(
                select(
                    p.id,
                    p.first_name,
                    p.last_name,
                    p.timezone,
                    p.owner,
                    p.tags,
                    p.merged_into_id,
                ).where(p.workspace_id == self.ws, self._in(p.id, ids))
            )
        )

    def identities(self, ids: Collection[int]) -> list[Any]:
        c = t.identities.c
        return list(
            self.conn.execute(
                select(c.person_id, c.kind, c.value)
                .where(in_workspace_unindexed(c.workspace_id, self.ws), self._in(c.person_id, ids))
                .order_by(c.person_id, c.id)
            )
        )

    def consent_events(self, ids: Collection[int]) -> list[Any]:
        c = t.consent_events.c
        return list(
            self.conn.execute(
                select(
                    c.id,
                    c.person_id,
                    c.purpose,
                    c.channel,
                    c.action,
                    c.occurred_at,
                    c.source,
                    c.evidence,
                    c.lawful_basis,
                )
                .where(in_workspace_unindexed(c.workspace_id, self.ws), self._in(c.person_id, ids))
                .order_by(c.person_id, c.occurred_at, c.id)
            )
        )

    def consent_event_count(self, person_id: int) -> int:
        """How many consent events the person has (the ledger is append-only, so a change in
        this number means a grant or withdrawal was recorded)."""
        found = self.conn.execute(CONSENT_COUNT, {"b_person": person_id, "b_ws": self.ws})
        return int(found.scalar_one())

    def preferences(self, ids: Collection[int]) -> list[Any]:
        c = t.preferences.c
        return list(
            self.conn.execute(
                select(c.person_id, c.channels, c.max_per_week).where(
                    in_workspace_unindexed(c.workspace_id, self.ws), self._in(c.person_id, ids)
                )
            )
        )

    def accounts(self, ids: Collection[int]) -> list[Any]:
        """Active memberships with the account's name and owner (oldest membership first)."""
        m, a = t.memberships.c, t.accounts.c
        return list(
            self.conn.execute(
                select(m.person_id, a.name, a.owner)
                .join_from(t.memberships, t.accounts, m.account_id == a.id)
                .where(m.workspace_id == self.ws, self._in(m.person_id, ids), m.active.is_(True))
                .order_by(m.person_id, m.id)
            )
        )

    def latest_orders(self, ids: Collection[int]) -> list[Any]:
        """Each person's most recent order: ``(person_id, order_id, number)``."""
        o = t.orders.c
        ranked = (
            select(
                o.person_id,
                o.id.label("order_id"),
                o.external_id.label("number"),
                func.row_number()
                .over(partition_by=o.person_id, order_by=(o.placed_at.desc(), o.id.desc()))
                .label("rn"),
            )
            .where(in_workspace_unindexed(o.workspace_id, self.ws), self._in(o.person_id, ids))
            .subquery()
        )
        return list(
            self.conn.execute(
                select(ranked.c.person_id, ranked.c.order_id, ranked.c.number).where(
                    ranked.c.rn == 1
                )
            )
        )

    def orders_by_number(self, ids: Collection[int], numbers: Collection[str]) -> list[Any]:
        """Orders of these people with these numbers (external ids)."""
        o = t.orders.c
        return list(
            self.conn.execute(
                select(o.person_id, o.id.label("order_id"), o.external_id.label("number")).where(
                    in_workspace_unindexed(o.workspace_id, self.ws),
                    self._in(o.person_id, ids),
                    self._in(o.external_id, numbers),
                )
            )
        )

    def first_lines(self, order_ids: Collection[int]) -> list[Any]:
        """``(order_id, name)`` of each order's lines, first line first."""
        ol = t.order_lines.c
        return list(
            self.conn.execute(
                select(ol.order_id, ol.name)
                .where(ol.workspace_id == self.ws, self._in(ol.order_id, order_ids))
                .order_by(ol.order_id, ol.line_no)
            )
        )

    def latest_facts(self, ids: Collection[int]) -> list[Any]:
        f = t.facts.c
        return list(
            self.conn.execute(
                select(f.person_id, f.text)
                .where(in_workspace_unindexed(f.workspace_id, self.ws), self._in(f.person_id, ids))
                .order_by(f.person_id, f.noted_at.desc(), f.id.desc())
            )
        )

    def recent_sends(self, ids: Collection[int], since: datetime) -> list[Any]:
        """Contacts since ``since`` on channels that reach the person:
        ``(person_id, occurred_at, priority)``."""
        d, o = t.deliveries.c, t.outbox.c
        return list(
            self.conn.execute(
                select(d.person_id, d.occurred_at, o.priority)
                .join_from(t.deliveries, t.outbox, d.outbox_id == o.id)
                .where(
                    self._in(d.person_id, ids),
                    d.occurred_at > since,
                    d.status.in_([s.value for s in CONTACT_STATUSES]),
                    d.channel.in_(_DIRECT),
                    in_workspace_unindexed(d.workspace_id, self.ws),
                )
            )
        )

    def waiting(self, ids: Sequence[int], now: datetime) -> list[Any]:
        """Due messages still pending per person and priority: ``(person_id, priority, n)``."""
        o = t.outbox.c
        return list(
            self.conn.execute(
                select(o.person_id, o.priority, func.count())
                .where(
                    self._in(o.person_id, ids),
                    o.status == OutboxStatus.PENDING.value,
                    o.available_at <= now,
                    o.channel.in_(_DIRECT),
                    in_workspace_unindexed(o.workspace_id, self.ws),
                )
                .group_by(o.person_id, o.priority)
            )
        )


#: The number of consent events a person has (send-time facts, and the guard on marking sent).
CONSENT_COUNT = select(func.count()).where(
    t.consent_events.c.person_id == bindparam("b_person"),
    in_workspace_unindexed(t.consent_events.c.workspace_id, bindparam("b_ws")),
)
