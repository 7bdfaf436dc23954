"""Score triggers: turning a new score run into `score.updated` / `segment.entered` events.

These events are synthesised for the scheduler (not written to the timeline: one per customer
per run would drown it).  ``score.updated`` carries the person's scores and ``previous`` (the
same fields from the preceding run), so a trigger fires only on a crossing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from goodwill.journeys.context import clv_decile
from goodwill.journeys.models import Event
from goodwill.journeys.repository import JourneyRepository
from goodwill.kit.money import minor_unit


def _fields(row: Any, unit: float) -> dict[str, Any]:
    return {
        "p_alive": round(float(row.p_alive), 3),
        "clv": round(int(row.clv_minor) / unit, 2),
        "clv_decile": clv_decile(float(row.clv_percentile)),
        "health": round(float(row.health), 1),
        "segment": row.segment,
    }


def score_events(
    repo: JourneyRepository, *, after_run: int, now: datetime
) -> tuple[int, dict[int, list[Event]]] | None:
    """Events for the newest run after ``after_run`` (None when there is none)."""
    runs = repo.latest_score_runs(2)
    if not runs or int(runs[0].id) <= after_run:
        return None
    latest = runs[0]
    unit = float(minor_unit(latest.currency))
    previous: dict[int, dict[str, Any]] = {}
    if len(runs) > 1:
        earlier_unit = float(minor_unit(runs[1].currency))  # each run in its own currency
        for row in repo.run_snapshots(int(runs[1].id)):
            previous[int(row.person_id)] = _fields(row, earlier_unit)
    at = min(now, datetime.combine(latest.as_of, time(23, 59, 59), tzinfo=UTC))
    events: dict[int, list[Event]] = {}
    for row in repo.run_snapshots(int(latest.id)):
        pid = int(row.person_id)
        fields = _fields(row, unit)
        before = previous.get(pid, {})
        out = [
            Event("score.updated", at, {**fields, "previous": before}, f"score:{latest.id}:{pid}")
        ]
        if before.get("segment") != fields["segment"]:
            out.append(
                Event(
                    "segment.entered",
                    at,
                    {"segment": fields["segment"], "previous_segment": before.get("segment")},
                    f"segment:{latest.id}:{pid}",
                )
            )
        events[pid] = out
    return int(latest.id), events
