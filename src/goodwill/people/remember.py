"""Remembering things about a person: facts, notes and important dates, each on the timeline."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection

from goodwill.errors import InvalidInput
from goodwill.kit.clock import utcnow
from goodwill.people.models import DateKind
from goodwill.people.repository import PeopleRepository
from goodwill.timeline.models import Kind, idempotency_key
from goodwill.timeline.service import append
from goodwill.workspaces.service import Workspace


class InvalidDate(InvalidInput):
    code = "people.invalid_date"


def add_fact(
    conn: Connection,
    ws: Workspace,
    person_id: int,
    text: str,
    *,
    noted_by: str,
    now: datetime | None = None,
) -> int:
    if not text.strip():
        raise InvalidInput("a remembered fact needs some text", code="people.empty_fact")
    when = now or utcnow()
    fact_id = PeopleRepository(conn, ws).insert(
        "facts",
        {
            "person_id": person_id,
            "text": text.strip(),
            "noted_by": noted_by,
            "noted_at": when,
            "source": "staff",
        },
    )
    append(
        conn,
        ws,
        person_id=person_id,
        kind=Kind.NOTE,
        occurred_at=when,
        actor=noted_by,
        key=idempotency_key("goodwill", "fact", fact_id, "noted"),
        payload={"fact": text.strip()},
    )
    return fact_id


def add_note(
    conn: Connection,
    ws: Workspace,
    person_id: int,
    body: str,
    *,
    author: str,
    now: datetime | None = None,
) -> int:
    if not body.strip():
        raise InvalidInput("a note needs some text", code="people.empty_note")
    when = now or utcnow()
    note_id = PeopleRepository(conn, ws).insert(
        "notes",
        {"person_id": person_id, "body": body.strip(), "author": author, "created_at": when},
    )
    append(
        conn,
        ws,
        person_id=person_id,
        kind=Kind.NOTE,
        occurred_at=when,
        actor=author,
        key=idempotency_key("goodwill", "note", note_id, "added"),
        payload={"note": body.strip()[:500]},
    )
    return note_id


def parse_month_day(text: str) -> tuple[int, int, int | None]:
    """``YYYY-MM-DD`` or ``--MM-DD`` / ``MM-DD`` (a birthday known without the year)."""
    raw = text.strip().lstrip("-")
    parts = raw.split("-")
    try:
        if len(parts) == 3:
            d = date(int(parts[0]), int(parts[1]), int(parts[2]))
            return d.month, d.day, d.year
        if len(parts) == 2:
            month, day = int(parts[0]), int(parts[1])
            date(2000, month, day)  # a leap year, so 02-29 is allowed
            return month, day, None
    except ValueError:
        pass
    raise InvalidDate(f"{text!r} is not a date: use YYYY-MM-DD, or MM-DD when the year is unknown")


def add_important_date(
    conn: Connection,
    ws: Workspace,
    person_id: int,
    kind: str,
    when: str,
    *,
    label: str = "",
    recurrence: str = "yearly",
) -> int:
    if kind not in set(DateKind):
        raise InvalidDate(f"unknown kind of date {kind!r}; use one of {', '.join(DateKind)}")
    if recurrence not in ("yearly", "once"):
        raise InvalidDate(f"recurrence must be yearly or once, not {recurrence!r}")
    month, day, year = parse_month_day(when)
    if recurrence == "once" and year is None:
        raise InvalidDate("a one-off date needs its year (YYYY-MM-DD)")
    return PeopleRepository(conn, ws).insert(
        "important_dates",
        {
            "person_id": person_id,
            "kind": kind,
            "label": label,
            "month": month,
            "day": day,
            "year": year,
            "recurrence": recurrence,
        },
    )
