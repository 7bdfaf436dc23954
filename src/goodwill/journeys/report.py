"""`goodwill journeys report`: the uplift of a journey over its holdout group."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection

from goodwill.analytics.uplift import UpliftReport, uplift
from goodwill.journeys.repository import JourneyRepository
from goodwill.journeys.service import JourneyNotFound, unknown_journey
from goodwill.kit.clock import as_utc, utcnow
from goodwill.kit.money import minor_unit
from goodwill.workspaces.service import Workspace


def _naive(value: datetime) -> datetime:
    return as_utc(value).astimezone(UTC).replace(tzinfo=None)


def journey_uplift(
    conn: Connection, ws: Workspace, key: str, *, window_days: int = 90, now: datetime | None = None
) -> tuple[UpliftReport, str]:
    """Uplift of one journey, with revenue in the workspace's main currency (major units)."""
    repo = JourneyRepository(conn, ws)
    row = repo.journey_row(key)
    if row is None:
        raise JourneyNotFound(unknown_journey(key))
    enrolled, orders = repo.uplift_inputs(int(row.id))
    currency = Counter(r.currency for r in orders).most_common(1)[0][0] if orders else "USD"
    scale = float(minor_unit(currency))
    enrolments = pl.DataFrame(
        [(int(r.person_id), _naive(r.entered_at), bool(r.holdout)) for r in enrolled],
        schema={"person_id": pl.Int64, "entered_at": pl.Datetime("us"), "holdout": pl.Boolean},
        orient="row",
    )
    purchases = pl.DataFrame(
        [(int(r[0]), _naive(r[1]), int(r[2]) / scale) for r in orders if r[3] == currency],
        schema={"person_id": pl.Int64, "ordered_at": pl.Datetime("us"), "amount": pl.Float64},
        orient="row",
    )
    moment = _naive(now or utcnow())
    return uplift(enrolments, purchases, window_days=window_days, as_of=moment), currency
