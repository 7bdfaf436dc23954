"""All queries on the outbox and the delivery ledger made by the dispatcher.

Every transition of an outbox row is a conditional update: it applies only while the row is
still ``pending`` and leased by this worker (``locked_by = :me``), and reports whether it did.
A ``False`` means another worker took the row over after our lease expired: the caller must not
act on it (and, for email, must abandon the SMTP transaction; see :mod:`goodwill.worker.commit`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from goodwill.db import tables as t
from goodwill.db.engine import is_postgres
from goodwill.timeline.models import Kind
from goodwill.worker.facts_repository import CONSENT_COUNT
from goodwill.worker.models import ClaimedRow, LedgerStatus, OutboxStatus
from goodwill.workspaces.service import Workspace

REASON_MAX = 500
_PENDING = OutboxStatus.PENDING.value


def clip(reason: str) -> str:
    """Reasons are sentences for people; the column holds 500 characters."""
    text = " ".join(reason.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


class OutboxRepository:
    """The dispatcher's queries for one workspace."""

    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    # -- claiming ------------------------------------------------------------------------------

    def claim(
        self, worker_id: str, *, now: datetime, limit: int, lease: timedelta
    ) -> list[ClaimedRow]:
        """Lease up to ``limit`` due rows (oldest first).  On PostgreSQL rows another worker is
        claiming right now are skipped (``FOR UPDATE SKIP LOCKED``); on SQLite the write lock
        taken at ``BEGIN IMMEDIATE`` serialises claims."""
        o = t.outbox.c
        due = (
            select(o.id)
            .where(
                o.status == _PENDING,
                o.available_at <= now,
                or_(o.locked_until.is_(None), o.locked_until < now),
                o.workspace_id == self.ws,
            )
            .order_by(o.available_at, o.id)
            .limit(limit)
        )
        if is_postgres(self.conn):
            due = due.with_for_update(skip_locked=True)
        # one statement: choose and lease (no second round trip with the ids as a long list)
        claim = (
            update(t.outbox)
            .where(o.id.in_(due.scalar_subquery()))
            .values(locked_by=worker_id, locked_until=now + lease)
            .returning(
                o.id,
                o.person_id,
                o.idempotency_key,
                o.action,
                o.channel,
                o.purpose,
                o.priority,
                o.payload,
                o.attempts,
                o.available_at,
            )
        )
        rows = [
            ClaimedRow(
                id=int(r.id),
                person_id=int(r.person_id),
                idempotency_key=r.idempotency_key,
                action=r.action,
                channel=r.channel,
                purpose=r.purpose,
                priority=int(r.priority),
                payload=dict(r.payload or {}),
                attempts=int(r.attempts),
                available_at=r.available_at,
            )
            for r in self.conn.execute(claim)
        ]
        rows.sort(key=lambda r: (r.available_at, r.id))  # RETURNING keeps no order
        return rows

    def release(self, worker_id: str, row_ids: Sequence[int] | None = None) -> int:
        """Give back leases (all of this worker's, or the given rows) without acting on them."""
        o = t.outbox.c
        query = update(t.outbox).where(
            o.workspace_id == self.ws, o.locked_by == worker_id, o.status == _PENDING
        )
        if row_ids is not None:
            query = query.where(o.id.in_(list(row_ids)))
        return int(self.conn.execute(query.values(locked_by=None, locked_until=None)).rowcount)

    # -- transitions (each: WHERE status = 'pending' AND locked_by = :me) ---------------------
    # The statements are built once (module level, bound parameters): building and hashing a
    # statement costs more than running it, and these run once per message.

    def _owned(self, row_id: int, worker_id: str, **values: Any) -> dict[str, Any]:
        return {"b_id": row_id, "b_ws": self.ws, "b_me": worker_id, **values}

    def mark_sent(
        self, row_id: int, worker_id: str, *, message_id: str | None, reason: str, now: datetime
    ) -> bool:
        """The commit point of a send: ``True`` if this worker still owned the row."""
        params = self._owned(row_id, worker_id, b_mid=message_id, b_reason=clip(reason), b_now=now)
        return bool(self.conn.execute(_MARK_SENT, params).rowcount == 1)

    def mark_sent_if_consent_unchanged(
        self,
        row_id: int,
        worker_id: str,
        *,
        person_id: int,
        consent_events: int,
        message_id: str,
        reason: str,
        now: datetime,
    ) -> bool:
        """:meth:`mark_sent`, and only if the person still has exactly ``consent_events``
        consent events (none was recorded since the facts were read), in one statement."""
        params = self._owned(
            row_id,
            worker_id,
            b_mid=message_id,
            b_reason=clip(reason),
            b_now=now,
            b_person=person_id,
            b_consents=consent_events,
        )
        return bool(self.conn.execute(_MARK_SENT_IF_CONSENT, params).rowcount == 1)

    def finish(
        self, row_id: int, worker_id: str, status: OutboxStatus, *, reason: str, now: datetime
    ) -> bool:
        """A final state other than sent (done, suppressed, failed, parked); a suppression is
        not an attempt."""
        stmt = _SUPPRESS if status is OutboxStatus.SUPPRESSED else _FINISH
        params = self._owned(
            row_id, worker_id, b_status=status.value, b_reason=clip(reason), b_now=now
        )
        return bool(self.conn.execute(stmt, params).rowcount == 1)

    def reschedule(
        self,
        row_id: int,
        worker_id: str,
        *,
        available_at: datetime,
        reason: str,
        now: datetime,
        failed_attempt: bool,
        from_status: OutboxStatus = OutboxStatus.PENDING,
    ) -> bool:
        """Back to ``pending`` at ``available_at`` with the lease released: a deferral
        (``failed_attempt=False``) or a retry after a failed attempt.  ``from_status=SENT``
        reverts a row whose send was committed but then rejected by the server (the commit
        already counted that attempt)."""
        if from_status is OutboxStatus.SENT:
            stmt = _REVERT_SENT
        else:
            stmt = _RETRY if failed_attempt else _DEFER
        params = self._owned(row_id, worker_id, b_at=available_at, b_reason=clip(reason), b_now=now)
        return bool(self.conn.execute(stmt, params).rowcount == 1)

    def park_after_commit(self, row_id: int, worker_id: str, *, reason: str, now: datetime) -> bool:
        """A committed send the server then refused for good (5xx after the final dot)."""
        params = self._owned(row_id, worker_id, b_reason=clip(reason), b_now=now)
        return bool(self.conn.execute(_PARK_SENT, params).rowcount == 1)

    # -- the ledger ----------------------------------------------------------------------------

    def record(
        self,
        row: ClaimedRow,
        status: LedgerStatus,
        *,
        reason: str,
        at: datetime,
        attempt: int | None = None,
        message_id: str | None = None,
    ) -> None:
        self.conn.execute(
            _INSERT_LEDGER,
            {
                "workspace_id": self.ws,
                "outbox_id": row.id,
                "person_id": row.person_id,
                "idempotency_key": row.idempotency_key,
                "channel": row.channel,
                "status": status.value,
                "reason": clip(reason),
                "message_id": message_id,
                "attempt": row.attempt if attempt is None else attempt,
                "occurred_at": at,
            },
        )

    # -- the timeline ---------------------------------------------------------------------------

    def add_interaction(self, values: dict[str, Any]) -> bool:
        """Append one interaction unless its idempotency key exists (one statement: ``INSERT
        ... ON CONFLICT DO NOTHING``; the row is the one :func:`goodwill.timeline.service.append`
        writes).  Returns whether it was written."""
        stmt = _insert_interaction(self.conn.dialect.name)
        result = self.conn.execute(stmt, {"workspace_id": self.ws, **values})
        return result.first() is not None  # RETURNING id: a row only when it was inserted

    # -- the person's tags (a ``tag`` intent) --------------------------------------------------

    def person_tags(self, person_id: int) -> list[str] | None:
        """The person's tags, or ``None`` if there is no such person."""
        p = t.persons.c
        found = self.conn.execute(
            select(p.tags).where(p.id == person_id, p.workspace_id == self.ws)
        ).first()
        if found is None:
            return None
        return [str(x) for x in (found.tags or [])]

    def set_tags(self, person_id: int, tags: list[str], now: datetime) -> None:
        p = t.persons.c
        self.conn.execute(
            update(t.persons)
            .where(p.id == person_id, p.workspace_id == self.ws)
            .values(tags=tags, updated_at=now)
        )

    def status_of(self, row_id: int) -> tuple[str, str | None] | None:
        """``(status, locked_by)`` of a row (for tests and diagnostics)."""
        o = t.outbox.c
        found = self.conn.execute(
            select(o.status, o.locked_by).where(o.id == row_id, o.workspace_id == self.ws)
        ).first()
        return None if found is None else (found.status, found.locked_by)


# -- statements built once ----------------------------------------------------------------------

_o = t.outbox.c


class CustodianRepository:
    """The custodian's two reads (:mod:`goodwill.worker.custodian`; its own process, after its
    worker died).  Rows are found by workspace and key: the custodian knows no row ids."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def sessions_named(self, name: str) -> int:
        """PostgreSQL sessions with this ``application_name``."""
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n")
        return int(self.conn.execute(query, {"n": name}).scalar_one())

    def committed_by(self, workspace_id: int, mids: dict[str, str], worker_id: str) -> set[str]:
        """Of ``mids`` (idempotency key -> Message-ID), the keys this worker marked sent with
        that Message-ID."""
        o = t.outbox.c
        rows = self.conn.execute(
            select(o.idempotency_key, o.status, o.message_id, o.locked_by).where(
                o.workspace_id == workspace_id, o.idempotency_key.in_(list(mids))
            )
        )
        return {
            r.idempotency_key
            for r in rows
            if r.status == OutboxStatus.SENT.value
            and r.locked_by == worker_id
            and r.message_id == mids[r.idempotency_key]
        }


def _owned_update(status: OutboxStatus) -> Any:
    return update(t.outbox).where(
        _o.id == bindparam("b_id"),
        _o.workspace_id == bindparam("b_ws"),
        _o.locked_by == bindparam("b_me"),
        _o.status == status.value,
    )


_MARK_SENT = _owned_update(OutboxStatus.PENDING).values(
    status=OutboxStatus.SENT.value,
    message_id=bindparam("b_mid"),
    attempts=_o.attempts + 1,
    locked_until=None,
    last_reason=bindparam("b_reason"),
    updated_at=bindparam("b_now"),
)
_CONSENT_EVENTS = CONSENT_COUNT.scalar_subquery()
_MARK_SENT_IF_CONSENT = _MARK_SENT.where(bindparam("b_consents") == _CONSENT_EVENTS)
_FINISH = _owned_update(OutboxStatus.PENDING).values(
    status=bindparam("b_status"),
    attempts=_o.attempts + 1,
    locked_until=None,
    last_reason=bindparam("b_reason"),
    updated_at=bindparam("b_now"),
)
_SUPPRESS = _owned_update(OutboxStatus.PENDING).values(
    status=bindparam("b_status"),
    locked_until=None,
    last_reason=bindparam("b_reason"),
    updated_at=bindparam("b_now"),
)


def _back_to_pending(status: OutboxStatus, attempts: Any) -> Any:
    return _owned_update(status).values(
        status=_PENDING,
        available_at=bindparam("b_at"),
        attempts=attempts,
        locked_by=None,
        locked_until=None,
        message_id=None,
        last_reason=bindparam("b_reason"),
        updated_at=bindparam("b_now"),
    )


_DEFER = _back_to_pending(OutboxStatus.PENDING, _o.attempts)
_RETRY = _back_to_pending(OutboxStatus.PENDING, _o.attempts + 1)
_REVERT_SENT = _back_to_pending(OutboxStatus.SENT, _o.attempts)
_PARK_SENT = _owned_update(OutboxStatus.SENT).values(
    status=OutboxStatus.PARKED.value,
    last_reason=bindparam("b_reason"),
    updated_at=bindparam("b_now"),
)
_INSERT_LEDGER = insert(t.deliveries)
_INTERACTION_INSERTS: dict[str, Any] = {}


def _insert_interaction(dialect: str) -> Any:
    found = _INTERACTION_INSERTS.get(dialect)
    if found is None:
        make = postgresql_insert if dialect == "postgresql" else sqlite_insert
        found = (
            make(t.interactions)
            .on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"])
            .returning(t.interactions.c.id)
        )
        _INTERACTION_INSERTS[dialect] = found
    return found


# -- a group's commit, on the raw driver connection ---------------------------------------------
# The commit of a group of emails runs three statements for the whole group (not three per
# message) and sends them straight to the driver: SQLAlchemy's per-statement work (compiling,
# caching, result wrapping) cost more than the statements themselves.  Values go through the
# same bind processors SQLAlchemy would apply (SQLite's datetime strings, JSON), so the rows
# are the ones the Core statements above write.


class SentGroupItem:
    """One message of a group whose content the SMTP server holds, before the commit."""

    __slots__ = ("consent_events", "message_id", "person_id", "reason", "row", "timeline")

    def __init__(
        self,
        row: ClaimedRow,
        *,
        person_id: int,
        consent_events: int,
        message_id: str,
        reason: str,
        timeline: dict[str, Any],
    ) -> None:
        self.row = row
        self.person_id = person_id
        self.consent_events = consent_events
        self.message_id = message_id
        self.reason = clip(reason)
        self.timeline = timeline


class _Binds:
    """The dialect's bind processors for the values a group writes."""

    def __init__(self, dialect: Any) -> None:
        self.postgres = dialect.name == "postgresql"
        stamp = t.deliveries.c.occurred_at.type.dialect_impl(dialect).bind_processor(dialect)
        payload = t.interactions.c.payload.type.dialect_impl(dialect).bind_processor(dialect)
        self.stamp: Callable[[Any], Any] = stamp or _same
        self.json: Callable[[Any], Any] = payload or _same
        self.mark = "%s" if self.postgres else "?"


def _same(value: Any) -> Any:
    return value


_BINDS: dict[str, _Binds] = {}


def _binds(conn: Connection) -> _Binds:
    found = _BINDS.get(conn.dialect.name)
    if found is None:
        found = _BINDS[conn.dialect.name] = _Binds(conn.dialect)
    return found


def _rows_sql(marks: str, n: int) -> str:
    return ", ".join([f"({marks})"] * n)


class GroupRepository:
    """The writes of a group's commit (see :class:`goodwill.worker.commit.GroupCommit`)."""

    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id
        self.binds = _binds(conn)
        self.raw: Any = conn.connection.driver_connection

    def write_sent(
        self,
        worker_id: str,
        items: Sequence[SentGroupItem],
        keys: Sequence[str],
        now: datetime,
    ) -> tuple[set[int], set[str]]:
        """The whole group's writes: mark each row sent (if this worker still owns it and the
        person's consent-event count is unchanged, as
        :meth:`OutboxRepository.mark_sent_if_consent_unchanged`), then for the rows marked the
        ledger entries and the ``message.sent`` interactions (``keys[i]`` is the interaction
        key of ``items[i]``; existing keys are skipped).  Returns (row ids marked, interaction
        keys written).  PostgreSQL does it in one statement (one round trip), SQLite in three."""
        if not self.binds.postgres:
            done = self._mark_sent_sqlite(worker_id, items, now)
            going = [
                (item, key) for item, key in zip(items, keys, strict=True) if item.row.id in done
            ]
            self._record_sent_sqlite([item for item, _key in going], now)
            added = self._add_interactions_sqlite(
                [(key, i.person_id, i.row.channel, i.timeline) for i, key in going], now
            )
            return done, added
        data = json.dumps(
            [
                [
                    i.row.id,
                    i.message_id,
                    i.reason,
                    i.person_id,
                    i.consent_events,
                    i.row.person_id,
                    i.row.idempotency_key,
                    i.row.channel,
                    i.row.attempt,
                    key,
                    i.timeline,
                ]
                for i, key in zip(items, keys, strict=True)
            ]
        )
        params = {
            "data": data,
            "now": now,
            "ws": self.ws,
            "me": worker_id,
            "sent": LedgerStatus.SENT.value,
            "kind": Kind.MESSAGE_SENT.value,
        }
        cursor = self.raw.cursor()
        try:
            cursor.execute(_PG_WRITE_GROUP, params)
            marked: set[int] = set()
            written: set[str] = set()
            for what, value in cursor.fetchall():
                if what == "u":
                    marked.add(int(value))
                else:
                    written.add(str(value))
            return marked, written
        finally:
            cursor.close()

    def _mark_sent_sqlite(
        self, worker_id: str, items: Sequence[SentGroupItem], now: datetime
    ) -> set[int]:
        at = self.binds.stamp(now)
        cursor = self.raw.cursor()
        try:
            marked: set[int] = set()
            for item in items:
                cursor.execute(
                    _SQLITE_MARK_ONE,
                    (
                        item.message_id,
                        item.reason,
                        at,
                        item.row.id,
                        self.ws,
                        worker_id,
                        item.consent_events,
                        item.person_id,
                        self.ws,
                    ),
                )
                if cursor.rowcount == 1:
                    marked.add(item.row.id)
            return marked
        finally:
            cursor.close()

    def _record_sent_sqlite(self, items: Sequence[SentGroupItem], now: datetime) -> None:
        """The ledger entries (``sent``), one multi-row insert."""
        if not items:
            return
        b = self.binds
        at = b.stamp(now)
        params: list[Any] = []
        for item in items:
            row = item.row
            params += [
                self.ws,
                row.id,
                row.person_id,
                row.idempotency_key,
                row.channel,
                LedgerStatus.SENT.value,
                item.reason,
                item.message_id,
                row.attempt,
                at,
            ]
        cursor = self.raw.cursor()
        try:
            marks = ", ".join([b.mark] * 10)
            cursor.execute(_INSERT_LEDGER_ROWS + _rows_sql(marks, len(items)), params)
        finally:
            cursor.close()

    def _add_interactions_sqlite(
        self, rows: Sequence[tuple[str, int, str, dict[str, Any]]], now: datetime
    ) -> set[str]:
        """``message.sent`` interactions ``(key, person_id, channel, payload)`` in one insert,
        skipping keys that exist; returns the keys written."""
        if not rows:
            return set()
        b = self.binds
        at = b.stamp(now)
        params: list[Any] = []
        for key, person_id, channel, payload in rows:
            params += [
                self.ws,
                person_id,
                at,
                Kind.MESSAGE_SENT.value,
                channel,
                "worker",
                "goodwill",
                b.json(payload),
                key,
                at,
            ]
        sql = (
            _INSERT_INTERACTION_ROWS
            + _rows_sql(", ".join([b.mark] * 10), len(rows))
            + " ON CONFLICT (workspace_id, idempotency_key) DO NOTHING"
            + " RETURNING idempotency_key"
        )
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, params)
            return {str(r[0]) for r in cursor.fetchall()}
        finally:
            cursor.close()


# PostgreSQL: the group's values travel as one JSON parameter (an array of arrays) unpacked by
# the server, so the statement text is short and fixed (the driver caches its parsing) and no
# per-value adaptation runs in Python.
_PG_WRITE_GROUP = """
WITH v AS (
    SELECT (r->>0)::bigint AS id, r->>1 AS mid, r->>2 AS reason, (r->>3)::bigint AS person,
           (r->>4)::bigint AS consents, (r->>5)::bigint AS row_person, r->>6 AS okey,
           r->>7 AS channel, (r->>8)::int AS attempt, r->>9 AS tkey, r->10 AS payload
    FROM json_array_elements(%(data)s::json) AS j (r)
), upd AS (
    UPDATE outbox SET status = 'sent', message_id = v.mid, attempts = outbox.attempts + 1,
           locked_until = NULL, last_reason = v.reason, updated_at = %(now)s
    FROM v
    WHERE outbox.id = v.id AND outbox.workspace_id = %(ws)s AND outbox.locked_by = %(me)s
      AND outbox.status = 'pending'
      AND v.consents = (SELECT count(*) FROM consent_events c
                        WHERE c.person_id = v.person AND c.workspace_id + 0 = %(ws)s)
    RETURNING outbox.id
), led AS (
    INSERT INTO deliveries (workspace_id, status, occurred_at, outbox_id, person_id,
                            idempotency_key, channel, reason, message_id, attempt)
    SELECT %(ws)s, %(sent)s, %(now)s, v.id, v.row_person, v.okey, v.channel, v.reason, v.mid,
           v.attempt
    FROM v JOIN upd ON upd.id = v.id
), ins AS (
    INSERT INTO interactions (workspace_id, occurred_at, kind, recorded_at, actor, source,
                              idempotency_key, person_id, channel, payload)
    SELECT %(ws)s, %(now)s, %(kind)s, %(now)s, 'worker', 'goodwill', v.tkey, v.person,
           v.channel, v.payload
    FROM v JOIN upd ON upd.id = v.id
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
    RETURNING idempotency_key
)
SELECT 'u', id::text FROM upd UNION ALL SELECT 'i', idempotency_key FROM ins
"""
_SQLITE_MARK_ONE = (
    "UPDATE outbox SET status = 'sent', message_id = ?, attempts = attempts + 1, "
    "locked_until = NULL, last_reason = ?, updated_at = ? "
    "WHERE id = ? AND workspace_id = ? AND locked_by = ? AND status = 'pending' "
    "AND ? = (SELECT count(*) FROM consent_events "
    "WHERE person_id = ? AND workspace_id + 0 = ?)"
)
_INSERT_LEDGER_ROWS = (
    "INSERT INTO deliveries (workspace_id, outbox_id, person_id, idempotency_key, channel, "
    "status, reason, message_id, attempt, occurred_at) VALUES "
)
_INSERT_INTERACTION_ROWS = (
    "INSERT INTO interactions (workspace_id, person_id, occurred_at, kind, channel, actor, "
    "source, payload, idempotency_key, recorded_at) VALUES "
)
