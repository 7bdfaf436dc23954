"""All queries that read the relationship record for a batch of messages at send time.

One query per kind of fact for the whole batch (never one per message), so gathering facts
for a batch of 100 costs about as much as for one.

The workspace filter is written :func:`_in_workspace` (``workspace_id + 0 = :ws``) where the
query also selects by person or order: without table statistics SQLite prefers the
single-column ``workspace_id`` index to the person index and reads every row of the workspace
(for a send-time consent check that made dispatch quadratic).  The filter still applies; it is
only kept from steering the plan.

The statements are built once per dialect (:func:`_statements`) with every value a bound
parameter: building a Core statement and computing its cache key cost more per batch than
running some of the queries.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    func,
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


def _in(column: Any, name: str, postgres: bool) -> Any:
    """``column IN (:name)`` with one parameter and a fixed statement text: PostgreSQL
    ``column = ANY(:array)``, SQLite ``column IN (SELECT value FROM json_each(:list))``.
    A 200-value ``IN (...)`` list is expanded by SQLAlchemy and parsed by the driver again
    on every execution, which cost more than running the query."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    listed = bindparam(name, type_=String())  # SQLite: json_each(:list)
    return column.in_(select(literal_column("value")).select_from(func.json_each(listed)))


_WS: BindParameter[int] = bindparam("b_ws", type_=Integer())


@dataclass(frozen=True, slots=True)
class _Statements:
    persons: Select[Any]
    identities: Select[Any]
    consent_events: Select[Any]
    preferences: Select[Any]
    accounts: Select[Any]
    latest_orders: Select[Any]
    orders_by_number: Select[Any]
    first_lines: Select[Any]
    latest_facts: Select[Any]
    recent_sends: Select[Any]
    waiting: Select[Any]


@lru_cache(maxsize=2)
def _statements(postgres: bool) -> _Statements:
    """Every statement of :class:`FactsRepository` for one dialect family.  Parameters:
    ``b_ws`` (workspace), ``b_ids`` (person ids), ``b_numbers`` (order numbers),
    ``b_order_ids``, ``b_since`` and ``b_now``."""
    p, c, cons, pref = t.persons.c, t.identities.c, t.consent_events.c, t.preferences.c
    m, a, o, ol, f, d = (
        t.memberships.c,
        t.accounts.c,
        t.outbox.c,
        t.order_lines.c,
        t.facts.c,
        t.deliveries.c,
    )
    orders = t.orders.c
    ranked = (
        select(
            orders.person_id,
            orders.id.label("order_id"),
            orders.external_id.label("number"),
            func.row_number()
            .over(
                partition_by=orders.person_id, order_by=(orders.placed_at.desc(), orders.id.desc())
            )
            .label("rn"),
        )
        .where(
            in_workspace_unindexed(orders.workspace_id, _WS),
            _in(orders.person_id, "b_ids", postgres),
        )
        .subquery()
    )
    return _Statements(
        persons=select(
            p.id, p.first_name, p.last_name, p.timezone, p.owner, p.tags, p.merged_into_id
        ).where(p.workspace_id == _WS, _in(p.id, "b_ids", postgres)),
        identities=select(c.person_id, c.kind, c.value)
        .where(in_workspace_unindexed(c.workspace_id, _WS), _in(c.person_id, "b_ids", postgres))
        .order_by(c.person_id, c.id),
        consent_events=select(
            cons.id,
            cons.person_id,
            cons.purpose,
            cons.channel,
            cons.action,
            cons.occurred_at,
            cons.source,
            cons.evidence,
            cons.lawful_basis,
        )
        .where(
            in_workspace_unindexed(cons.workspace_id, _WS),
            _in(cons.person_id, "b_ids", postgres),
        )
        .order_by(cons.person_id, cons.occurred_at, cons.id),
        preferences=select(pref.person_id, pref.channels, pref.max_per_week).where(
            in_workspace_unindexed(pref.workspace_id, _WS), _in(pref.person_id, "b_ids", postgres)
        ),
        accounts=select(m.person_id, a.name, a.owner)
        .join_from(t.memberships, t.accounts, m.account_id == a.id)
        .where(m.workspace_id == _WS, _in(m.person_id, "b_ids", postgres), m.active.is_(True))
        .order_by(m.person_id, m.id),
        latest_orders=select(ranked.c.person_id, ranked.c.order_id, ranked.c.number).where(
            ranked.c.rn == 1
        ),
        orders_by_number=select(
            orders.person_id, orders.id.label("order_id"), orders.external_id.label("number")
        ).where(
            in_workspace_unindexed(orders.workspace_id, _WS),
            _in(orders.person_id, "b_ids", postgres),
            _in(orders.external_id, "b_numbers", postgres),
        ),
        first_lines=select(ol.order_id, ol.name)
        .where(ol.workspace_id == _WS, _in(ol.order_id, "b_order_ids", postgres))
        .order_by(ol.order_id, ol.line_no),
        latest_facts=select(f.person_id, f.text)
        .where(in_workspace_unindexed(f.workspace_id, _WS), _in(f.person_id, "b_ids", postgres))
        .order_by(f.person_id, f.noted_at.desc(), f.id.desc()),
        recent_sends=select(d.person_id, d.occurred_at, o.priority)
        .join_from(t.deliveries, t.outbox, d.outbox_id == o.id)
        .where(
            _in(d.person_id, "b_ids", postgres),
            d.occurred_at > bindparam("b_since", type_=d.occurred_at.type),
            d.status.in_([s.value for s in CONTACT_STATUSES]),
            d.channel.in_(_DIRECT),
            in_workspace_unindexed(d.workspace_id, _WS),
        ),
        waiting=select(o.person_id, o.priority, func.count())
        .where(
            _in(o.person_id, "b_ids", postgres),
            o.status == OutboxStatus.PENDING.value,
            o.available_at <= bindparam("b_now", type_=o.available_at.type),
            o.channel.in_(_DIRECT),
            in_workspace_unindexed(o.workspace_id, _WS),
        )
        .group_by(o.person_id, o.priority),
    )


class FactsRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id
        self._postgres = conn.dialect.name == "postgresql"
        self._q = _statements(self._postgres)

    def _list(self, values: Collection[Any]) -> Any:
        """A value list as the ``_in`` parameter takes it (array / JSON text)."""
        return list(values) if self._postgres else json.dumps(list(values))

    def _run(self, statement: Select[Any], **params: Any) -> list[Any]:
        return list(self.conn.execute(statement, {"b_ws": self.ws, **params}))

    def persons(self, ids: Collection[int]) -> list[Any]:
        return self._run(self._q.persons, b_ids=self._list(ids))

    def identities(self, ids: Collection[int]) -> list[Any]:
        return self._run(self._q.identities, b_ids=self._list(ids))

    def consent_events(self, ids: Collection[int]) -> list[Any]:
        return self._run(self._q.consent_events, b_ids=self._list(ids))

    def consent_event_count(self, person_id: int) -> int:
        """How many consent events the person has (the ledger is append-only, so a change in
        this number means a grant or withdrawal was recorded)."""
        found = self.conn.execute(CONSENT_COUNT, {"b_person": person_id, "b_ws": self.ws})
        return int(found.scalar_one())

    def preferences(self, ids: Collection[int]) -> list[Any]:
        return self._run(self._q.preferences, b_ids=self._list(ids))

    def accounts(self, ids: Collection[int]) -> list[Any]:
        """Active memberships with the account's name and owner (oldest membership first)."""
        return self._run(self._q.accounts, b_ids=self._list(ids))

    def latest_orders(self, ids: Collection[int]) -> list[Any]:
        """Each person's most recent order: ``(person_id, order_id, number)``."""
        return self._run(self._q.latest_orders, b_ids=self._list(ids))

    def orders_by_number(self, ids: Collection[int], numbers: Collection[str]) -> list[Any]:
        """Orders of these people with these numbers (external ids)."""
        return self._run(
            self._q.orders_by_number, b_ids=self._list(ids), b_numbers=self._list(numbers)
        )

    def first_lines(self, order_ids: Collection[int]) -> list[Any]:
        """``(order_id, name)`` of each order's lines, first line first."""
        return self._run(self._q.first_lines, b_order_ids=self._list(order_ids))

    def latest_facts(self, ids: Collection[int]) -> list[Any]:
        return self._run(self._q.latest_facts, b_ids=self._list(ids))

    def recent_sends(self, ids: Collection[int], since: datetime) -> list[Any]:
        """Contacts since ``since`` on channels that reach the person:
        ``(person_id, occurred_at, priority)``."""
        return self._run(self._q.recent_sends, b_ids=self._list(ids), b_since=since)

    def waiting(self, ids: Sequence[int], now: datetime) -> list[Any]:
        """Due messages still pending per person and priority: ``(person_id, priority, n)``."""
        return self._run(self._q.waiting, b_ids=self._list(ids), b_now=now)


#: The number of consent events a person has (send-time facts, and the guard on marking sent).
CONSENT_COUNT = select(func.count()).where(
    t.consent_events.c.person_id == bindparam("b_person"),
    in_workspace_unindexed(t.consent_events.c.workspace_id, bindparam("b_ws")),
)
