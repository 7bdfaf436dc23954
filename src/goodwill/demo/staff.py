"""The shop's staff at work: notes on records, follow-up tasks, personal emails to the customers
and accounts they look after."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from goodwill.demo import names as nm
from goodwill.demo import texts
from goodwill.demo.commerce import OrderBook
from goodwill.demo.models import HISTORY_DAYS, SOURCE, Frame
from goodwill.demo.people import Population
from goodwill.demo.timebase import office_time, to_datetime64
from goodwill.demo.touches import Timeline, key
from goodwill.timeline.models import Kind

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

SHOP_OFFSET_HOURS = -5.0  # the team works New York hours


def _decision_makers(pop: Population) -> Ints:
    """Per account, the person who speaks for it (its decision maker)."""
    acc = pop.accounts
    out = np.full(len(acc.name), -1, dtype=np.int64)
    for a, p, role in zip(
        acc.member_account.tolist(), acc.member_person.tolist(), acc.member_role, strict=True
    ):
        if role == "decision_maker":
            out[a] = p
    return out


def _subjects(
    rng: np.random.Generator, pop: Population, owner: list[str | None]
) -> tuple[Ints, Ints, list[str]]:
    """Who staff write about: (person, account or -1, author)."""
    owned = np.array([o is not None for o in owner])
    chance = np.where(owned, 0.5, np.where(pop.lead, 0.005, 0.035))
    people = np.flatnonzero(rng.random(pop.n) < chance)
    staff = rng.integers(0, len(nm.STAFF), len(people))
    author = [owner[i] or nm.STAFF[int(staff[j])] for j, i in enumerate(people.tolist())]
    heads = _decision_makers(pop)
    with_acc = np.flatnonzero((heads >= 0) & (rng.random(len(heads)) < 0.6))
    person = np.concatenate([people, heads[with_acc]])
    account = np.concatenate([np.full(len(people), -1, dtype=np.int64), with_acc])
    author += [pop.accounts.owner[a] for a in with_acc.tolist()]
    return person, account, author


def notes(
    rng: np.random.Generator,
    pop: Population,
    book: OrderBook,
    owner: list[str | None],
    start64: np.datetime64,
    tl: Timeline,
) -> Frame:
    person, account, author = _subjects(rng, pop, owner)
    n = len(person)
    when = pop.acq[person] + (HISTORY_DAYS - pop.acq[person]) * rng.random(n) ** 0.7
    when = np.clip(
        office_time(rng, when, np.full(n, SHOP_OFFSET_HOURS)), pop.acq[person], HISTORY_DAYS - 0.01
    )
    last_order = np.full(pop.n, -1, dtype=np.int64)
    last_order[book.person] = np.arange(len(book.person))
    attach = np.where((account < 0) & (rng.random(n) < 0.3), last_order[person], -1)
    attach = np.where((attach >= 0) & (book.placed[np.maximum(attach, 0)] < when), attach, -1)
    pick = rng.integers(0, 1000, n)
    body = [
        texts.ACCOUNT_NOTES[k % len(texts.ACCOUNT_NOTES)]
        if a >= 0
        else texts.NOTES[k % len(texts.NOTES)]
        for k, a in zip(pick.tolist(), account.tolist(), strict=True)
    ]
    ident = [f"{pop.number[p]}-{j}" for j, p in enumerate(person.tolist())]
    tl.add(
        Kind.NOTE,
        person,
        when,
        [key("note", x, "added") for x in ident],
        payload=[{"text": b} for b in body],
        actor=author,
        account=account,
        order=attach,
    )
    return Frame(
        "notes",
        {
            "person_id": person,
            "account_id": account,
            "order_id": attach,
            "body": body,
            "author": author,
            "created_at": to_datetime64(start64, when),
        },
        {"person_id": "persons", "account_id": "accounts", "order_id": "orders"},
    )


def tasks(
    rng: np.random.Generator,
    pop: Population,
    owner: list[str | None],
    start64: np.datetime64,
    tl: Timeline,
) -> Frame:
    person, account, assignee = _subjects(rng, pop, owner)
    n = len(person)
    created = pop.acq[person] + (HISTORY_DAYS - pop.acq[person]) * rng.random(n) ** 0.5
    created = np.clip(
        office_time(rng, created, np.full(n, SHOP_OFFSET_HOURS)),
        pop.acq[person],
        HISTORY_DAYS - 0.02,
    )
    due = np.floor(created) + rng.uniform(2.0, 21.0, n) + 0.9
    u = rng.random(n)
    past = due < HISTORY_DAYS - 3
    done = past & (u < 0.85)
    cancelled = past & (u >= 0.85) & (u < 0.9)
    completed = np.where(done, np.maximum(created + 0.01, due - rng.uniform(0.0, 3.0, n)), np.nan)
    status = np.where(done, "done", np.where(cancelled, "cancelled", "open")).tolist()
    pick = rng.integers(0, 1000, n)
    titles: list[str] = []
    bodies: list[str] = []
    for k, a in zip(pick.tolist(), account.tolist(), strict=True):
        title, body = (
            texts.ACCOUNT_TASKS[k % len(texts.ACCOUNT_TASKS)]
            if a >= 0
            else texts.TASKS[k % len(texts.TASKS)]
        )
        titles.append(title)
        bodies.append(body)
    ident = [f"{pop.number[p]}-{j}" for j, p in enumerate(person.tolist())]
    task_keys = [key("task", x, "created") for x in ident]
    payload: list[dict[str, Any] | None] = [
        {"title": t, "assignee": a} for t, a in zip(titles, assignee, strict=True)
    ]
    tl.add(
        Kind.TASK_CREATED,
        person,
        created,
        task_keys,
        payload=payload,
        actor=assignee,
        account=account,
    )
    rows = np.flatnonzero(done)
    tl.add(
        Kind.TASK_COMPLETED,
        person[rows],
        completed[rows],
        [key("task", ident[j], "completed") for j in rows.tolist()],
        payload=[payload[j] for j in rows.tolist()],
        actor=[assignee[j] for j in rows.tolist()],
        account=account[rows],
    )
    return Frame(
        "tasks",
        {
            "title": titles,
            "body": bodies,
            "due_at": to_datetime64(start64, due),
            "assignee": assignee,
            "status": status,
            "person_id": person,
            "account_id": account,
            "order_id": np.full(n, -1, dtype=np.int64),
            "source": [SOURCE] * n,
            "idempotency_key": task_keys,
            "created_at": to_datetime64(start64, created),
            "completed_at": to_datetime64(start64, completed),
        },
        {"person_id": "persons", "account_id": "accounts", "order_id": "orders"},
    )


def personal_messages(
    rng: np.random.Generator, pop: Population, owner: list[str | None], tl: Timeline
) -> None:
    """Owners write to the customers they look after now and then; about half reply."""
    people = np.flatnonzero(np.array([o is not None for o in owner]))
    count = rng.integers(1, 5, len(people))
    person = np.repeat(people, count)
    n = len(person)
    when = pop.acq[person] + (HISTORY_DAYS - pop.acq[person]) * rng.random(n)
    when = office_time(rng, when, np.full(n, SHOP_OFFSET_HOURS))
    when = np.maximum(when, pop.acq[person] + 0.01)
    actor = [owner[p] or "" for p in person.tolist()]
    subjects = (
        "Checking in",
        "A new lot you might like",
        "Thank you for your order",
        "Quick question",
    )
    pick = rng.integers(0, len(subjects), n)
    ident = [f"{pop.number[p]}-{j}" for j, p in enumerate(person.tolist())]
    tl.add(
        Kind.MESSAGE_SENT,
        person,
        when,
        [key("message", x, "sent") for x in ident],
        payload=[{"subject": subjects[k], "purpose": "relationship"} for k in pick.tolist()],
        channel="email",
        actor=actor,
    )
    replied = np.flatnonzero(rng.random(n) < 0.45)
    tl.add(
        Kind.MESSAGE_REPLIED,
        person[replied],
        when[replied] + rng.exponential(0.8, len(replied)),
        [key("message", ident[j], "replied") for j in replied.tolist()],
        payload=[{"subject": "Re: " + subjects[int(pick[j])]} for j in replied.tolist()],
        channel="email",
    )
