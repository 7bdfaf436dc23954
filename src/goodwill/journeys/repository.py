"""All queries of the journeys context: published versions, enrolments, outbox writes, and the
reads the scheduler needs (new interactions, person snapshots for the engine)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    insert,
    select,
    text,
    update,
)

from goodwill.db import tables as t
from goodwill.db.bulk import (
    allocate_ids,
    analyze,
    copy_ts,
    sqlite_chunks,
    sqlite_insert_values,
    sqlite_ts,
)
from goodwill.db.where import among
from goodwill.workspaces.service import Workspace


class JourneyRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    # -- definitions ---------------------------------------------------------------------------
    def journey_row(self, key: str) -> Any | None:
        j = t.journeys.c
        return self.conn.execute(
            select(t.journeys).where(j.workspace_id == self.ws, j.key == key)
        ).first()

    def journey_rows(self) -> list[Any]:
        j = t.journeys.c
        return list(
            self.conn.execute(select(t.journeys).where(j.workspace_id == self.ws).order_by(j.key))
        )

    def insert_journey(self, key: str, name: str, version: int, now: datetime) -> int:
        result = self.conn.execute(
            insert(t.journeys).values(
                workspace_id=self.ws,
                key=key,
                name=name,
                enabled=False,
                active_version=version,
                updated_at=now,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def update_journey(self, journey_id: int, **values: Any) -> None:
        j = t.journeys.c
        self.conn.execute(
            update(t.journeys).where(j.workspace_id == self.ws, j.id == journey_id).values(**values)
        )

    def version_row(self, journey_id: int, version: int) -> Any | None:
        v = t.journey_versions.c
        return self.conn.execute(
            select(t.journey_versions).where(
                v.workspace_id == self.ws, v.journey_id == journey_id, v.version == version
            )
        ).first()

    def versions_in_use(self) -> list[Any]:
        """Every (journey, version) definition that is active or has active enrolments."""
        j, v, e = t.journeys.c, t.journey_versions.c, t.enrolments.c
        in_flight = (
            select(e.journey_id, e.version)
            .where(e.workspace_id == self.ws, e.status == "active")
            .distinct()
            .subquery()
        )
        active = select(j.id, j.active_version).where(
            j.workspace_id == self.ws, j.enabled.is_(True)
        )
        pairs = {(int(r[0]), int(r[1])) for r in self.conn.execute(active)}
        pairs |= {(int(r[0]), int(r[1])) for r in self.conn.execute(select(in_flight))}
        out = []
        for journey_id, version in sorted(pairs):
            row = self.conn.execute(
                select(v.journey_id, v.version, v.definition).where(
                    v.workspace_id == self.ws, v.journey_id == journey_id, v.version == version
                )
            ).first()
            if row is not None:
                out.append(row)
        return out

    def insert_version(
        self, journey_id: int, version: int, definition: dict[str, Any], source: str, now: datetime
    ) -> None:
        self.conn.execute(
            insert(t.journey_versions).values(
                workspace_id=self.ws,
                journey_id=journey_id,
                version=version,
                definition=definition,
                source_text=source,
                published_at=now,
            )
        )

    def enrolment_counts(self) -> dict[tuple[int, str], int]:
        e = t.enrolments.c
        rows = self.conn.execute(
            select(e.journey_id, e.status, func.count())
            .where(e.workspace_id == self.ws)
            .group_by(e.journey_id, e.status)
        )
        return {(int(r[0]), str(r[1])): int(r[2]) for r in rows}

    # -- scheduler cursor ----------------------------------------------------------------------
    def lock_scheduler(self) -> bool:
        """One scheduler per workspace at a time (PostgreSQL advisory lock; SQLite's write lock
        already serialises).  Held until the transaction ends."""
        if self.conn.dialect.name != "postgresql":
            return True
        got = self.conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": 7_000_000 + self.ws}
        ).scalar()
        return bool(got)

    def refresh_statistics(self, *tables: str) -> None:
        """PostgreSQL: ANALYZE tables a burst has grown, so the planner keeps using the indexes
        (a stale row estimate turns the cursor and person lookups into scans; quadratic in a
        large pass).  SQLite's planner does not need it here."""
        analyze(self.conn, tables)

    def cursor(self) -> Any | None:
        c = t.journey_cursors.c
        return self.conn.execute(select(t.journey_cursors).where(c.workspace_id == self.ws)).first()

    def save_cursor(self, now: datetime, **values: Any) -> None:
        c = t.journey_cursors.c
        if self.cursor() is None:
            self.conn.execute(
                insert(t.journey_cursors).values(workspace_id=self.ws, updated_at=now, **values)
            )
        else:
            self.conn.execute(
                update(t.journey_cursors)
                .where(c.workspace_id == self.ws)
                .values(updated_at=now, **values)
            )

    # -- events --------------------------------------------------------------------------------
    def interactions_after(self, last_id: int, limit: int) -> list[Any]:
        i = t.interactions.c
        return list(
            self.conn.execute(
                select(i.id, i.person_id, i.kind, i.occurred_at, i.payload, i.order_id)
                .where(i.workspace_id == self.ws, i.id > last_id)
                .order_by(i.id)
                .limit(limit)
            )
        )

    def max_interaction_id(self) -> int:
        i = t.interactions.c
        return int(
            self.conn.execute(
                select(func.coalesce(func.max(i.id), 0)).where(i.workspace_id == self.ws)
            ).scalar_one()
        )

    def order_facts(self, order_ids: Sequence[int]) -> dict[int, tuple[str, int, int | None]]:
        """order id -> (external id, index among the person's orders, max days_to_opinion)."""
        o, ln, p = t.orders.c, t.order_lines.c, t.products.c
        earlier = t.orders.alias("earlier")
        index = (
            select(func.count())
            .where(
                earlier.c.workspace_id == self.ws,
                earlier.c.person_id == o.person_id,
                earlier.c.status != "cancelled",
                earlier.c.placed_at <= o.placed_at,
            )
            .scalar_subquery()
        )
        opinion = (
            select(func.max(p.days_to_opinion))
            .select_from(t.order_lines.join(t.products, ln.product_id == p.id))
            .where(ln.order_id == o.id)
            .scalar_subquery()
        )
        out: dict[int, tuple[str, int, int | None]] = {}
        for among_ in among(self.conn, o.id, order_ids):
            for r in self.conn.execute(
                select(o.id, o.external_id, index, opinion).where(o.workspace_id == self.ws, among_)
            ):
                out[int(r[0])] = (str(r[1]), int(r[2]), None if r[3] is None else int(r[3]))
        return out

    # -- person snapshots for the engine ---------------------------------------------------------
    def persons(self, ids: Sequence[int]) -> list[Any]:
        p = t.persons.c
        rows: list[Any] = []
        for among_ in among(self.conn, p.id, ids):
            rows.extend(
                self.conn.execute(
                    select(
                        p.id, p.first_name, p.last_name, p.timezone, p.locale, p.owner, p.tags
                    ).where(p.workspace_id == self.ws, among_, p.merged_into_id.is_(None))
                )
            )
        return rows

    def latest_scores(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """The latest run's currency and its snapshots of ``ids``."""
        s = t.score_snapshots.c
        runs = self.latest_score_runs(1)  # the same run the score events come from
        if not runs:
            return "USD", []
        latest = runs[0]
        run = latest.id
        rows: list[Any] = []
        for among_ in among(self.conn, s.person_id, ids):
            rows.extend(
                self.conn.execute(
                    select(
                        s.person_id,
                        s.p_alive,
                        s.clv_minor,
                        s.clv_percentile,
                        s.health,
                        s.segment,
                        s.nps_last,
                    ).where(s.run_id == run, among_)
                )
            )
        return str(latest.currency), rows

    def accounts_of(self, ids: Sequence[int]) -> list[Any]:
        m, a = t.memberships.c, t.accounts.c
        rows: list[Any] = []
        for among_ in among(self.conn, m.person_id, ids):
            rows.extend(
                self.conn.execute(
                    select(m.person_id, a.id, a.owner)
                    .join_from(t.memberships, t.accounts, m.account_id == a.id)
                    .where(m.workspace_id == self.ws, m.active.is_(True), among_)
                    .order_by(m.person_id, a.id)
                )
            )
        return rows

    def dates_of(self, ids: Sequence[int]) -> list[Any]:
        d = t.important_dates.c
        rows: list[Any] = []
        for among_ in among(self.conn, d.person_id, ids):
            rows.extend(
                self.conn.execute(
                    select(
                        d.person_id, d.kind, d.month, d.day, d.year, d.label, d.recurrence
                    ).where(d.workspace_id == self.ws, among_)
                )
            )
        return rows

    def persons_with_dates(self, kinds: Sequence[str]) -> list[int]:
        d = t.important_dates.c
        return [
            int(r[0])
            for r in self.conn.execute(
                select(d.person_id)
                .where(d.workspace_id == self.ws, d.kind.in_(list(kinds)))
                .distinct()
            )
        ]

    # -- enrolments ----------------------------------------------------------------------------
    def enrolments_of(self, person_ids: Sequence[int], journey_ids: Sequence[int]) -> list[Any]:
        e = t.enrolments.c
        rows: list[Any] = []
        for among_ in among(self.conn, e.person_id, person_ids):
            rows.extend(
                self.conn.execute(
                    select(
                        e.id,
                        e.journey_id,
                        e.version,
                        e.person_id,
                        e.status,
                        e.trigger_key,
                        e.entered_at,
                        e.state,
                    ).where(
                        e.workspace_id == self.ws,
                        among_,
                        e.journey_id.in_(list(journey_ids)),
                    )
                )
            )
        return rows

    def due_enrolments(self, now: datetime, limit: int, after_id: int) -> list[Any]:
        e = t.enrolments.c
        return list(
            self.conn.execute(
                select(e.id, e.journey_id, e.version, e.person_id, e.state)
                .where(
                    e.workspace_id == self.ws,
                    e.status == "active",
                    e.wake_at <= now,
                    e.id > after_id,
                )
                .order_by(e.id)
                .limit(limit)
            )
        )

    def new_enrolment_ids(self, count: int) -> list[int]:
        return allocate_ids(self.conn, t.enrolments, count)

    def insert_enrolments(self, rows: list[tuple[Any, ...]]) -> None:
        """New enrolments as tuples in :data:`ENROLMENT_COLUMNS` order: instants timezone-aware,
        ``state`` already JSON text (see :func:`goodwill.journeys.serialization.json_text`)."""
        if rows:
            _write(self.conn, "enrolments", ENROLMENT_COLUMNS, ENROLMENT_KINDS, self.ws, rows)

    def update_enrolments(self, rows: list[tuple[Any, ...]]) -> None:
        """``(id, status, state JSON text, wake_at, ended_at)`` per enrolment, through the
        driver's executemany (a pipeline on PostgreSQL)."""
        if not rows:
            return
        raw: Any = self.conn.connection.dbapi_connection
        postgres = self.conn.dialect.name == "postgresql"
        ts = _pg_ts if postgres else sqlite_ts
        mark = "%s" if postgres else "?"
        sql = (
            f"UPDATE enrolments SET status = {mark}, state = {mark}, wake_at = {mark}, "
            f"ended_at = {mark} WHERE id = {mark} AND workspace_id = {mark}"
        )
        ws = self.ws
        if not postgres and SQLITE_MANY_ROWS:
            changes = [
                (ident, status, state, ts(wake), ts(ended))
                for ident, status, state, wake, ended in rows
            ]
            for chunk, marks in sqlite_chunks(raw, changes, 5):
                raw.execute(
                    "UPDATE enrolments SET status = u.column2, state = u.column3, "
                    f"wake_at = u.column4, ended_at = u.column5 FROM (VALUES {marks}) AS u "
                    "WHERE enrolments.id = u.column1 AND enrolments.workspace_id = ?",
                    [*chunk, ws],
                )
            return
        data = [
            (status, state, ts(wake), ts(ended), ident, ws)
            for ident, status, state, wake, ended in rows
        ]
        cur = raw.cursor()
        try:
            cur.executemany(sql, data)
        finally:
            cur.close()

    def insert_outbox(self, rows: list[tuple[Any, ...]]) -> None:
        """Outbox rows as tuples in :data:`OUTBOX_COLUMNS` order (``payload`` already JSON text);
        keys are unique per workspace and the scheduler holds the workspace lock, so a key is
        only ever written by the pass that derived it."""
        if rows:
            _write(self.conn, "outbox", OUTBOX_COLUMNS, OUTBOX_KINDS, self.ws, rows)

    def enrolment_rows(self, person_id: int, journey_id: int) -> list[Any]:
        e = t.enrolments.c
        return list(
            self.conn.execute(
                select(t.enrolments)
                .where(
                    e.workspace_id == self.ws, e.person_id == person_id, e.journey_id == journey_id
                )
                .order_by(e.entered_at, e.id)
            )
        )

    def outbox_for_enrolments(self, enrolment_ids: Sequence[int]) -> list[Any]:
        o = t.outbox.c
        return list(
            self.conn.execute(
                select(
                    o.id,
                    o.enrolment_id,
                    o.idempotency_key,
                    o.action,
                    o.channel,
                    o.status,
                    o.last_reason,
                    o.available_at,
                    o.message_id,
                )
                .where(o.workspace_id == self.ws, o.enrolment_id.in_(list(enrolment_ids)))
                .order_by(o.id)
            )
        )

    def deliveries_for_outbox(self, outbox_ids: Sequence[int]) -> list[Any]:
        d = t.deliveries.c
        return list(
            self.conn.execute(
                select(d.outbox_id, d.status, d.reason, d.occurred_at, d.attempt, d.message_id)
                .where(d.workspace_id == self.ws, d.outbox_id.in_(list(outbox_ids)))
                .order_by(d.occurred_at, d.id)
            )
        )

    def uplift_inputs(self, journey_id: int) -> tuple[list[Any], list[Any]]:
        """Enrolments of a journey (person, entry, holdout) and their people's orders since."""
        e, o = t.enrolments.c, t.orders.c
        enrolled = list(
            self.conn.execute(
                select(e.person_id, e.entered_at, e.holdout).where(
                    e.workspace_id == self.ws, e.journey_id == journey_id
                )
            )
        )
        if not enrolled:
            return [], []
        since = min(r.entered_at for r in enrolled)
        people = sorted({int(r.person_id) for r in enrolled})
        orders: list[Any] = []
        for among_ in among(self.conn, o.person_id, people):
            orders.extend(
                self.conn.execute(
                    select(
                        o.person_id, o.placed_at, o.total_minor - o.refunded_minor, o.currency
                    ).where(
                        o.workspace_id == self.ws,
                        among_,
                        o.status != "cancelled",
                        o.placed_at > since,
                    )
                )
            )
        return enrolled, orders

    def latest_score_runs(self, limit: int = 2) -> list[Any]:
        r = t.score_runs.c
        return list(
            self.conn.execute(
                select(r.id, r.as_of, r.currency)
                .where(r.workspace_id == self.ws)
                .order_by(r.as_of.desc(), r.id.desc())
                .limit(limit)
            )
        )

    def run_snapshots(self, run_id: int) -> list[Any]:
        s = t.score_snapshots.c
        return list(
            self.conn.execute(
                select(
                    s.person_id, s.p_alive, s.clv_minor, s.clv_percentile, s.health, s.segment
                ).where(s.workspace_id == self.ws, s.run_id == run_id)
            )
        )


# -- raw writes for the scheduler's hot path ---------------------------------------------------
# The scheduler writes every enrolment and intent of a batch at once.  These paths store exactly
# what SQLAlchemy stores through the table definitions (UTC timestamps, JSON text, 0/1 booleans
# on SQLite), so the rows read back identically; JSON arrives already encoded.  Column kinds:
# i integer, s text, b boolean, j JSON text, t timestamp (timezone-aware or None).

ENROLMENT_COLUMNS = (
    "id",
    "journey_id",
    "version",
    "person_id",
    "status",
    "holdout",
    "trigger_key",
    "state",
    "wake_at",
    "entered_at",
    "ended_at",
)
ENROLMENT_KINDS = "iiiisbsjttt"
OUTBOX_COLUMNS = (
    "enrolment_id",
    "person_id",
    "idempotency_key",
    "action",
    "channel",
    "purpose",
    "priority",
    "payload",
    "status",
    "available_at",
    "attempts",
    "last_reason",
    "created_at",
    "updated_at",
)
OUTBOX_KINDS = "iissssijstistt"
assert len(ENROLMENT_KINDS) == len(ENROLMENT_COLUMNS) and len(OUTBOX_KINDS) == len(OUTBOX_COLUMNS)
_COPY_CHUNK = 5000
#: SQLite 3.33+ has ``UPDATE ... FROM``: enrolment updates, like inserts, then go in a few
#: statements of many rows each.  The driver releases the interpreter lock while SQLite runs a
#: statement (executemany takes it back on every row), so a writer thread really runs in
#: parallel only then.
SQLITE_MANY_ROWS = sqlite3.sqlite_version_info >= (3, 33, 0)


def _pg_ts(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _copy_str(value: str | None) -> str:
    """A text value in COPY's text format (backslash escapes; ``\\N`` is NULL)."""
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _copy_json(value: str | None) -> str:
    """JSON text has no raw tab, newline or carriage return (JSON escapes them), only
    backslashes to double."""
    if value is None:
        return "\\N"
    return value.replace("\\", "\\\\") if "\\" in value else value


def _copy_int(value: int | None) -> str:
    return "\\N" if value is None else str(int(value))


def _copy_bool(value: bool | None) -> str:
    return "\\N" if value is None else ("t" if value else "f")


_COPY: dict[str, Callable[[Any], str]] = {
    "i": _copy_int,
    "s": _copy_str,
    "b": _copy_bool,
    "j": _copy_json,
    "t": copy_ts,
}


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else (1 if value else 0)


Ts = Callable[[datetime | None], Any]


def _write(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    kinds: str,
    workspace_id: int,
    rows: list[tuple[Any, ...]],
) -> None:
    """Insert ``rows`` (plus ``workspace_id``) with COPY on PostgreSQL, multi-row ``INSERT`` on
    SQLite (:func:`goodwill.db.bulk.sqlite_insert_values`).

    Timestamps are formatted once per distinct object in the call (the batch's ``now`` is one
    object on every row), keyed by identity so equal instants with other offsets stay apart.
    """
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    col_sql = ", ".join(f'"{c}"' for c in ("workspace_id", *columns))
    memo: dict[int, Any] = {}
    postgres = conn.dialect.name == "postgresql"
    to_text = copy_ts if postgres else sqlite_ts

    def ts(value: datetime | None) -> Any:
        key = id(value)
        text = memo.get(key)
        if text is None:
            text = memo[key] = to_text(value)
        return text

    if postgres:
        ws = str(int(workspace_id))
        make = COPY_LINES.get(table)
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({col_sql}) FROM STDIN') as copy:
            for start in range(0, len(rows), _COPY_CHUNK):
                chunk = rows[start : start + _COPY_CHUNK]
                lines = make(ws, chunk, ts) if make else generic_copy_lines(kinds, ws, chunk, ts)
                lines.append("")
                copy.write("\n".join(lines))
        return

    make_rows = SQLITE_ROWS.get(table)
    if make_rows is not None:
        data = make_rows(workspace_id, rows, ts)
    else:
        data = generic_sqlite_rows(kinds, workspace_id, rows, ts)
    # as many rows per statement as SQLite takes: the writer thread runs while SQLite does
    sqlite_insert_values(raw, table, ("workspace_id", *columns), data, most=None)


def generic_copy_lines(kinds: str, ws: str, rows: list[tuple[Any, ...]], ts: Ts) -> list[str]:
    """COPY text lines for ``rows`` (column kinds as in :data:`OUTBOX_KINDS`)."""
    convert: list[Callable[[Any], Any]] = [ts if k == "t" else _COPY[k] for k in kinds]
    return ["\t".join([ws, *[f(v) for f, v in zip(convert, row, strict=True)]]) for row in rows]


def generic_sqlite_rows(
    kinds: str, ws: int, rows: list[tuple[Any, ...]], ts: Ts
) -> list[tuple[Any, ...]]:
    """Driver parameters for ``rows`` on SQLite (column kinds as in :data:`OUTBOX_KINDS`)."""
    special: dict[int, Callable[[Any], Any]] = {
        i: (ts if k == "t" else _sqlite_bool) for i, k in enumerate(kinds) if k in "tb"
    }
    return [
        (ws, *[special[i](v) if i in special else v for i, v in enumerate(row)]) for row in rows
    ]


# The two hot tables spelled out (one comprehension per batch instead of a loop per value); the
# generic loop above is the reference, and a test checks both give the same rows.
def _sqlite_outbox(ws: int, rows: list[tuple[Any, ...]], ts: Ts) -> list[tuple[Any, ...]]:
    return [
        (ws, e, p, key, act, ch, pur, pri, pay, st, ts(av), att, why, ts(cr), ts(up))
        for e, p, key, act, ch, pur, pri, pay, st, av, att, why, cr, up in rows
    ]


def _sqlite_enrolments(ws: int, rows: list[tuple[Any, ...]], ts: Ts) -> list[tuple[Any, ...]]:
    return [
        (
            ws,
            i,
            j,
            v,
            p,
            st,
            None if h is None else int(bool(h)),
            key,
            state,
            ts(wk),
            ts(en),
            ts(ed),
        )
        for i, j, v, p, st, h, key, state, wk, en, ed in rows
    ]


def _copy_outbox(ws: str, rows: list[tuple[Any, ...]], ts: Ts) -> list[str]:
    s, n, js = _copy_str, _copy_int, _copy_json
    return [
        f"{ws}\t{n(e)}\t{n(p)}\t{s(key)}\t{s(act)}\t{s(ch)}\t{s(pur)}\t{n(pri)}\t{js(pay)}"
        f"\t{s(st)}\t{ts(av)}\t{n(att)}\t{s(why)}\t{ts(cr)}\t{ts(up)}"
        for e, p, key, act, ch, pur, pri, pay, st, av, att, why, cr, up in rows
    ]


def _copy_enrolments(ws: str, rows: list[tuple[Any, ...]], ts: Ts) -> list[str]:
    s, n, js, b = _copy_str, _copy_int, _copy_json, _copy_bool
    return [
        f"{ws}\t{n(i)}\t{n(j)}\t{n(v)}\t{n(p)}\t{s(st)}\t{b(h)}\t{s(key)}\t{js(state)}"
        f"\t{ts(wk)}\t{ts(en)}\t{ts(ed)}"
        for i, j, v, p, st, h, key, state, wk, en, ed in rows
    ]


SQLITE_ROWS: dict[str, Callable[[int, list[tuple[Any, ...]], Ts], list[tuple[Any, ...]]]] = {
    "outbox": _sqlite_outbox,
    "enrolments": _sqlite_enrolments,
}
COPY_LINES: dict[str, Callable[[str, list[tuple[Any, ...]], Ts], list[str]]] = {
    "outbox": _copy_outbox,
    "enrolments": _copy_enrolments,
}
