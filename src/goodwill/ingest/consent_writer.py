"""Consent statements found in a file, appended to the ledger only when they change something.

A statement ("Accepts Marketing: yes" on an order, "Accepts SMS Marketing: no" on a customer) is
compared with the person's current state for that purpose and channel, derived from the ledger
(:func:`goodwill.consent.models.current_state`).  It is appended only if it changes that state:
there is no state yet, or it says the opposite and is newer than the state.  When two statements
about the same moment disagree (two exports of one order), the withdrawal stands: consent must be
unambiguous.  So re-importing a file appends nothing, importing exports in any order gives the
same state, and an old export never overrides a newer unsubscribe.  Each appended
event carries the file as evidence (name, SHA-256, line, column) and gets a
``consent.granted``/``consent.withdrawn`` interaction keyed ``<source>:consent:<event id>:<kind>``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goodwill.consent.models import ConsentAction, ConsentEvent, ConsentState, current_state
from goodwill.db import tables as t
from goodwill.ingest.models import SourceFile
from goodwill.ingest.repository import IngestRepository
from goodwill.ingest.tally import RunTally
from goodwill.timeline.models import Kind, idempotency_key

EVENT_COLUMNS = (
    "id", "workspace_id", "person_id", "purpose", "channel", "action", "lawful_basis", "source",
    "evidence", "occurred_at", "recorded_at",
)  # fmt: skip
INTERACTION_COLUMNS = (
    "workspace_id", "person_id", "occurred_at", "kind", "channel", "actor", "payload", "source",
    "idempotency_key", "recorded_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Statement:
    person_id: int
    purpose: str
    channel: str
    grant: bool
    at: datetime
    line: int
    column: str


def changes_state(state: ConsentState | None, grant: bool, at: datetime) -> bool:
    """Would appending this statement change the derived state?  On a tie a withdrawal wins."""
    if state is None:
        return True
    if state.granted == grant:
        return False
    return at > state.since or (at == state.since and not grant)


def write_statements(
    repo: IngestRepository,
    tally: RunTally,
    statements: list[Statement],
    *,
    new_people: set[int],
    file: SourceFile,
    source: str,
    now: datetime,
) -> None:
    if not statements:
        return
    states: dict[tuple[int, str, str], ConsentState] = {}
    pairs = {(s.purpose, s.channel) for s in statements}
    known = sorted({s.person_id for s in statements if s.person_id not in new_people})
    for purpose, channel in sorted(pairs):
        ledger: dict[int, list[ConsentEvent]] = defaultdict(list)
        for pid, action, at, eid in repo.consent_events(known, purpose, channel):
            ledger[pid].append(ConsentEvent(purpose, channel, action, at, "", id=eid))
        for pid, events in ledger.items():
            folded = current_state(events).get((purpose, channel))
            if folded is not None:
                states[(pid, purpose, channel)] = folded
    appended: list[Statement] = []
    for s in statements:
        key = (s.person_id, s.purpose, s.channel)
        if changes_state(states.get(key), s.grant, s.at):
            states[key] = ConsentState(s.purpose, s.channel, s.grant, s.at, source, {})
            appended.append(s)
    tally.counts["consent_events"].created += len(appended)
    tally.counts["consent_events"].unchanged += len(statements) - len(appended)
    if not appended:
        return
    ids = repo.allocate(t.consent_events, len(appended))
    ts, recorded, dumps = repo.ts, repo.ts(now), repo.json
    # the JSON texts are what repo.json would write, built from pieces that repeat
    evidence_head = dumps({"file": file.name, "sha256": file.sha256})[:-1] + ',"line":'
    columns: dict[str, str] = {}
    purposes: dict[tuple[str, str], str] = {}
    rows: list[tuple[Any, ...]] = []
    touches: list[tuple[Any, ...]] = []
    for eid, s in zip(ids, appended, strict=True):
        action = ConsentAction.GRANT if s.grant else ConsentAction.WITHDRAW
        column = columns.get(s.column)
        if column is None:
            column = columns[s.column] = dumps(s.column)
        when = ts(s.at)
        rows.append(
            (eid, repo.ws, s.person_id, s.purpose, s.channel, action.value, "consent", source,
             f"{evidence_head}{s.line},\"column\":{column}}}", when, recorded)
        )  # fmt: skip
        kind = Kind.CONSENT_GRANTED if s.grant else Kind.CONSENT_WITHDRAWN
        head = purposes.get((s.purpose, s.channel))
        if head is None:
            head = purposes[(s.purpose, s.channel)] = (
                dumps({"purpose": s.purpose, "channel": s.channel})[:-1] + ',"consent_event":'
            )
        ikey = idempotency_key(source, "consent", eid, kind.value.split(".")[1])
        touches.append(
            (repo.ws, s.person_id, when, kind.value, s.channel, "", f"{head}{eid}}}", source, ikey,
             recorded)
        )  # fmt: skip
    repo.insert(t.consent_events, EVENT_COLUMNS, rows)
    repo.insert(t.interactions, INTERACTION_COLUMNS, touches)
    tally.counts["interactions"].created += len(touches)
