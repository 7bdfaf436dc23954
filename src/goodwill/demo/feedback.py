"""What customers tell the shop: reviews (asked for once the buyer could form an opinion), NPS
answers (happier and more loyal customers score higher) and support tickets."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from goodwill.demo import texts
from goodwill.demo.commerce import OrderBook
from goodwill.demo.models import HISTORY_DAYS, CatalogProduct
from goodwill.demo.people import Population
from goodwill.demo.touches import Timeline, key
from goodwill.timeline.models import Kind

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

REVIEW_IF_ASKED = 0.22
REVIEW_UNPROMPTED = 0.04
NPS_AFTER_DAYS = 21.0
NPS_MILESTONES = (1, 3, 6, 10)


def reviews(
    rng: np.random.Generator,
    book: OrderBook,
    pop: Population,
    catalog: list[CatalogProduct],
    product_ids: list[int],
    asked_ok: NDArray[np.bool_],
    tl: Timeline,
) -> None:
    """A review request per delivered order (to those who agreed), then reviews per product."""
    b = book.baskets
    delivered = book.life.times["delivered"]
    kept = ~np.isnan(delivered) & np.isnan(book.life.times["returned"])
    opinion = np.array([catalog[p].days_to_opinion for p in b.product.tolist()], dtype=np.float64)
    wait = np.zeros(len(book.person))
    np.maximum.at(wait, b.order, opinion)
    ask_at = delivered + wait + 0.4
    asked = kept & asked_ok[book.person]
    rows = np.flatnonzero(asked)
    tl.add(
        Kind.MESSAGE_SENT,
        book.person[rows],
        ask_at[rows],
        [key("review-request", book.external[i], "sent") for i in rows.tolist()],
        payload=[{"purpose": "reviews", "order": book.external[i]} for i in rows.tolist()],
        channel="email",
        actor="review-request",
        order=rows,
    )
    # Reviews per line: a product is reviewed once per customer.
    line_ok = kept[b.order]
    p_review = np.where(asked[b.order], REVIEW_IF_ASKED, REVIEW_UNPROMPTED)
    write = line_ok & (rng.random(len(b.order)) < p_review)
    person = book.person[b.order]
    pair = person * len(catalog) + b.product
    _, first = np.unique(np.where(write, pair, -1 - np.arange(len(pair))), return_index=True)
    chosen = np.zeros(len(pair), dtype=bool)
    chosen[first] = True
    rows = np.flatnonzero(write & chosen)
    base = np.where(asked[b.order], ask_at[b.order], delivered[b.order] + opinion + 3.0)
    when = base[rows] + rng.exponential(2.5, len(rows))
    quality = np.array([catalog[p].quality for p in b.product[rows].tolist()])
    latent = 0.75 * pop.satisfaction[person[rows]] + 0.55 * quality + rng.normal(0, 0.75, len(rows))
    rating = np.select(
        [latent > 0.05, latent > -0.8, latent > -1.45, latent > -1.95], [5, 4, 3, 2], 1
    )
    pick = rng.integers(0, 4, len(rows))
    payload: list[dict[str, Any] | None] = []
    for j, line in enumerate(rows.tolist()):
        product = int(b.product[line])
        titles = texts.REVIEW_TITLES[int(rating[j])]
        payload.append(
            {
                "rating": int(rating[j]),
                "product_id": int(product_ids[product]),
                "sku": catalog[product].sku,
                "product": catalog[product].name,
                "title": titles[int(pick[j]) % len(titles)],
                "order": book.external[int(b.order[line])],
            }
        )
    keys = [
        key("review", f"{book.external[int(b.order[line])]}/{int(b.line_no[line])}", "submitted")
        for line in rows.tolist()
    ]
    tl.add(
        Kind.REVIEW_SUBMITTED,
        person[rows],
        when,
        keys,
        payload=payload,
        channel="web",
        order=b.order[rows],
    )


def nps(rng: np.random.Generator, book: OrderBook, pop: Population, tl: Timeline) -> None:
    """A survey three weeks after delivery of a customer's 1st, 3rd, 6th and 10th order."""
    delivered = book.life.times["delivered"]
    survey = ~np.isnan(delivered) & np.isin(book.seq, NPS_MILESTONES)
    rows = np.flatnonzero(survey)
    sent_at = delivered[rows] + NPS_AFTER_DAYS
    person = book.person[rows]
    tl.add(
        Kind.MESSAGE_SENT,
        person,
        sent_at,
        [key("nps", book.external[i], "sent") for i in rows.tolist()],
        payload=[{"purpose": "nps", "order": book.external[i]} for i in rows.tolist()],
        channel="email",
        actor="nps-survey",
        order=rows,
    )
    answer = rng.random(len(rows)) < 0.15 + 0.45 * pop.engagement[person]
    rows, sent_at, person = rows[answer], sent_at[answer], person[answer]
    # Trouble before the survey (a return, a refund, a cancellation) weighs on the answer.
    t = book.life.times
    trouble_at = np.fmin(np.fmin(t["returned"], t["refunded"]), t["cancelled"])
    first_trouble = np.full(pop.n, np.inf)
    has = ~np.isnan(trouble_at)
    np.minimum.at(first_trouble, book.person[has], trouble_at[has])
    had_trouble = first_trouble[person] < sent_at
    score = np.rint(
        8.5
        + 1.4 * pop.satisfaction[person]
        + 0.7 * np.log(book.seq[rows])
        - 1.6 * had_trouble
        + rng.normal(0.0, 0.9, len(rows))
    )
    # A few answer in anger, whatever else is true.
    angry = rng.random(len(rows)) < 0.025 + 0.08 * had_trouble
    score = np.where(angry, rng.integers(0, 5, len(rows)), score)
    score = np.clip(score, 0, 10).astype(np.int64)
    payload: list[dict[str, Any] | None] = []
    comment_roll = rng.random(len(rows))
    for j, s in enumerate(score.tolist()):
        group = "promoter" if s >= 9 else "passive" if s >= 7 else "detractor"
        p: dict[str, Any] = {"score": s, "order": book.external[int(rows[j])]}
        if comment_roll[j] < 0.3:
            options = texts.NPS_COMMENTS[group]
            p["comment"] = options[int(comment_roll[j] * 1000) % len(options)]
        payload.append(p)
    tl.add(
        Kind.NPS_ANSWERED,
        person,
        sent_at + rng.exponential(1.2, len(rows)),
        [key("nps", book.external[i], "answered") for i in rows.tolist()],
        payload=payload,
        channel="email",
        order=rows,
    )


def support(rng: np.random.Generator, book: OrderBook, pop: Population, tl: Timeline) -> None:
    """Tickets: trouble with an order (most), or a question out of the blue."""
    t = book.life.times
    trouble = ~np.isnan(t["cancelled"]) | ~np.isnan(t["returned"]) | ~np.isnan(t["refunded"])
    fine = ~np.isnan(t["fulfilled"]) & ~trouble
    ticket = (trouble & (rng.random(len(trouble)) < 0.45)) | (
        fine & (rng.random(len(fine)) < 0.025)
    )
    rows = np.flatnonzero(ticket)
    # The ticket comes just before the cancellation/return/refund, or while the parcel travels.
    anchor = np.where(
        ~np.isnan(t["returned"]),
        t["returned"] - 1.0,
        np.where(~np.isnan(t["refunded"]), t["refunded"] - 2.0, t["fulfilled"] + 1.5),
    )
    anchor = np.where(~np.isnan(t["cancelled"]), t["cancelled"] - 0.02, anchor)
    when = anchor[rows] + rng.uniform(-0.5, 0.5, len(rows))
    pick = rng.integers(0, len(texts.ORDER_TICKETS), len(rows))
    person = book.person[rows]
    general = np.flatnonzero(rng.random(pop.n) < 0.02)
    g_when = pop.acq[general] + rng.exponential(120.0, len(general))
    g_pick = rng.integers(0, len(texts.GENERAL_TICKETS), len(general))
    subjects = [texts.ORDER_TICKETS[k] for k in pick.tolist()]
    subjects += [texts.GENERAL_TICKETS[k] for k in g_pick.tolist()]
    all_person = np.concatenate([person, general])
    all_when = np.concatenate([when, g_when])
    numbers = [f"T{pop.number[p][1:]}-{j}" for j, p in enumerate(all_person.tolist())]
    orders = np.concatenate([rows, np.full(len(general), -1, dtype=np.int64)])
    payload: list[dict[str, Any] | None] = []
    for j, (subject, _channel) in enumerate(subjects):
        status = "open" if all_when[j] > HISTORY_DAYS - 4 else "solved"
        p: dict[str, Any] = {"ticket": numbers[j], "subject": subject, "status": status}
        if orders[j] >= 0:
            p["order"] = book.external[int(orders[j])]
        payload.append(p)
    tl.add(
        Kind.SUPPORT_TICKET,
        all_person,
        all_when,
        [key("ticket", x, "opened") for x in numbers],
        payload=payload,
        channel=[c for _s, c in subjects],
        order=orders,
    )
