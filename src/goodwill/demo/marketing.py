"""Consent and campaigns: who agreed to hear from the shop (and who changed their mind), and
the newsletters, promotions and text messages they received, opened and clicked.

Nothing is sent without consent at the time of sending: campaign sends fall strictly inside a
person's granted intervals, and the campaign an unsubscribe came from was always received."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from goodwill.consent.models import ConsentAction, ConsentChannel, Purpose
from goodwill.demo import texts
from goodwill.demo.models import HISTORY_DAYS, Frame
from goodwill.demo.people import Population
from goodwill.demo.timebase import to_datetime64
from goodwill.demo.touches import Timeline, key
from goodwill.timeline.models import Kind

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

MARKETING_OPT_IN = 0.68
SMS_OPT_IN = 0.35
REVIEWS_OPT_IN = 0.55
UNSUBSCRIBE = 0.2
RESUBSCRIBE = 0.12
SMS_STOP = 0.15
SEND_HOUR_UTC = 15.0
GRANT, WITHDRAW = ConsentAction.GRANT.value, ConsentAction.WITHDRAW.value
EMAIL, SMS = ConsentChannel.EMAIL.value, ConsentChannel.SMS.value
MARKETING, REVIEWS = Purpose.MARKETING.value, Purpose.REVIEWS.value
TRANSACTIONAL = Purpose.TRANSACTIONAL.value


@dataclass(frozen=True, slots=True)
class Campaigns:
    day: Floats
    slug: list[str]
    subject: list[str]
    share: Floats  # share of subscribers in the audience


@dataclass(slots=True)
class Consents:
    frame: Frame
    marketing_now: Bools
    sms_now: Bools
    reviews: Bools


def campaign_calendar(seed: int, today: date, *, sms: bool = False) -> Campaigns:
    """The shop's campaigns over the history: monthly newsletters, promotions, seasonal sends."""
    rng = np.random.default_rng([seed, 3, int(sms)])
    start = today - timedelta(days=HISTORY_DAYS)
    days: list[float] = []
    slugs: list[str] = []
    subjects: list[str] = []
    shares: list[float] = []

    def add(when: date, slug: str, subject: str, share: float) -> None:
        offset = (when - start).days + SEND_HOUR_UTC / 24
        if 0 <= offset < HISTORY_DAYS:
            days.append(offset)
            slugs.append(slug)
            subjects.append(subject)
            shares.append(share)

    month = date(start.year, start.month, 1)
    while month < today:
        ym = f"{month.year}-{month.month:02d}"
        name = calendar.month_name[month.month]
        tpl = texts.CAMPAIGN_SUBJECTS
        if not sms:
            day = 8 + int(rng.integers(0, 4))
            subject = tpl[int(rng.integers(0, len(tpl)))].format(month=name)
            add(month.replace(day=day), f"{ym}-newsletter", subject, 0.95)
            if rng.random() < 0.55:
                day = 18 + int(rng.integers(0, 6))
                subject = tpl[int(rng.integers(0, len(tpl)))].format(month=name)
                add(month.replace(day=day), f"{ym}-picks", subject, 0.6)
        specials = texts.SMS_CAMPAIGNS if sms else texts.SPECIAL_CAMPAIGNS
        for (m, d), (slug, subject) in specials.items():
            if m == month.month:
                add(month.replace(day=d), f"{month.year}-{slug}", subject, 0.9)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    order = np.argsort(days, kind="stable")
    return Campaigns(
        np.asarray(days)[order],
        [slugs[i] for i in order],
        [subjects[i] for i in order],
        np.asarray(shares)[order],
    )


Interval = tuple[int, float, float, int]  # (person, granted at, withdrawn at, forced campaign)


class _Ledger:
    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str, str, str, str, dict[str, Any], float]] = []

    def grant(
        self, person: int, purpose: str, channel: str, source: str, evidence: dict[str, Any],
        when: float, basis: str = "consent",
    ) -> None:  # fmt: skip
        if when < HISTORY_DAYS:
            row = (person, purpose, channel, GRANT, basis, source, evidence, when)
            self.rows.append(row)

    def withdraw(
        self, person: int, purpose: str, channel: str, source: str, evidence: dict[str, Any],
        when: float,
    ) -> None:  # fmt: skip
        if when < HISTORY_DAYS:
            row = (person, purpose, channel, WITHDRAW, "consent", source, evidence, when)
            self.rows.append(row)


def _next_campaign(c: Campaigns, after: float) -> int:
    return int(np.searchsorted(c.day, after, side="right"))


def _as_arrays(rows: list[Interval]) -> tuple[Ints, Floats, Floats, Ints]:
    if not rows:
        return (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
    person, start, end, forced = zip(*rows, strict=True)
    return (
        np.asarray(person, dtype=np.int64),
        np.asarray(start, dtype=np.float64),
        np.asarray(end, dtype=np.float64),
        np.asarray(forced, dtype=np.int64),
    )


def consents(
    rng: np.random.Generator,
    pop: Population,
    first_order: list[str | None],
    email_c: Campaigns,
    sms_c: Campaigns,
    start64: np.datetime64,
    tl: Timeline,
) -> tuple[Consents, list[tuple[Ints, Floats, Floats, Ints]]]:
    """The consent ledger, and the granted intervals for marketing email and for SMS."""
    n = pop.n
    led = _Ledger()
    email_iv: list[Interval] = []
    sms_iv: list[Interval] = []
    marketing_now = np.zeros(n, dtype=bool)
    sms_now = np.zeros(n, dtype=bool)
    reviews = np.zeros(n, dtype=bool)
    u = rng.random((n, 8))
    end_of_time = float(HISTORY_DAYS)
    for i in range(n):
        t0 = float(pop.acq[i]) + 0.0005
        order = first_order[i]
        if not pop.lead[i]:
            led.grant(i, TRANSACTIONAL, EMAIL, "checkout", {"order": order}, t0, "contract")
        if pop.lead[i] or u[i, 0] < MARKETING_OPT_IN:
            if pop.lead[i]:
                src, ev = "newsletter_form", {"form": "footer sign-up", "double_opt_in": True}
            else:
                src, ev = "checkout", {"checkbox": "Email me with news and offers", "order": order}
            led.grant(i, MARKETING, EMAIL, src, ev, t0)
            end, forced = end_of_time, -1
            c = _next_campaign(email_c, t0 + rng.exponential(200.0))
            if u[i, 1] < UNSUBSCRIBE and c < len(email_c.day):
                end, forced = float(email_c.day[c]) + rng.exponential(0.3) + 0.003, c
                ev = {"campaign": email_c.slug[c], "method": "one-click"}
                led.withdraw(i, MARKETING, EMAIL, "unsubscribe_link", ev, end)
            email_iv.append((i, t0, end, forced))
            marketing_now[i] = end >= end_of_time
            again = end + rng.exponential(150.0)
            if end < end_of_time and u[i, 2] < RESUBSCRIBE and again < end_of_time:
                ev = {"page": "/account/preferences"}
                led.grant(i, MARKETING, EMAIL, "preference_center", ev, again)
                email_iv.append((i, again, end_of_time, -1))
                marketing_now[i] = True
        if pop.phone[i] and u[i, 3] < SMS_OPT_IN:
            ev = {"checkbox": "Text me offers", "phone": pop.phone[i]}
            led.grant(i, MARKETING, SMS, "checkout", ev, t0)
            end, forced = end_of_time, -1
            c = _next_campaign(sms_c, t0)
            if u[i, 4] < SMS_STOP and c < len(sms_c.day):
                end, forced = float(sms_c.day[c]) + rng.exponential(0.05) + 0.001, c
                ev = {"keyword": "STOP", "campaign": sms_c.slug[c]}
                led.withdraw(i, MARKETING, SMS, "sms_reply", ev, end)
            sms_iv.append((i, t0, end, forced))
            sms_now[i] = end >= end_of_time
        if not pop.lead[i] and u[i, 5] < REVIEWS_OPT_IN:
            ev = {"checkbox": "Ask me to review what I bought"}
            led.grant(i, REVIEWS, EMAIL, "checkout", ev, t0)
            reviews[i] = True
    frame = _ledger_frame(led, pop, start64, tl)
    return Consents(frame, marketing_now, sms_now, reviews), [
        _as_arrays(email_iv),
        _as_arrays(sms_iv),
    ]


def _ledger_frame(led: _Ledger, pop: Population, start64: np.datetime64, tl: Timeline) -> Frame:
    rows = led.rows
    person = np.asarray([r[0] for r in rows], dtype=np.int64)
    when = np.asarray([r[7] for r in rows], dtype=np.float64)
    stamps = to_datetime64(start64, when)
    counter: dict[tuple[int, str, str], int] = {}
    keys: list[str] = []
    payload: list[dict[str, Any] | None] = []
    for r in rows:
        k = (r[0], r[1], r[2])
        counter[k] = counter.get(k, 0) + 1
        event = "granted" if r[3] == ConsentAction.GRANT else "withdrawn"
        keys.append(key("consent", f"{pop.number[r[0]]}-{r[1]}-{r[2]}-{counter[k]}", event))
        payload.append({"purpose": r[1], "channel": r[2], "source": r[5]})
    for action, kind in (
        (ConsentAction.GRANT, Kind.CONSENT_GRANTED),
        (ConsentAction.WITHDRAW, Kind.CONSENT_WITHDRAWN),
    ):
        sel = [j for j, r in enumerate(rows) if r[3] == action]
        tl.add(
            kind,
            person[sel],
            when[sel],
            [keys[j] for j in sel],
            payload=[payload[j] for j in sel],
            channel=[rows[j][2] for j in sel],
        )
    return Frame(
        "consent_events",
        {
            "person_id": person,
            "purpose": [r[1] for r in rows],
            "channel": [r[2] for r in rows],
            "action": [r[3] for r in rows],
            "lawful_basis": [r[4] for r in rows],
            "source": [r[5] for r in rows],
            "evidence": [r[6] for r in rows],
            "occurred_at": stamps,
            "recorded_at": stamps,
        },
        {"person_id": "persons"},
    )


def campaign_touches(
    rng: np.random.Generator,
    pop: Population,
    death: Floats,
    intervals: tuple[Ints, Floats, Floats, Ints],
    camp: Campaigns,
    channel: str,
    tl: Timeline,
) -> None:
    """Sends inside granted intervals; opens and clicks (email), the odd reply."""
    person, start, end, forced = intervals
    if not len(person) or not len(camp.day):
        return
    lo = np.searchsorted(camp.day, start, side="right")
    hi = np.searchsorted(camp.day, end, side="left")
    count = np.maximum(hi - lo, 0)
    iv = np.repeat(np.arange(len(person)), count)
    offsets = np.arange(len(iv)) - np.repeat(np.cumsum(count) - count, count)
    c = lo[iv] + offsets
    who = person[iv]
    must = c == forced[iv]
    sent = must | (rng.random(len(c)) < camp.share[c])
    c, who, must = c[sent], who[sent], must[sent]
    when = camp.day[c]
    slugs = [camp.slug[j] for j in c.tolist()]
    numbers = [pop.number[p] for p in who.tolist()]
    payload: list[dict[str, Any] | None] = [
        {"campaign": s, "subject": camp.subject[j], "purpose": "marketing"}
        for s, j in zip(slugs, c.tolist(), strict=True)
    ]
    ident = [f"{s}/{n}" for s, n in zip(slugs, numbers, strict=True)]
    tl.add(
        Kind.MESSAGE_SENT,
        who,
        when,
        [key("campaign", x, "sent") for x in ident],
        payload=payload,
        channel=channel,
        actor="campaign",
    )
    alive = when < death[who]
    if channel == "email":
        p_open = pop.engagement[who] * np.where(alive, 1.0, 0.35)
        opened = must | (rng.random(len(c)) < p_open)
        t_open = when + np.where(must, 0.001, rng.exponential(0.3, len(c)))
        rows = np.flatnonzero(opened)
        tl.add(
            Kind.MESSAGE_OPENED,
            who[rows],
            t_open[rows],
            [key("campaign", ident[j], "opened") for j in rows.tolist()],
            payload=[{"campaign": slugs[j]} for j in rows.tolist()],
            channel=channel,
        )
        p_click = np.where(opened & ~must, 0.14 + 0.2 * pop.engagement[who], 0.0)
    else:
        t_open = when
        p_click = np.where(must, 0.0, 0.05)
    clicked = rng.random(len(c)) < p_click
    rows = np.flatnonzero(clicked)
    t_click = t_open + rng.exponential(0.004, len(c))
    tl.add(
        Kind.MESSAGE_CLICKED,
        who[rows],
        t_click[rows],
        [key("campaign", ident[j], "clicked") for j in rows.tolist()],
        payload=[{"campaign": slugs[j]} for j in rows.tolist()],
        channel=channel,
    )
    replied = clicked & (rng.random(len(c)) < 0.02)
    rows = np.flatnonzero(replied)
    tl.add(
        Kind.MESSAGE_REPLIED,
        who[rows],
        t_click[rows] + rng.exponential(0.1, len(rows)),
        [key("campaign", ident[j], "replied") for j in rows.tolist()],
        payload=[
            {"campaign": slugs[j], "text": "Do you still have the Kenya?"} for j in rows.tolist()
        ],
        channel=channel,
    )
