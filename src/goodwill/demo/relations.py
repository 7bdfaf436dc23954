"""What the shop knows about people beyond orders: accounts and roles, who referred or lives
with whom, preferences, remembered facts and important dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from goodwill.demo import names as nm
from goodwill.demo import texts
from goodwill.demo.catalog import CATEGORY_NAMES
from goodwill.demo.commerce import OrderBook
from goodwill.demo.models import HISTORY_DAYS, SOURCE, CatalogProduct, Frame
from goodwill.demo.people import Population
from goodwill.demo.purchases import Customers
from goodwill.demo.timebase import office_time, to_datetime64
from goodwill.demo.touches import Timeline, key
from goodwill.timeline.models import Kind

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

#: Customers whose net spend reaches this (minor units) get a named owner on staff.
OWNER_THRESHOLD_MINOR = 100_000


def owners(rng: np.random.Generator, pop: Population, book: OrderBook) -> list[str | None]:
    out: list[str | None] = [None] * pop.n
    staff = rng.integers(0, len(nm.ACCOUNT_TEAM), size=pop.n)
    for i in np.flatnonzero(book.revenue >= OWNER_THRESHOLD_MINOR).tolist():
        out[i] = nm.ACCOUNT_TEAM[int(staff[i])]
    for a, person, role in zip(
        pop.accounts.member_account.tolist(),
        pop.accounts.member_person.tolist(),
        pop.accounts.member_role,
        strict=True,
    ):
        if role == "decision_maker":
            out[person] = pop.accounts.owner[a]
    return out


def account_frames(
    pop: Population, start64: np.datetime64, rng: np.random.Generator
) -> list[Frame]:
    acc = pop.accounts
    accounts = Frame(
        "accounts",
        {
            "name": acc.name,
            "domain": acc.domain,
            "external_key": [f"{SOURCE}:{n}" for n in acc.number],
            "owner": acc.owner,
            "created_at": to_datetime64(start64, acc.created),
        },
    )
    joined = np.maximum(pop.acq[acc.member_person], acc.created[acc.member_account])
    memberships = Frame(
        "memberships",
        {
            "account_id": acc.member_account,
            "person_id": acc.member_person,
            "role": acc.member_role,
            "active": (rng.random(len(joined)) > 0.05).tolist(),
            "created_at": to_datetime64(start64, joined),
        },
        {"account_id": "accounts", "person_id": "persons"},
    )
    return [accounts, memberships]


def links(rng: np.random.Generator, pop: Population, start64: np.datetime64, tl: Timeline) -> Frame:
    """referred_by (with a referral.made on the referrer's timeline), household and knows."""
    referred = np.flatnonzero(pop.referrer >= 0)
    referrer = pop.referrer[referred]
    shared = np.maximum(
        pop.acq[referrer] + 0.01, pop.acq[referred] - rng.uniform(0.01, 3.0, len(referred))
    )
    tl.add(
        Kind.REFERRAL_MADE,
        referrer,
        shared,
        [
            key("referral", f"{pop.number[a]}>{pop.number[b]}", "made")
            for a, b in zip(referrer.tolist(), referred.tolist(), strict=True)
        ],
        payload=[{"referred": pop.number[b], "via": "share link"} for b in referred.tolist()],
        channel="web",
    )
    src, dst, when = [referred], [referrer], [pop.acq[referred]]
    kind = ["referred_by"] * len(referred)
    source = ["referral"] * len(referred)
    home = np.flatnonzero(pop.household >= 0)
    partner = pop.household[home]
    src.append(home)
    dst.append(partner)
    when.append(np.maximum(pop.acq[home], pop.acq[partner]))
    kind += ["household"] * len(home)
    source += ["checkout"] * len(home)
    know = np.flatnonzero(rng.random(pop.n) < 0.01)
    know = know[know > 0]
    friend = (know - 1 - rng.integers(0, 200, len(know))) % pop.n
    ok = (friend != know) & (pop.household[know] != friend) & (pop.referrer[know] != friend)
    know, friend = know[ok], friend[ok]
    src.append(know)
    dst.append(friend)
    when.append(np.maximum(pop.acq[know], pop.acq[friend]) + rng.exponential(60.0, len(know)))
    kind += ["knows"] * len(know)
    source += ["staff"] * len(know)
    t = np.concatenate(when)
    t = np.minimum(t, HISTORY_DAYS - 0.01)
    return Frame(
        "person_links",
        {
            "from_person_id": np.concatenate(src),
            "to_person_id": np.concatenate(dst),
            "kind": kind,
            "source": source,
            "created_at": to_datetime64(start64, t),
        },
        {"from_person_id": "persons", "to_person_id": "persons"},
    )


def preferences(
    rng: np.random.Generator,
    pop: Population,
    cust: Customers,
    sms_now: Bools,
    start64: np.datetime64,
) -> Frame:
    rows = np.flatnonzero(rng.random(pop.n) < 0.6)
    u = rng.random((len(rows), 3))
    channels: list[list[str]] = []
    per_week: list[int | None] = []
    interests: list[list[str]] = []
    choices = (1, 2, 3, None)
    for j, i in enumerate(rows.tolist()):
        ch = (
            ["sms", "email"]
            if sms_now[i] and u[j, 0] < 0.4
            else ["email", "sms"]
            if sms_now[i]
            else ["email"]
        )
        if u[j, 0] > 0.95:
            ch.append("postal")
        channels.append(ch)
        per_week.append(choices[int(u[j, 1] * 3.99)])
        top = np.argsort(-cust.affinity[i])[: 1 + int(u[j, 2] * 3)]
        interests.append(
            [
                texts.INTERESTS[CATEGORY_NAMES[k]][
                    (i + k) % len(texts.INTERESTS[CATEGORY_NAMES[k]])
                ]
                for k in top.tolist()
            ]
        )
    updated = np.minimum(pop.acq[rows] + rng.exponential(20.0, len(rows)), HISTORY_DAYS - 0.01)
    return Frame(
        "preferences",
        {
            "person_id": rows,
            "channels": channels,
            "max_per_week": per_week,
            "interests": interests,
            "updated_at": to_datetime64(start64, updated),
        },
        {"person_id": "persons"},
    )


def facts(
    rng: np.random.Generator,
    pop: Population,
    book: OrderBook,
    owner: list[str | None],
    catalog: list[CatalogProduct],
    start64: np.datetime64,
) -> Frame:
    owned = np.array([o is not None for o in owner])
    chance = np.where(owned, 0.9, np.where(pop.lead, 0.02, 0.1))
    people = np.flatnonzero(rng.random(pop.n) < chance)
    count = 1 + rng.binomial(2, 0.3, len(people))
    person = np.repeat(people, count)
    favourite = np.full(pop.n, -1, dtype=np.int64)
    favourite[book.person[book.baskets.order[::-1]]] = book.baskets.product[::-1]
    pick = rng.permutation(len(texts.FACTS))
    text: list[str] = []
    noted_by: list[str] = []
    staff = rng.integers(0, len(nm.STAFF), len(person))
    for j, i in enumerate(person.tolist()):
        fact = texts.FACTS[int(pick[(i * 7 + j) % len(pick)])]
        fav = int(favourite[i])
        text.append(fact.format(p=catalog[fav].name if fav >= 0 else "House Espresso Blend"))
        noted_by.append(owner[i] or nm.STAFF[int(staff[j])])
    span = HISTORY_DAYS - pop.acq[person]
    when = office_time(rng, pop.acq[person] + span * rng.random(len(person)), np.zeros(len(person)))
    when = np.clip(when, pop.acq[person], HISTORY_DAYS - 0.01)
    # The same sentence is not noted twice about one person.
    seen: set[tuple[int, str]] = set()
    keep = []
    for j, i in enumerate(person.tolist()):
        if (i, text[j]) not in seen:
            seen.add((i, text[j]))
            keep.append(j)
    return Frame(
        "facts",
        {
            "person_id": person[keep],
            "text": [text[j] for j in keep],
            "noted_by": [noted_by[j] for j in keep],
            "noted_at": to_datetime64(start64, when[keep]),
            "source": ["staff"] * len(keep),
        },
        {"person_id": "persons"},
    )


def important_dates(rng: np.random.Generator, pop: Population, start64: np.datetime64) -> Frame:
    """Birthdays (some without a year), first-order and wedding anniversaries, milestones."""
    rows: list[tuple[int, str, str, int, int, int | None, str]] = []
    start = start64.astype("datetime64[D]").astype(date)
    u = rng.random((pop.n, 6))
    for i in range(pop.n):
        if u[i, 0] < 0.42:
            born = date(2001, 1, 1) + timedelta(days=int(u[i, 1] * 365))
            year = 1950 + int(55 * u[i, 2] ** 0.8) if u[i, 3] < 0.7 else None
            rows.append((i, "birthday", "", born.month, born.day, year, "yearly"))
        if not pop.lead[i]:
            first = start + timedelta(days=int(pop.acq[i]))
            rows.append(
                (i, "anniversary", "first order", first.month, first.day, first.year, "yearly")
            )
        if u[i, 4] < 0.04:
            wed = date(2001, 1, 1) + timedelta(days=int(u[i, 5] * 365))
            year = 1975 + int(u[i, 2] * 48) if u[i, 3] > 0.5 else None
            rows.append(
                (i, "anniversary", "wedding anniversary", wed.month, wed.day, year, "yearly")
            )
        if u[i, 4] > 0.98:
            when = start + timedelta(days=HISTORY_DAYS + int(u[i, 5] * 240) - 40)
            label = texts.MILESTONES[int(u[i, 1] * len(texts.MILESTONES))]
            rows.append((i, "milestone", label, when.month, when.day, when.year, "once"))
    names = ("person_id", "kind", "label", "month", "day", "year", "recurrence")
    columns: dict[str, Any] = dict(zip(names, _transpose(rows, len(names)), strict=True))
    columns["person_id"] = np.asarray(columns["person_id"], dtype=np.int64)
    return Frame("important_dates", columns, {"person_id": "persons"})


def _transpose(rows: list[Any], width: int) -> list[list[Any]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(col) for col in zip(*rows, strict=True)]
