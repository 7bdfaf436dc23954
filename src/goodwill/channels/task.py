"""Human follow-up tasks: the pure part of the task "channel".

A task is not delivered by an adapter; the dispatcher writes a task row (and its
``task.created`` interaction) in the same transaction as the outbox step.  This module decides
*what* that row says, without any database access:

* the assignee: the account's owner if the person belongs to an account that has one, else the
  person's own owner, else the workspace's default queue;
* title and body from the rendered template (subject and text parts, e.g.
  ``post_order_checkin``);
* a due time ``due_in`` after ``now``, moved off weekends in the team's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from goodwill.channels.base import OutboundMessage
from goodwill.kit.clock import as_utc, zone
from goodwill.messaging.vocabulary import ChannelKind

TITLE_MAX = 200
AssigneeSource = Literal["account_owner", "customer_owner", "default_queue"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskOwners:
    account_owner: str | None = None
    customer_owner: str | None = None
    default_queue: str = "customer-care"


@dataclass(frozen=True, slots=True)
class Assignee:
    name: str
    kind: Literal["user", "queue"]
    source: AssigneeSource

    @property
    def because(self) -> str:
        return {
            "account_owner": "owner of the customer's account",
            "customer_owner": "owner of the customer",
            "default_queue": "no owner on record; default queue",
        }[self.source]


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskFields:
    idempotency_key: str
    workspace_id: str
    person_id: str
    assignee: Assignee
    title: str
    body: str
    due_at: datetime
    template: str


def _named(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def resolve_assignee(owners: TaskOwners) -> Assignee:
    """Account owner > customer owner > default queue (blank names count as absent)."""
    if name := _named(owners.account_owner):
        return Assignee(name, "user", "account_owner")
    if name := _named(owners.customer_owner):
        return Assignee(name, "user", "customer_owner")
    queue = _named(owners.default_queue)
    if queue is None:
        raise ValueError("a default task queue name is required")
    return Assignee(queue, "queue", "default_queue")


def _off_weekend(moment: datetime, tz_name: str | None) -> datetime:
    local = moment.astimezone(zone(tz_name))
    if local.weekday() >= 5:  # Saturday or Sunday -> Monday, same wall-clock time
        local += timedelta(days=7 - local.weekday())
    return as_utc(local)


def plan_task(
    message: OutboundMessage,
    owners: TaskOwners,
    *,
    now: datetime,
    due_in: timedelta = timedelta(days=2),
    due_at: datetime | None = None,
    title: str | None = None,
    team_timezone: str | None = None,
) -> TaskFields:
    """The task row's fields for a ``task`` message rendered from a template.

    ``title`` (e.g. the journey step's own title) wins over the rendered subject; ``due_at``
    (e.g. a journey's ``CreateTask.due_at``) wins over ``now + due_in``; either way the due
    time is moved off weekends."""
    if message.channel != ChannelKind.TASK:
        raise ValueError(f"a {message.channel} message is not a task")
    title = " ".join((title or message.subject).split()) or "Follow up with a customer"
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    return TaskFields(
        idempotency_key=message.idempotency_key,
        workspace_id=message.workspace_id,
        person_id=message.person_id,
        assignee=resolve_assignee(owners),
        title=title,
        body=message.text.strip(),
        due_at=_off_weekend(as_utc(due_at) if due_at else as_utc(now) + due_in, team_timezone),
        template=message.template,
    )
