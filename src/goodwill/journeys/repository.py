"""All queries of the journeys context: published versions, enrolments, outbox writes, and the
reads the scheduler needs (new interactions, person snapshots for the engine)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from goodwill.db import tables as t
from goodwill.db.bulk import allocate_ids, insert_rows, update_rows
from goodwill.workspaces.service import Workspace

_IN = 500  # ids per IN (...) list, well under SQLite's variable limit


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _IN):
        yield ids[start : start + _IN]


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
        if self.conn.dialect.name == "postgresql":
            for name in tables:
                self.conn.execute(text(f'ANALYZE "{t.metadata.tables[name].name}"'))

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
        for chunk in _chunks(list(order_ids)):
            for r in self.conn.execute(
                select(o.id, o.external_id, index, opinion).where(
                    o.workspace_id == self.ws, o.id.in_(chunk)
                )
            ):
                out[int(r[0])] = (str(r[1]), int(r[2]), None if r[3] is None else int(r[3]))
        return out

    # -- person snapshots for the engine ---------------------------------------------------------
    def persons(self, ids: Sequence[int]) -> list[Any]:
        p = t.persons.c
        rows: list[Any] = []
        for chunk in _chunks(list(ids)):
            rows.extend(
                self.conn.execute(
                    select(
                        p.id, p.first_name, p.last_name, p.timezone, p.locale, p.owner, p.tags
                    ).where(p.workspace_id == self.ws, p.id.in_(chunk), p.merged_into_id.is_(None))
                )
            )
        return rows

    def latest_scores(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """The latest run's currency and its snapshots of ``ids``."""
        s, r = t.score_snapshots.c, t.score_runs.c
        latest = self.conn.execute(
            select(r.id, r.currency)
            .where(r.workspace_id == self.ws)
            .order_by(r.as_of.desc())
            .limit(1)
        ).first()
        if latest is None:
            return "USD", []
        run = latest.id
        rows: list[Any] = []
        for chunk in _chunks(list(ids)):
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
                    ).where(s.run_id == run, s.person_id.in_(chunk))
                )
            )
        return str(latest.currency), rows

    def accounts_of(self, ids: Sequence[int]) -> list[Any]:
        m, a = t.memberships.c, t.accounts.c
        rows: list[Any] = []
        for chunk in _chunks(list(ids)):
            rows.extend(
                self.conn.execute(
                    select(m.person_id, a.id, a.owner)
                    .join_from(t.memberships, t.accounts, m.account_id == a.id)
                    .where(m.workspace_id == self.ws, m.active.is_(True), m.person_id.in_(chunk))
                    .order_by(m.person_id, a.id)
                )
            )
        return rows

    def dates_of(self, ids: Sequence[int]) -> list[Any]:
        d = t.important_dates.c
        rows: list[Any] = []
        for chunk in _chunks(list(ids)):
            rows.extend(
                self.conn.execute(
                    select(
                        d.person_id, d.kind, d.month, d.day, d.year, d.label, d.recurrence
                    ).where(d.workspace_id == self.ws, d.person_id.in_(chunk))
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
        for chunk in _chunks(list(person_ids)):
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
                        e.person_id.in_(chunk),
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

    def insert_enrolments(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            cols = ["workspace_id", *rows[0]]
            insert_rows(self.conn, t.enrolments, cols, ([self.ws, *r.values()] for r in rows))

    def update_enrolments(self, rows: list[dict[str, Any]]) -> None:
        """Rows with ``id``, ``status``, ``state``, ``wake_at``, ``ended_at``."""
        cols = ["status", "state", "wake_at", "ended_at"]
        update_rows(self.conn, t.enrolments, cols, ([r[c] for c in cols] + [r["id"]] for r in rows))

    def insert_outbox(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows; keys are unique per workspace and the scheduler holds the workspace lock,
        so a key is only ever written by the pass that derived it."""
        if rows:
            cols = ["workspace_id", *rows[0]]
            insert_rows(self.conn, t.outbox, cols, ([self.ws, *r.values()] for r in rows))

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
        for chunk in _chunks(people):
            orders.extend(
                self.conn.execute(
                    select(
                        o.person_id, o.placed_at, o.total_minor - o.refunded_minor, o.currency
                    ).where(
                        o.workspace_id == self.ws,
                        o.person_id.in_(chunk),
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
