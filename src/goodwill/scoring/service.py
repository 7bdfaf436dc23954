"""Use cases of scoring: score a workspace and keep a dated snapshot; read a person's scores.

One run per workspace and day (`as_of` date): scoring again on the same day replaces that day's
snapshot, so the history holds one point per day and trends are real.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection

from goodwill.analytics.metrics import HEALTH_COMPONENTS
from goodwill.errors import InvalidInput
from goodwill.kit.clock import utcnow
from goodwill.kit.money import format_money, minor_digits
from goodwill.scoring.compute import ScoringResult, score_base
from goodwill.scoring.repository import ScoringRepository
from goodwill.workspaces.service import Workspace

SNAPSHOT_COLUMNS = (
    "run_id",
    "person_id",
    "as_of",
    "frequency",
    "recency_days",
    "age_days",
    "p_alive",
    "expected_purchases_90d",
    "clv_minor",
    "clv_percentile",
    "health",
    "engagement",
    "depth",
    "nps_last",
    "rfm",
    "segment",
    "components",
    "explanation",
)


class NothingToScore(InvalidInput):
    code = "scoring.nothing_to_score"


def _as_of_moment(as_of: date | None) -> datetime:
    if as_of is None:
        return utcnow()
    if as_of > utcnow().date():
        raise InvalidInput(f"--as-of {as_of} is in the future", code="scoring.future_as_of")
    return datetime.combine(as_of, time(23, 59, 59), tzinfo=UTC)


def _components(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: {"value": row.get(f"{name}_value"), "contribution": row.get(f"{name}_contribution")}
        for name in HEALTH_COMPONENTS
    }
    out["missing"] = list(row.get("missing") or [])
    return out


def _snapshot_rows(
    result: ScoringResult, run_id: int, day: date, digits: int
) -> list[tuple[Any, ...]]:
    scale = 10**digits
    rows = []
    for r in result.customers.iter_rows(named=True):
        rows.append(
            (
                run_id,
                int(r["person_id"]),
                day,
                int(r["frequency"]),
                float(r["recency"]),
                float(r["T"]),
                float(r["p_alive"]),
                float(r["expected_purchases"]),
                round(float(r["clv"]) * scale),
                float(r["clv_percentile"]),
                float(r["health"] or 0.0),
                float(r["engagement"]),
                float(r["depth"]),
                r.get("nps_answer"),
                r.get("rfm") or "",
                r.get("segment") or "",
                _components(r),
                (r.get("explanation") or "")[:500],
            )
        )
    return rows


def compute_scores(
    conn: Connection, workspace: Workspace, *, as_of: date | None = None
) -> dict[str, Any]:
    """Score every customer of the workspace and store the day's snapshot; returns a summary."""
    repo = ScoringRepository(conn, workspace)
    currencies = repo.currencies()
    if not currencies:
        raise NothingToScore(f"workspace {workspace.name!r} has no orders yet: import orders first")
    currency = currencies[0][0]
    moment = _as_of_moment(as_of)
    digits = minor_digits(currency)
    tx = (
        repo.transactions(currency, moment)
        .with_columns(amount=pl.col("amount_minor").cast(pl.Float64) / float(10**digits))
        .drop("amount_minor")
    )
    interactions = repo.interactions(moment - timedelta(days=365), moment)
    answers = repo.nps_answers(moment)
    purchases = repo.purchases(moment)
    result = score_base(tx, interactions, answers, purchases, as_of=moment.replace(tzinfo=None))
    day = moment.date()
    business = dict(result.business)
    business["excluded_currencies"] = {c: n for c, n in currencies[1:]}
    run_id = repo.replace_run(
        day,
        {
            "computed_at": utcnow(),
            "currency": currency,
            "customers": result.customers.height,
            "model": result.model.name,
            "params": result.model.params,
            "diagnostics": asdict(result.model),
            "capital_minor": round(result.capital * 10**digits),
            "health_weighted_capital_minor": round(result.health_weighted_capital * 10**digits),
            "summary": business,
        },
    )
    repo.insert_snapshots(SNAPSHOT_COLUMNS, _snapshot_rows(result, run_id, day, digits))
    return {
        "as_of": day,
        "currency": currency,
        "customers": result.customers.height,
        "model": asdict(result.model),
        "capital": format_money(round(result.capital * 10**digits), currency),
        "health_weighted_capital": format_money(
            round(result.health_weighted_capital * 10**digits), currency
        ),
        "mean_health": _mean_health(result),
        "segments": business["segments"],
        "nps": business["nps"],
    }


def latest_scores(conn: Connection, workspace: Workspace, person_id: int) -> dict[str, Any] | None:
    """The person's latest snapshot with its explanation and the health trend, for profiles."""
    repo = ScoringRepository(conn, workspace)
    snap = repo.latest_snapshot(person_id)
    if snap is None:
        return None
    run = repo.latest_run()
    currency = run.currency if run is not None else "USD"
    status = (run.diagnostics or {}).get("status", "fitted") if run is not None else "fitted"
    history = repo.person_history(person_id)
    return {
        "as_of": snap.as_of,
        "health": round(float(snap.health), 1),
        "explanation": snap.explanation,
        "p_alive": round(float(snap.p_alive), 3),
        "expected_purchases_90d": round(float(snap.expected_purchases_90d), 2),
        "clv_12m": format_money(int(snap.clv_minor), currency),
        "clv_percentile": round(float(snap.clv_percentile), 1),
        "segment": snap.segment,
        "rfm": snap.rfm,
        "engagement": round(float(snap.engagement), 1),
        "depth": round(float(snap.depth), 1),
        "nps_last": snap.nps_last,
        "model_status": status,
        "components": snap.components,
        "health_trend": [
            {"as_of": h.as_of, "health": round(float(h.health), 1)} for h in reversed(history)
        ],
    }


def _mean_health(result: ScoringResult) -> float:
    value = result.customers["health"].mean()
    return round(float(value), 1) if isinstance(value, int | float) else 0.0
