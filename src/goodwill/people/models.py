"""Domain types of the people context (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL = "external"


class Role(StrEnum):
    DECISION_MAKER = "decision_maker"
    CHAMPION = "champion"
    INFLUENCER = "influencer"
    USER = "user"
    BILLING = "billing"


class LinkKind(StrEnum):
    REFERRED_BY = "referred_by"
    HOUSEHOLD = "household"
    KNOWS = "knows"


class DateKind(StrEnum):
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"
    MILESTONE = "milestone"


#: Every (table, column) that points at a person and moves to the winner on a merge.
PERSON_REFERENCES: tuple[tuple[str, str], ...] = (
    ("identities", "person_id"),
    ("orders", "person_id"),
    ("interactions", "person_id"),
    ("consent_events", "person_id"),
    ("facts", "person_id"),
    ("important_dates", "person_id"),
    ("memberships", "person_id"),
    ("notes", "person_id"),
    ("tasks", "person_id"),
    ("person_links", "from_person_id"),
    ("person_links", "to_person_id"),
    ("preferences", "person_id"),
    ("score_snapshots", "person_id"),
    ("enrolments", "person_id"),
    ("outbox", "person_id"),
    ("deliveries", "person_id"),
)

#: Rows that would break a unique key if moved stay with the merged-away person.  The columns
#: listed (besides the person column) form that key; an empty tuple means one row per person.
MERGE_UNIQUE_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("memberships", "person_id"): ("account_id", "role"),
    ("important_dates", "person_id"): ("kind", "label"),
    ("person_links", "from_person_id"): ("to_person_id", "kind"),
    ("person_links", "to_person_id"): ("from_person_id", "kind"),
    ("preferences", "person_id"): (),
    ("score_snapshots", "person_id"): ("as_of",),
    ("enrolments", "person_id"): ("journey_id", "trigger_key"),
}

#: Profile fields a merge fills on the winner when the winner has none.
FILLABLE_FIELDS: tuple[str, ...] = ("first_name", "last_name", "timezone", "locale", "owner")


@dataclass(frozen=True, slots=True)
class Identity:
    kind: str
    value: str
    source: str


@dataclass(frozen=True, slots=True)
class Fact:
    text: str
    noted_by: str
    noted_at: datetime


@dataclass(frozen=True, slots=True)
class ImportantDate:
    kind: str
    label: str
    month: int
    day: int
    year: int | None
    recurrence: str

    def display(self) -> str:
        base = f"{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{base}" if self.year else f"--{base}"


@dataclass(frozen=True, slots=True)
class Membership:
    account_id: int
    account_name: str
    role: str
    active: bool
    owner: str | None


@dataclass(frozen=True, slots=True)
class Link:
    kind: str
    direction: str  # "out" (this person -> other) or "in"
    other_id: int
    other_name: str


@dataclass(frozen=True, slots=True)
class Preferences:
    channels: list[str]
    max_per_week: int | None
    interests: list[str]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    occurred_at: datetime
    kind: str
    channel: str
    actor: str
    source: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConsentLine:
    purpose: str
    channel: str
    granted: bool
    since: datetime
    source: str


@dataclass(frozen=True, slots=True)
class OrderSummary:
    orders: int
    revenue: dict[str, int]  # currency -> minor units (delivered/paid, net of refunds)
    first_order_at: datetime | None
    last_order_at: datetime | None


@dataclass(slots=True)
class Profile:
    """Everything `goodwill people show` says about one person."""

    id: int
    first_name: str | None
    last_name: str | None
    timezone: str | None
    locale: str | None
    owner: str | None
    first_seen_at: datetime | None
    identities: list[Identity] = field(default_factory=list)
    preferences: Preferences | None = None
    facts: list[Fact] = field(default_factory=list)
    dates: list[ImportantDate] = field(default_factory=list)
    consent: list[ConsentLine] = field(default_factory=list)
    accounts: list[Membership] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    orders: OrderSummary | None = None
    open_tasks: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    scores: dict[str, Any] | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        if name:
            return name
        emails = [i.value for i in self.identities if i.kind == IdentityKind.EMAIL]
        return emails[0] if emails else f"person {self.id}"
