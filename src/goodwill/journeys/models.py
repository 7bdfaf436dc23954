"""The data the journey engine reads and returns: events, the person snapshot, enrolment state.

These are plain slots dataclasses, not pydantic models: the engine handles millions of them and
never needs to re-validate what it produced itself.  Definitions (what authors write) are the
pydantic side, in :mod:`goodwill.journeys.definition`.

Contract for the caller (the journeys service and the worker):

* ids are strings (``str(row.id)``); instants are timezone-aware (UTC in storage).
* :class:`EnrolmentState` is a value: :func:`goodwill.journeys.engine.advance` never mutates the
  state it is given and returns a fresh one, so a failed transaction can simply retry with the
  stored state.  Store it with :mod:`goodwill.journeys.serialization`.
* :class:`PersonContext` is a read-only snapshot taken when the engine runs; conditions read the
  snapshot they are given, not history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from goodwill.journeys.intents import Intent


class EventLike(Protocol):
    """Anything with these four attributes is an event (the timeline's ``Interaction`` is)."""

    @property
    def id(self) -> int | str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Event:
    """One interaction on the person's timeline, as the engine sees it."""

    kind: str
    occurred_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    id: int | str | None = None

    @classmethod
    def of(cls, event: EventLike) -> Event:
        if isinstance(event, Event):
            return event
        return cls(event.kind, event.occurred_at, dict(event.payload or {}), event.id)


@dataclass(frozen=True, slots=True)
class ImportantDate:
    """A date the person cares about (``kind``: birthday | anniversary | milestone).

    ``recurrence`` is ``yearly`` or ``once`` (a one-off milestone, which then needs ``year``).
    """

    kind: str
    month: int
    day: int
    year: int | None = None
    label: str = ""
    recurrence: str = "yearly"


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonContext:
    """A read-only snapshot of the person when the engine runs.

    ``owner`` is the staff member who owns the customer; ``account_owner`` owns the customer's
    account (B2B).  ``scores`` holds the latest snapshot (``p_alive``, ``clv``, ``clv_decile``,
    ``health``, ``nps``...), ``profile`` any profile fields conditions may read.
    """

    person_id: str
    timezone: str | None = None
    locale: str | None = None
    owner: str | None = None
    account_id: str | None = None
    account_owner: str | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, Any] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    dates: tuple[ImportantDate, ...] = ()


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # ran off the end of its steps
    EXITED = "exited"  # a goal or an exit event ended it
    HOLDOUT = "holdout"  # in the control group: enrolled, recorded, never acted on


class Happened(StrEnum):
    """What a history record says happened."""

    ENROLLED = "enrolled"
    HOLDOUT = "holdout"
    WAITING = "waiting"
    WAITED = "waited"
    TIMED_OUT = "timed_out"
    EVENT = "event"
    BRANCHED = "branched"
    SPLIT = "split"
    ACTED = "acted"
    EXITED = "exited"
    COMPLETED = "completed"


class StepRecord(NamedTuple):
    """One line of an enrolment's history: when, which step (occurrence), what, and why.

    ``note`` is the human sentence ``goodwill journeys explain`` prints ("waiting until
    2026-03-05 10:00 Europe/Lisbon", "condition 'promoter' false: scores.nps 6 < 9").  ``until``
    is set on ``waiting`` records so the schedule is machine-checkable too.  (A named tuple:
    cheap to build on the hot path, immutable, compares by value.)
    """

    at: datetime
    step_id: str | None
    occurrence: int
    what: Happened
    note: str
    until: datetime | None = None


@dataclass(slots=True, kw_only=True)
class EnrolmentState:
    """Where one person is in one journey version.

    ``clock`` is the engine's logical time: the instant up to which this enrolment has been
    processed.  Steps run *at logical time* (a wait that ends at 10:00 resumes at 10:00 even if
    the worker advances at 10:07), which is what makes catching up after a pause give exactly
    the same intents as advancing on time.  ``visits`` counts entries per step (the occurrence in
    idempotency keys); ``seen`` counts the event kinds the definition's conditions look at.
    ``wait_until`` is the deadline of the wait the enrolment is in, ``wake_at`` when the
    scheduler must advance it next (``None``: only a new event or nothing can move it).
    """

    enrolment_id: str
    journey_key: str
    journey_version: int
    person_id: str
    status: EnrolmentStatus
    step_id: str | None
    entered_at: datetime
    clock: datetime
    trigger: Event
    wait_until: datetime | None = None
    wake_at: datetime | None = None
    visits: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    history: list[StepRecord] = field(default_factory=list)
    ended_at: datetime | None = None
    end_reason: str | None = None
    goal: str | None = None

    def copy(self) -> EnrolmentState:
        """A copy whose containers can be changed without touching this one."""
        return EnrolmentState(
            enrolment_id=self.enrolment_id,
            journey_key=self.journey_key,
            journey_version=self.journey_version,
            person_id=self.person_id,
            status=self.status,
            step_id=self.step_id,
            entered_at=self.entered_at,
            clock=self.clock,
            trigger=self.trigger,
            wait_until=self.wait_until,
            wake_at=self.wake_at,
            visits=dict(self.visits),
            seen=dict(self.seen),
            history=list(self.history),
            ended_at=self.ended_at,
            end_reason=self.end_reason,
            goal=self.goal,
        )

    @property
    def active(self) -> bool:
        return self.status is EnrolmentStatus.ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorEnrolment:
    """What ``enrol`` needs to know about the person's earlier enrolments in the same journey."""

    enrolment_id: str
    journey_key: str
    status: EnrolmentStatus
    entered_at: datetime
    trigger_event_id: str | None = None
    journey_version: int | None = None


class RefusalCode(StrEnum):
    TRIGGER_MISMATCH = "trigger_mismatch"
    STALE_TRIGGER = "stale_trigger"
    DUPLICATE_TRIGGER = "duplicate_trigger"
    ALREADY_ACTIVE = "already_active"
    ONCE_EVER = "once_ever"
    TOO_SOON = "too_soon"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a person was not enrolled; ``reason`` is a sentence for logs and the CLI."""

    code: RefusalCode
    reason: str


@dataclass(frozen=True, slots=True)
class Advance:
    """The result of one :func:`~goodwill.journeys.engine.advance` call.

    ``intents`` are in the order they were decided.  ``wake_at`` equals ``state.wake_at``;
    ``steps_run`` counts step evaluations (entries, wait ends, branches, actions) for metrics.
    """

    state: EnrolmentState
    intents: tuple[Intent, ...]
    wake_at: datetime | None
    steps_run: int
