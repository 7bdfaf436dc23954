"""Use cases of the people context: find a person, build a profile, merge and unmerge.

A merge moves every row that points at the merged-away person ("loser") to the surviving one
("winner"), records exactly which rows moved, fills the winner's blank profile fields, and keeps the
loser as a tombstone (``merged_into_id``).  Unmerge moves exactly those rows back and restores the
winner's fields, so merge followed by unmerge gives back the record as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from goodwill.consent.models import ConsentEvent, current_state
from goodwill.kit.clock import as_utc, utcnow
from goodwill.kit.identity import IdentityError, normalize_email, normalize_phone
from goodwill.people.errors import (
    InvalidPersonReference,
    MergeNotFound,
    MergeRefused,
    PersonNotFound,
)
from goodwill.people.models import (
    FILLABLE_FIELDS,
    PERSON_REFERENCES,
    ConsentLine,
    Fact,
    Identity,
    ImportantDate,
    Link,
    Membership,
    OrderSummary,
    Preferences,
    Profile,
    TimelineEntry,
)
from goodwill.people.repository import PeopleRepository
from goodwill.timeline.models import Kind
from goodwill.workspaces.service import Workspace


def resolve(conn: Connection, workspace: Workspace, reference: str) -> int:
    """A person id from an id, an email, a phone or an external id (``shopify:123``).

    A reference to a merged-away person resolves to the person it was merged into.
    """
    repo = PeopleRepository(conn, workspace)
    ref = reference.strip()
    person_id: int | None = None
    if ref.isdigit():
        person_id = int(ref)
    elif "@" in ref:
        try:
            person_id = repo.find_by_identity("email", normalize_email(ref))
        except IdentityError as exc:
            raise InvalidPersonReference(str(exc)) from None
    elif ":" in ref:
        person_id = repo.find_by_identity(
            "external", ref.lower().split(":", 1)[0] + ":" + ref.split(":", 1)[1]
        )
    else:
        try:
            person_id = repo.find_by_identity("phone", normalize_phone(ref))
        except IdentityError:
            raise InvalidPersonReference(
                f"{reference!r} is not a person id, email, phone or external id (source:id)"
            ) from None
    seen: set[int] = set()
    while person_id is not None:
        row = repo.person_row(person_id)
        if row is None:
            break
        if row.merged_into_id is None:
            return person_id
        seen.add(person_id)
        person_id = int(row.merged_into_id)
        if person_id in seen:
            break
    raise PersonNotFound(f"no person {reference!r} in workspace {workspace.name!r}")


def profile(
    conn: Connection, workspace: Workspace, person_id: int, *, timeline_limit: int = 20
) -> Profile:
    repo = PeopleRepository(conn, workspace)
    row = repo.person_row(person_id)
    if row is None:
        raise PersonNotFound(f"no person {person_id} in workspace {workspace.name!r}")
    prof = Profile(
        id=person_id,
        first_name=row.first_name,
        last_name=row.last_name,
        timezone=row.timezone,
        locale=row.locale,
        owner=row.owner,
        first_seen_at=None if row.first_seen_at is None else as_utc(row.first_seen_at),
    )
    prof.identities = [Identity(r.kind, r.value, r.source) for r in repo.identities(person_id)]
    pref = repo.preferences(person_id)
    if pref is not None:
        prof.preferences = Preferences(
            list(pref.channels or []), pref.max_per_week, list(pref.interests or [])
        )
    prof.facts = [Fact(r.text, r.noted_by, as_utc(r.noted_at)) for r in repo.facts(person_id)]
    prof.dates = [
        ImportantDate(r.kind, r.label, r.month, r.day, r.year, r.recurrence)
        for r in repo.dates(person_id)
    ]
    events = [
        ConsentEvent(
            r.purpose,
            r.channel,
            r.action,
            as_utc(r.occurred_at),
            r.source,
            r.evidence or {},
            r.lawful_basis,
            r.id,
        )
        for r in repo.consent_events(person_id)
    ]
    prof.consent = [
        ConsentLine(s.purpose, s.channel, s.granted, s.since, s.source)
        for s in sorted(current_state(events).values(), key=lambda s: (s.purpose, s.channel))
    ]
    prof.accounts = [
        Membership(int(r[0]), r[1], r[2], bool(r[3]), r[4]) for r in repo.memberships(person_id)
    ]
    prof.links = [
        Link(kind, direction, other, " ".join(p for p in (first, last) if p) or f"person {other}")
        for kind, direction, other, first, last in repo.links(person_id)
    ]
    summary = repo.order_summary(person_id)
    prof.orders = OrderSummary(
        orders=sum(int(r[1]) for r in summary),
        revenue={r[0]: int(r[2] or 0) for r in summary},
        first_order_at=min((as_utc(r[3]) for r in summary if r[3] is not None), default=None),
        last_order_at=max((as_utc(r[4]) for r in summary if r[4] is not None), default=None),
    )
    prof.open_tasks = [
        {
            "id": r.id,
            "title": r.title,
            "due_at": None if r.due_at is None else as_utc(r.due_at),
            "assignee": r.assignee,
        }
        for r in repo.open_tasks(person_id)
    ]
    prof.timeline = [
        TimelineEntry(
            as_utc(r.occurred_at), r.kind, r.channel, r.actor, r.source, dict(r.payload or {})
        )
        for r in repo.timeline(person_id, timeline_limit)
    ]
    return prof


def merge(
    conn: Connection, workspace: Workspace, winner_ref: str, loser_ref: str, *, reason: str = ""
) -> int:
    """Merge ``loser`` into ``winner`` with full history; returns the merge id (for unmerge)."""
    winner = resolve(conn, workspace, winner_ref)
    loser = resolve(conn, workspace, loser_ref)
    if winner == loser:
        raise MergeRefused(
            f"{winner_ref!r} and {loser_ref!r} are already the same person ({winner})"
        )
    repo = PeopleRepository(conn, workspace)
    moved: dict[str, list[int]] = {}
    for table, column in PERSON_REFERENCES:
        ids = repo.movable_ids(table, column, loser, winner)
        if ids:
            repo.move(table, column, ids, winner)
            moved[f"{table}.{column}"] = ids
    win_row = repo.person_row(winner)
    lose_row = repo.person_row(loser)
    assert win_row is not None and lose_row is not None
    before = {f: getattr(win_row, f) for f in (*FILLABLE_FIELDS, "first_seen_at")}
    fill: dict[str, Any] = {
        f: getattr(lose_row, f)
        for f in FILLABLE_FIELDS
        if not getattr(win_row, f) and getattr(lose_row, f)
    }
    firsts = [as_utc(v) for v in (win_row.first_seen_at, lose_row.first_seen_at) if v is not None]
    if firsts and (win_row.first_seen_at is None or min(firsts) < as_utc(win_row.first_seen_at)):
        fill["first_seen_at"] = min(firsts)
    now = utcnow()
    if fill:
        repo.update_person(winner, {**fill, "updated_at": now})
    repo.update_person(loser, {"merged_into_id": winner, "updated_at": now})
    merge_id = repo.insert_merge(
        {
            "winner_id": winner,
            "loser_id": loser,
            "moved": moved,
            "loser_snapshot": {
                "winner_before": {k: _jsonable(v) for k, v in before.items()},
                "filled": sorted(fill),
            },
            "reason": reason,
            "created_at": now,
        }
    )
    repo.insert_interaction(
        {
            "person_id": winner,
            "occurred_at": now,
            "kind": Kind.PERSON_MERGED,
            "payload": {"merge_id": merge_id, "merged_person_id": loser, "reason": reason},
            "source": "goodwill",
            "idempotency_key": f"goodwill:merge:{merge_id}:merged",
            "recorded_at": now,
        }
    )
    return merge_id


def unmerge(conn: Connection, workspace: Workspace, merge_id: int) -> tuple[int, int]:
    """Undo a merge exactly; returns (winner, restored person)."""
    repo = PeopleRepository(conn, workspace)
    row = repo.merge_row(merge_id)
    if row is None:
        raise MergeNotFound(f"no merge {merge_id} in workspace {workspace.name!r}")
    if row.undone_at is not None:
        raise MergeRefused(
            f"merge {merge_id} was already undone at {as_utc(row.undone_at):%Y-%m-%d %H:%M} UTC"
        )
    winner, loser = int(row.winner_id), int(row.loser_id)
    later = repo.later_merge_into(winner, merge_id)
    if later is not None:
        raise MergeRefused(
            f"person {winner} was merged again later (merge {later}); unmerge {later} first"
        )
    for key, ids in dict(row.moved).items():
        table, column = key.split(".", 1)
        repo.move(table, column, [int(i) for i in ids], loser)
    snapshot = dict(row.loser_snapshot)
    before = snapshot.get("winner_before", {})
    restore: dict[str, Any] = {f: before.get(f) for f in snapshot.get("filled", [])}
    if "first_seen_at" in restore and restore["first_seen_at"] is not None:
        restore["first_seen_at"] = _parse_dt(restore["first_seen_at"])
    now = utcnow()
    repo.update_person(winner, {**restore, "updated_at": now})
    repo.update_person(loser, {"merged_into_id": None, "updated_at": now})
    repo.mark_merge_undone(merge_id, now)
    repo.insert_interaction(
        {
            "person_id": winner,
            "occurred_at": now,
            "kind": Kind.PERSON_UNMERGED,
            "payload": {"merge_id": merge_id, "restored_person_id": loser},
            "source": "goodwill",
            "idempotency_key": f"goodwill:merge:{merge_id}:unmerged",
            "recorded_at": now,
        }
    )
    return winner, loser


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _parse_dt(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value))
