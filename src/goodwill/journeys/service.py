"""Use cases of journeys: publish a definition (a playbook or a file), enable, disable, list,
show, and explain what happened to one person and why.

Publishing rule (ADR 0020): a journey key has numbered versions.  Publishing a definition whose
version already exists with different content is refused ("bump the version"); publishing a
higher version makes it the active one for new enrolments, while running enrolments finish on
the version they started on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import Connection

from goodwill.errors import Conflict, NotFound
from goodwill.journeys.compiled import compile_journey, fingerprint
from goodwill.journeys.definition import (
    DateTrigger,
    EventTrigger,
    JourneyDefinition,
    ScoreTrigger,
    SegmentTrigger,
)
from goodwill.journeys.explain import format_history
from goodwill.journeys.loader import (
    load_definition,
    load_playbook,
    parse_definition,
    playbook_names,
)
from goodwill.journeys.repository import JourneyRepository
from goodwill.journeys.serialization import state_from_dict
from goodwill.kit.clock import as_utc, utcnow
from goodwill.people.service import resolve
from goodwill.workspaces.service import Workspace


class JourneyNotFound(NotFound):
    code = "journeys.not_found"


class VersionConflict(Conflict):
    code = "journeys.version_conflict"


@dataclass
class JourneySummary:
    key: str
    name: str
    source: str  # playbook | published
    enabled: bool
    version: int | None
    counts: dict[str, int] = field(default_factory=dict)
    description: str = ""
    trigger: str = ""


def _definition_dict(definition: JourneyDefinition) -> dict[str, Any]:
    return definition.model_dump(mode="json", exclude_defaults=False)


def publish(
    conn: Connection, ws: Workspace, definition: JourneyDefinition, *, source_text: str = ""
) -> int:
    """Store a validated definition as (key, version); returns the version."""
    compile_journey(definition)  # fail now, not in the worker
    repo = JourneyRepository(conn, ws)
    now = utcnow()
    row = repo.journey_row(definition.key)
    if row is None:
        journey_id = repo.insert_journey(definition.key, definition.name, definition.version, now)
    else:
        journey_id = int(row.id)
    existing = repo.version_row(journey_id, definition.version)
    if existing is not None:
        if fingerprint(parse_definition(existing.definition)) != fingerprint(definition):
            raise VersionConflict(
                f"journey {definition.key!r} version {definition.version} is already published with "
                f"different steps; publish it as version {definition.version + 1} instead"
            )
        return definition.version
    if row is not None and definition.version < int(row.active_version):
        raise VersionConflict(
            f"journey {definition.key!r} is at version {row.active_version}; "
            f"version {definition.version} is older"
        )
    repo.insert_version(
        journey_id, definition.version, _definition_dict(definition), source_text, now
    )
    repo.update_journey(
        journey_id, active_version=definition.version, name=definition.name, updated_at=now
    )
    return definition.version


def publish_text(conn: Connection, ws: Workspace, text: str) -> tuple[str, int]:
    definition = load_definition(text)
    return definition.key, publish(conn, ws, definition, source_text=text)


def set_enabled(conn: Connection, ws: Workspace, key: str, enabled: bool) -> JourneySummary:
    """Enable or disable a journey; enabling a shipped playbook publishes it first."""
    repo = JourneyRepository(conn, ws)
    row = repo.journey_row(key)
    if row is None:
        if key not in playbook_names():
            raise JourneyNotFound(unknown_journey(key))
        definition = load_playbook(key)
        publish(conn, ws, definition, source_text=yaml.safe_dump(_definition_dict(definition)))
        row = repo.journey_row(key)
        assert row is not None
    now = utcnow()
    repo.update_journey(int(row.id), enabled=enabled, updated_at=now)
    if enabled and repo.cursor() is None:
        # Journeys act on what happens from now on, never on history already in the store.
        repo.save_cursor(now, last_interaction_id=repo.max_interaction_id(), last_score_run_id=0)
    return next(s for s in list_journeys(conn, ws) if s.key == key)


def unknown_journey(key: str) -> str:
    return f"no journey {key!r}; playbooks ready to enable: {', '.join(playbook_names())}"


def list_journeys(conn: Connection, ws: Workspace) -> list[JourneySummary]:
    repo = JourneyRepository(conn, ws)
    counts = repo.enrolment_counts()
    out: dict[str, JourneySummary] = {}
    for name in playbook_names():
        book = load_playbook(name)
        out[name] = JourneySummary(
            book.key,
            book.name,
            "playbook",
            False,
            None,
            {},
            book.description.strip(),
            _trigger(book),
        )
    for row in repo.journey_rows():
        version = repo.version_row(int(row.id), int(row.active_version))
        d = parse_definition(version.definition) if version is not None else None
        out[row.key] = JourneySummary(
            key=row.key,
            name=row.name,
            source="published",
            enabled=bool(row.enabled),
            version=int(row.active_version),
            counts={status: n for (jid, status), n in counts.items() if jid == int(row.id)},
            description=(d.description.strip() if d else ""),
            trigger=_trigger(d) if d else "",
        )
    return sorted(out.values(), key=lambda s: s.key)


def _trigger(definition: JourneyDefinition) -> str:
    """A short human description of what starts the journey."""
    trig = definition.trigger
    if isinstance(trig, EventTrigger):
        return trig.event + (" (with a condition)" if trig.where is not None else "")
    if isinstance(trig, ScoreTrigger):
        return "a score crossing a threshold"
    if isinstance(trig, SegmentTrigger):
        return f"entering segment {trig.segment}"
    if isinstance(trig, DateTrigger):
        days = trig.offset.days
        when = "on" if days == 0 else (f"{-days} days before" if days < 0 else f"{days} days after")
        return f"{when} the {trig.date}"
    return "started by hand"


def show(conn: Connection, ws: Workspace, key: str) -> tuple[JourneySummary, dict[str, Any]]:
    summary = next((s for s in list_journeys(conn, ws) if s.key == key), None)
    if summary is None:
        raise JourneyNotFound(unknown_journey(key))
    if summary.source == "playbook":
        return summary, _definition_dict(load_playbook(key))
    repo = JourneyRepository(conn, ws)
    row = repo.journey_row(key)
    assert row is not None
    version = repo.version_row(int(row.id), int(row.active_version))
    assert version is not None
    return summary, dict(version.definition)


def explain(conn: Connection, ws: Workspace, person_ref: str, key: str) -> list[str]:
    """Every step for that person in that journey, with what happened and why, and what the
    dispatcher did with each message (sent, deferred, suppressed ... with its reason)."""
    person_id = resolve(conn, ws, person_ref)
    repo = JourneyRepository(conn, ws)
    row = repo.journey_row(key)
    if row is None:
        raise JourneyNotFound(unknown_journey(key))
    enrolments = repo.enrolment_rows(person_id, int(row.id))
    if not enrolments:
        return [f"person {person_id} has never entered {key}"]
    outbox = repo.outbox_for_enrolments([int(e.id) for e in enrolments])
    ledger: dict[int, list[Any]] = {}
    for d in repo.deliveries_for_outbox([int(o.id) for o in outbox]) if outbox else []:
        ledger.setdefault(int(d.outbox_id), []).append(d)
    lines: list[str] = []
    for e in enrolments:
        lines.extend(format_history(state_from_dict(dict(e.state))))
        for o in (o for o in outbox if int(o.enrolment_id) == int(e.id)):
            step = (
                str(o.idempotency_key).split(":")[1]
                if ":" in str(o.idempotency_key)
                else o.idempotency_key
            )
            lines.append(f"  {o.action} ({o.channel}) at step {step}: {o.status}")
            for d in ledger.get(int(o.id), []):
                reason = f": {d.reason}" if d.reason else ""
                lines.append(f"    {as_utc(d.occurred_at):%Y-%m-%d %H:%M} UTC  {d.status}{reason}")
            if o.status == "pending" and not ledger.get(int(o.id)):
                lines.append(
                    f"    waiting for the dispatcher (due {as_utc(o.available_at):%Y-%m-%d %H:%M} UTC)"
                )
        lines.append("")
    return lines[:-1]
