"""Score events: each run's money is read in that run's own currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast

from goodwill.journeys.repository import JourneyRepository
from goodwill.journeys.scores import score_events


def _snapshot(clv_minor: int, segment: str) -> SimpleNamespace:
    return SimpleNamespace(
        person_id=7, p_alive=0.4, clv_minor=clv_minor, clv_percentile=95.0, health=40.0,
        segment=segment,
    )  # fmt: skip


class _Runs:
    def __init__(self) -> None:
        self.runs = [
            SimpleNamespace(id=2, as_of=date(2026, 11, 2), currency="USD"),
            SimpleNamespace(id=1, as_of=date(2026, 11, 1), currency="JPY"),
        ]
        self.snapshots = {2: [_snapshot(90_000, "at_risk")], 1: [_snapshot(90_000, "loyal")]}

    def latest_score_runs(self, limit: int = 2) -> list[Any]:
        return self.runs[:limit]

    def run_snapshots(self, run_id: int) -> list[Any]:
        return self.snapshots[run_id]


def test_the_previous_run_is_read_in_its_own_currency() -> None:
    repo = cast(JourneyRepository, _Runs())
    found = score_events(repo, after_run=1, now=datetime(2026, 11, 3, tzinfo=UTC))
    assert found is not None
    run, events = found
    assert run == 2
    updated = events[7][0]
    assert updated.payload["clv"] == 900.0  # 90,000 cents
    assert updated.payload["previous"]["clv"] == 90_000.0  # 90,000 yen: JPY has no minor unit
    assert [e.kind for e in events[7]] == ["score.updated", "segment.entered"]
