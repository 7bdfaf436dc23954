"""Send-time facts about the people a batch of messages is for.

:func:`load_facts` reads, in one query per kind for the whole batch, what the guardrails and
the templates need: consent state, preferences, timezone, addresses, recent contacts and
higher-priority messages waiting, account and owner, last order and product, a remembered
fact.  It runs right after the batch is claimed, so it reflects the record at send time (not
at scheduling time); the commit point of each send re-checks that no consent event was recorded
for the person since (:meth:`PersonFacts.consent_count`).

While a batch is processed the dispatcher keeps these facts current in memory
(:meth:`PersonFacts.note_sent`, :meth:`PersonFacts.note_not_waiting`), so the third message to
one person in a batch sees the two sent before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from goodwill.consent.models import ConsentEvent, ConsentState, current_state
from goodwill.kit.clock import as_utc
from goodwill.messaging.guardrails import ContactHistory, ContactPreferences, PastSend
from goodwill.messaging.vocabulary import ChannelKind, Priority
from goodwill.worker.facts_repository import FactsRepository
from goodwill.worker.models import ClaimedRow
from goodwill.workspaces.service import Workspace

_MAX_MERGE_HOPS = 5


@dataclass(frozen=True, slots=True)
class OrderFacts:
    number: str
    product: str | None = None


@dataclass(slots=True)
class PersonFacts:
    """What is known about one person at send time."""

    person_id: int
    first_name: str | None = None
    last_name: str | None = None
    timezone: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    postal: list[str] = field(default_factory=list)
    consents: dict[tuple[str, str], ConsentState] = field(default_factory=dict)
    consent_count: int = 0
    channels: tuple[ChannelKind, ...] = ()
    max_per_week: int | None = None
    account_name: str | None = None
    account_owner: str | None = None
    last_order: OrderFacts | None = None
    orders: dict[str, OrderFacts] = field(default_factory=dict)
    remembered_fact: str | None = None
    sends: list[PastSend] = field(default_factory=list)
    waiting: dict[int, int] = field(default_factory=dict)
    exists: bool = True

    def preferences(self) -> ContactPreferences:
        return ContactPreferences(
            channels=self.channels, max_per_week=self.max_per_week, timezone=self.timezone
        )

    def history(self, priority: int) -> ContactHistory:
        higher = sum(n for p, n in self.waiting.items() if p > priority) if self.waiting else 0
        return ContactHistory(sends=list(self.sends), waiting_higher=higher)

    def address(self, channel: str) -> str | None:
        if channel == "email":
            found = self.emails
        elif channel == "sms":
            found = self.phones
        elif channel == "postal":
            found = self.postal
        else:
            return None
        return found[0] if found else None

    def note_not_waiting(self, priority: int) -> None:
        """A due message of this priority left the queue (sent, suppressed, deferred...)."""
        if self.waiting.get(priority, 0) > 0:
            self.waiting[priority] -= 1

    def note_sent(self, at: datetime, priority: int) -> None:
        self.note_not_waiting(priority)
        self.sends.append(PastSend(at, Priority(priority)))


def _channels(raw: Any) -> tuple[ChannelKind, ...]:
    out: list[ChannelKind] = []
    for value in raw or ():
        try:
            out.append(ChannelKind(str(value).strip().lower()))
        except ValueError:
            continue  # an unknown channel name in preferences is ignored, not fatal
    return tuple(out)


def _effective_ids(repo: FactsRepository, ids: set[int]) -> tuple[dict[int, Any], dict[int, int]]:
    """Person rows by id, following merges: a message for a merged person goes to the person
    they were merged into.  Returns (rows by id, requested id -> effective id)."""
    rows: dict[int, Any] = {}
    todo = set(ids)
    for _ in range(_MAX_MERGE_HOPS + 1):
        if not todo:
            break
        found = {int(r.id): r for r in repo.persons(todo)}
        rows.update(found)
        todo = {
            int(r.merged_into_id)
            for r in found.values()
            if r.merged_into_id is not None and int(r.merged_into_id) not in rows
        }
    effective: dict[int, int] = {}
    for pid in ids:
        current = pid
        for _ in range(_MAX_MERGE_HOPS):
            row = rows.get(current)
            if row is None or row.merged_into_id is None or int(row.merged_into_id) not in rows:
                break
            current = int(row.merged_into_id)
        effective[pid] = current
    return rows, effective


def _order_numbers(rows: Iterable[ClaimedRow]) -> set[str]:
    numbers: set[str] = set()
    for row in rows:
        payload = row.payload
        for source in (payload.get("subject") or {}, payload.get("variables") or {}):
            if not isinstance(source, dict):
                continue
            for name in ("order", "order_id", "last_order_number"):
                value = source.get(name)
                if isinstance(value, str | int) and str(value).strip():
                    numbers.add(str(value).strip())
    return numbers


def load_facts(
    conn: Connection,
    workspace: Workspace,
    rows: list[ClaimedRow],
    *,
    now: datetime,
    window: timedelta,
    budgeted: bool = True,
) -> dict[int, PersonFacts]:
    """Facts for every person the rows are for, keyed by the row's ``person_id``.
    ``budgeted=False`` (no workspace budget) skips counting waiting messages unless someone in
    the batch has a ``max_per_week`` of their own."""
    repo = FactsRepository(conn, workspace)
    wanted = {r.person_id for r in rows}
    person_rows, effective = _effective_ids(repo, wanted)
    ids = sorted(set(effective.values()))
    facts = {pid: PersonFacts(pid, exists=pid in person_rows) for pid in ids}
    for pid, row in person_rows.items():
        if pid in facts:
            f = facts[pid]
            f.first_name, f.last_name = row.first_name, row.last_name
            f.timezone, f.owner = row.timezone, row.owner
            f.tags = [str(x) for x in (row.tags or [])]
    for r in repo.identities(ids):
        bucket = {"email": "emails", "phone": "phones", "postal": "postal"}.get(r.kind)
        if bucket:
            getattr(facts[int(r.person_id)], bucket).append(r.value)
    events: dict[int, list[ConsentEvent]] = {}
    for r in repo.consent_events(ids):
        events.setdefault(int(r.person_id), []).append(
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
        )
    for pid, evs in events.items():
        facts[pid].consents = current_state(evs)
        facts[pid].consent_count = len(evs)
    for r in repo.preferences(ids):
        f = facts[int(r.person_id)]
        f.channels, f.max_per_week = _channels(r.channels), r.max_per_week
    for r in repo.accounts(ids):
        f = facts[int(r.person_id)]
        if f.account_name is None:
            f.account_name, f.account_owner = r.name, r.owner
    _load_orders(repo, facts, ids, _order_numbers(rows))
    for r in repo.latest_facts(ids):
        f = facts[int(r.person_id)]
        if f.remembered_fact is None:
            f.remembered_fact = r.text
    for r in repo.recent_sends(ids, now - window):
        facts[int(r.person_id)].sends.append(
            PastSend(as_utc(r.occurred_at), Priority(int(r.priority)))
        )
    if budgeted or any(f.max_per_week is not None for f in facts.values()):
        for r in repo.waiting(ids, now):  # only a budget looks at what is waiting
            facts[int(r.person_id)].waiting[int(r.priority)] = int(r[2])
    return {requested: facts[eff] for requested, eff in effective.items()}


def _load_orders(
    repo: FactsRepository, facts: dict[int, PersonFacts], ids: list[int], numbers: set[str]
) -> None:
    latest = list(repo.latest_orders(ids))
    named = list(repo.orders_by_number(ids, numbers)) if numbers else []
    order_ids = {int(r.order_id) for r in [*latest, *named]}
    products: dict[int, str] = {}
    for line in repo.first_lines(order_ids) if order_ids else ():
        products.setdefault(int(line.order_id), line.name)
    for r in latest:
        facts[int(r.person_id)].last_order = OrderFacts(
            str(r.number), products.get(int(r.order_id))
        )
    for r in named:
        facts[int(r.person_id)].orders[str(r.number)] = OrderFacts(
            str(r.number), products.get(int(r.order_id))
        )
