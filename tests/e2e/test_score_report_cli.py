from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from tests import builders as b
from tests.e2e.conftest import Cli

from goodwill.db.engine import make_engine
from goodwill.workspaces.service import get_or_create


def _shop(db_url: str, customers: int = 60) -> None:
    """A small shop: customers buying at different rates, some answering NPS."""
    rng = np.random.default_rng(7)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
        for i in range(customers):
            pid = b.person(conn, ws, email=f"c{i}@example.com")
            start = b.T0 - timedelta(days=int(rng.integers(60, 300)))
            for k in range(1 + int(rng.poisson(1.2))):
                at = start + timedelta(days=int(k * rng.integers(10, 60)))
                if at > b.T0:
                    break
                b.order(conn, ws, pid, placed_at=at, total_minor=int(rng.integers(1500, 9000)))
            if i % 3 == 0:
                b.interaction(
                    conn,
                    ws,
                    pid,
                    "nps.answered",
                    payload={"score": int(rng.integers(0, 11))},
                    occurred_at=start,
                )
    engine.dispose()


def test_score_then_people_show_and_report(cli: Cli, db_url: str, tmp_path: Path) -> None:
    _shop(db_url)
    scored = cli("score", "--as-of", "2026-01-05", "--json")
    assert scored.exit_code == 0, scored.stderr
    summary = scored.json()
    assert summary["customers"] == 60 and summary["currency"] == "USD"
    assert summary["model"]["status"] in {"fitted", "uncertain", "default model"}
    prof = cli("people", "show", "c0@example.com", "--json").json()
    scores = prof["scores"]
    assert 0 <= scores["health"] <= 100 and 0 <= scores["p_alive"] <= 1
    assert scores["explanation"].startswith("health ")
    # scoring again the same day replaces the day's snapshot instead of adding one
    assert cli("score", "--as-of", "2026-01-05", "--json").exit_code == 0
    assert cli("score", "--as-of", "2026-01-06", "--json").exit_code == 0
    trend = cli("people", "show", "c0@example.com", "--json").json()["scores"]["health_trend"]
    assert [t["as_of"] for t in trend] == ["2026-01-05", "2026-01-06"]
    report = cli("report", "--json").json()
    assert report["customers"] == 60 and len(report["capital_over_time"]) == 2
    assert report["nps"]["n"] == 20
    html = tmp_path / "report.html"
    assert cli("report", "--html", str(html)).exit_code == 0
    page = html.read_text()
    assert "Relationship report" in page and "<svg" in page and "Retention cohorts" in page
    text = cli("report")
    assert text.exit_code == 0 and "relationship capital" in text.stdout


def test_score_without_orders_is_a_clear_error(cli: Cli) -> None:
    result = cli("score")
    assert result.exit_code == 1 and "no orders yet" in result.stderr
    assert "run `goodwill score` first" in cli("report").stderr


def test_score_rejects_a_future_date(cli: Cli, db_url: str) -> None:
    _shop(db_url, customers=5)
    result = cli("score", "--as-of", "2999-01-01")
    assert result.exit_code == 1 and "in the future" in result.stderr
    assert "is not a date" in cli("score", "--as-of", "yesterday").stderr
