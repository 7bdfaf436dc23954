"""The demo generator: pure and deterministic.  Batch ``b`` of a run draws from its own stream
``default_rng([seed, 1, b])``, so the same spec always yields the same rows, batch by batch, in
flat memory.  Customers are numbered in order of acquisition across the whole run, so batch
``b`` covers a slice of the shop's history."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from goodwill.demo import commerce, feedback, marketing, relations, staff
from goodwill.demo.catalog import build_catalog
from goodwill.demo.models import (
    BATCH_SIZE,
    HISTORY_DAYS,
    SOURCE,
    Batch,
    CatalogProduct,
    DemoSpec,
    Frame,
)
from goodwill.demo.people import Population, populate
from goodwill.demo.purchases import customer_traits
from goodwill.demo.timebase import at_local_time, local_hours, to_datetime64
from goodwill.demo.touches import Timeline


def catalog_frame(catalog: list[CatalogProduct], currency: str) -> Frame:
    return Frame(
        "products",
        {
            "sku": [p.sku for p in catalog],
            "name": [p.name for p in catalog],
            "category": [p.category for p in catalog],
            "price_minor": [p.price_minor for p in catalog],
            "currency": [currency] * len(catalog),
            "days_to_opinion": [p.days_to_opinion for p in catalog],
        },
    )


def catalog_for(spec: DemoSpec) -> list[CatalogProduct]:
    return build_catalog(spec.seed, spec.currency)


def batches(spec: DemoSpec, product_ids: list[int]) -> Iterator[Batch]:
    """Every batch of the run, in order (``product_ids`` align with :func:`catalog_for`)."""
    catalog = catalog_for(spec)
    if len(product_ids) != len(catalog):
        raise ValueError("product_ids must align with the catalogue")
    email_c = marketing.campaign_calendar(spec.seed, spec.today)
    sms_c = marketing.campaign_calendar(spec.seed, spec.today, sms=True)
    next_order, next_account = 1001, 0
    for b in range(spec.batch_count):
        first = b * BATCH_SIZE
        n = min(BATCH_SIZE, spec.customers - first)
        batch, orders, accounts = generate_batch(
            spec, b, first, n, catalog, product_ids, email_c, sms_c, next_order, next_account
        )
        next_order += orders
        next_account += accounts
        yield batch


def generate_batch(
    spec: DemoSpec,
    index: int,
    first: int,
    n: int,
    catalog: list[CatalogProduct],
    product_ids: list[int],
    email_c: marketing.Campaigns,
    sms_c: marketing.Campaigns,
    first_order_number: int,
    first_account: int,
) -> tuple[Batch, int, int]:
    rng = np.random.default_rng([spec.seed, 1, index])
    start64 = spec.start64
    pop = populate(rng, start64, first, n, spec.customers, spec.currency, first_account)
    # First orders and sign-ups happen at shopping hours of the customer's day.
    pop.acq = np.clip(
        at_local_time(pop.acq, pop.offset, local_hours(rng.random(n))), 0.0, HISTORY_DAYS - 0.01
    )
    # Someone can only tell a friend about the shop once they know it themselves.
    told = pop.referrer >= 0
    late = told & (pop.acq[np.maximum(pop.referrer, 0)] + 0.02 >= pop.acq)
    pop.referrer[late] = -1
    cust = customer_traits(rng, pop)
    tl = Timeline()
    book = commerce.build_orders(rng, pop, cust, catalog, spec.currency, first_order_number)
    orders, lines = commerce.order_frames(book, catalog, product_ids, spec.currency, start64)
    commerce.order_touches(rng, book, pop, catalog, spec.currency, tl)
    consents, (email_iv, sms_iv) = marketing.consents(
        rng, pop, book.first_external, email_c, sms_c, start64, tl
    )
    marketing.campaign_touches(rng, pop, cust.death, email_iv, email_c, "email", tl)
    marketing.campaign_touches(rng, pop, cust.death, sms_iv, sms_c, "sms", tl)
    feedback.reviews(rng, book, pop, catalog, product_ids, consents.reviews, tl)
    feedback.nps(rng, book, pop, tl)
    feedback.support(rng, book, pop, tl)
    owner = relations.owners(rng, pop, book)
    links = relations.links(rng, pop, start64, tl)
    notes = staff.notes(rng, pop, book, owner, start64, tl)
    tasks = staff.tasks(rng, pop, owner, start64, tl)
    staff.personal_messages(rng, pop, owner, tl)
    accounts, memberships = relations.account_frames(pop, start64, rng)
    frames = [
        _persons(pop, owner, tl, start64),
        accounts,
        _identities(pop, tl, start64),
        orders,
        lines,
        memberships,
        links,
        relations.preferences(rng, pop, cust, consents.sms_now, start64),
        relations.facts(rng, pop, book, owner, catalog, start64),
        relations.important_dates(rng, pop, start64),
        consents.frame,
        notes,
        tasks,
        tl.frame(start64),
    ]
    return Batch(index, n, frames), len(book.person), len(pop.accounts.name)


def _persons(
    pop: Population, owner: list[str | None], tl: Timeline, start64: np.datetime64
) -> Frame:
    seen = np.minimum(tl.first_touch(pop.n), pop.acq)
    seen = np.maximum(seen, 0.0)
    updated = np.maximum(tl.last_touch(pop.n), pop.acq)
    tags: list[list[str] | None] = []
    for i in range(pop.n):
        t: list[str] = []
        if owner[i] is not None and pop.account[i] < 0:
            t.append("vip")
        if pop.account[i] >= 0:
            t.append("b2b")
        if pop.lead[i]:
            t.append("newsletter")
        if pop.referrer[i] >= 0:
            t.append("referred")
        tags.append(t or None)
    return Frame(
        "persons",
        {
            "first_name": pop.first,
            "last_name": pop.last,
            "timezone": pop.zone,
            "locale": pop.locale,
            "owner": owner,
            "tags": tags,
            "first_seen_at": to_datetime64(start64, seen),
            "created_at": to_datetime64(start64, seen),
            "updated_at": to_datetime64(start64, updated),
        },
    )


def _identities(pop: Population, tl: Timeline, start64: np.datetime64) -> Frame:
    """Everyone has an email and the shop's customer number; some have a phone."""
    seen = to_datetime64(start64, np.maximum(np.minimum(tl.first_touch(pop.n), pop.acq), 0.0))
    rows: list[tuple[int, str, str]] = []
    for i in range(pop.n):
        rows.append((i, "email", pop.email[i]))
        phone = pop.phone[i]
        if phone:
            rows.append((i, "phone", phone))
        rows.append((i, "external", f"{SOURCE}:{pop.number[i]}"))
    person = np.asarray([r[0] for r in rows], dtype=np.int64)
    return Frame(
        "identities",
        {
            "person_id": person,
            "kind": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "source": [SOURCE] * len(rows),
            "created_at": seen[person],
        },
        {"person_id": "persons"},
    )
