"""The relationship report: what the base is worth, how healthy it is, and who is slipping away.

Built from the latest score run and its snapshots (run `goodwill score` first); the history of
runs gives relationship capital over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection

from goodwill.errors import InvalidInput
from goodwill.kit.money import format_money, minor_unit
from goodwill.scoring.repository import ScoringRepository
from goodwill.workspaces.service import Workspace

SLIPPING_P_ALIVE = 0.5
SLIPPING_TOP_SHARE = 0.2  # "high value": the top 20% by CLV percentile


class NoScoresYet(InvalidInput):
    code = "scoring.no_scores"


@dataclass
class Report:
    workspace: str
    as_of: date
    currency: str
    customers: int
    model: dict[str, Any]
    capital: str
    health_weighted_capital: str
    capital_over_time: list[dict[str, Any]]
    mean_health: float
    nps: dict[str, Any] | None
    nps_trend: list[dict[str, Any]]
    segments: dict[str, int]
    clv_quantiles: dict[str, str]
    clv_histogram: list[dict[str, Any]]
    cohorts: list[dict[str, Any]]
    slipping: list[dict[str, Any]] = field(default_factory=list)
    excluded_currencies: dict[str, int] = field(default_factory=dict)


def _slipping(
    snapshots: pl.DataFrame, previous: pl.DataFrame, currency: str, limit: int
) -> list[dict[str, Any]]:
    """High-value customers whose P(alive) fell below 0.5, or whose health dropped since last run."""
    df = snapshots.join(previous, on="person_id", how="left").with_columns(
        health_change=pl.col("health") - pl.col("previous_health")
    )
    high = df.filter(pl.col("clv_percentile") >= 100 * (1 - SLIPPING_TOP_SHARE))
    risky = high.filter((pl.col("p_alive") < SLIPPING_P_ALIVE) | (pl.col("health_change") <= -10))
    top = risky.sort(["clv_minor"], descending=True).head(limit)
    out = []
    for r in top.iter_rows(named=True):
        name = (
            " ".join(p for p in (r["first_name"], r["last_name"]) if p)
            or f"person {r['person_id']}"
        )
        out.append(
            {
                "person_id": r["person_id"],
                "name": name,
                "clv": format_money(int(r["clv_minor"]), currency),
                "p_alive": round(float(r["p_alive"]), 2),
                "health": round(float(r["health"]), 1),
                "health_change": None
                if r["health_change"] is None
                else round(float(r["health_change"]), 1),
                "segment": r["segment"],
                "orders": int(r["frequency"]) + 1,
                "days_since_last_order": round(float(r["age_days"]) - float(r["recency_days"])),
                "why": r["explanation"],
            }
        )
    return out


def build_report(conn: Connection, workspace: Workspace, *, slipping_limit: int = 20) -> Report:
    repo = ScoringRepository(conn, workspace)
    run = repo.latest_run()
    if run is None:
        raise NoScoresYet(
            f"workspace {workspace.name!r} has no scores yet: run `goodwill score` first"
        )
    currency = run.currency
    summary = dict(run.summary or {})
    snapshots = repo.snapshot_frame(int(run.id))
    mean_health = snapshots["health"].mean()
    return Report(
        workspace=workspace.name,
        as_of=run.as_of,
        currency=currency,
        customers=int(run.customers),
        model=dict(run.diagnostics or {}),
        capital=format_money(int(run.capital_minor), currency),
        health_weighted_capital=format_money(int(run.health_weighted_capital_minor), currency),
        capital_over_time=[
            {
                "as_of": r.as_of,
                "customers": int(r.customers),
                "capital": int(r.capital_minor),
                "health_weighted": int(r.health_weighted_capital_minor),
            }
            for r in repo.runs()
        ],
        mean_health=round(float(mean_health), 1) if isinstance(mean_health, int | float) else 0.0,
        nps=summary.get("nps"),
        nps_trend=list(summary.get("nps_trend", [])),
        segments=dict(summary.get("segments", {})),
        clv_quantiles={
            k: format_money(round(float(v) * minor_unit(currency)), currency)
            for k, v in summary.get("clv_quantiles", {}).items()
        },
        clv_histogram=list(summary.get("clv_histogram", [])),
        cohorts=list(summary.get("cohorts", [])),
        slipping=_slipping(snapshots, repo.previous_health(run.as_of), currency, slipping_limit),
        excluded_currencies=dict(summary.get("excluded_currencies", {})),
    )
