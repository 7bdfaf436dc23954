"""The CLI's pure formatters: data in, Rich renderables out (rendered here to text)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rich.console import Console, RenderableType

from goodwill.cli.demo import format_months, format_overview, format_summary, overview_to_dict
from goodwill.demo.models import (
    AccountRow,
    ConsentRow,
    GenerateSummary,
    MonthRow,
    Overview,
    RankRow,
)


def _text(renderable: RenderableType) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def _overview() -> Overview:
    return Overview(
        workspace="default",
        people=10,
        buyers=8,
        repeat_buyers=3,
        orders=12,
        cancelled=1,
        returned=1,
        currency="USD",
        revenue_minor=123_456,
        as_of=datetime(2026, 10, 31, tzinfo=UTC),
        months=[MonthRow("2026-09", 4, 40_000, 4), MonthRow("2026-10", 8, 83_456, 6)],
        top_products=[RankRow("Hand Grinder", 3, 26_700)],
        top_categories=[RankRow("coffee", 20, 50_000)],
        accounts=1,
        memberships=3,
        top_accounts=[AccountRow("Northwind Café", "Ana Costa", 3, 2, 9_900)],
        consent=[ConsentRow("marketing", "email", 6, 1)],
        nps_scores={10: 3, 9: 1, 8: 1, 3: 1},
        reviews=4,
        average_rating=4.25,
        interactions=99,
        example_email="ana.costa12@example.com",
    )


def test_overview_shows_the_shop_at_a_glance() -> None:
    text = _text(format_overview(_overview()))
    for expected in (
        "1,234.56 USD", "37.5%", "2026-10", "Hand Grinder", "Northwind Café", "Ana Costa",
        "marketing", "60.0%", "NPS +50 from 6 answers", "4.25", "goodwill people show "
        "ana.costa12@example.com", "goodwill stats",
    ):  # fmt: skip
        assert expected in text, expected


def test_month_bars_scale_to_the_best_month() -> None:
    text = _text(format_months(_overview(), width=10))
    assert "█" * 10 in text and "█" * 5 in text


def test_empty_workspace_points_to_generate() -> None:
    text = _text(format_overview(Overview(workspace="shop")))
    assert "shop is empty" in text and "goodwill demo generate" in text


def test_overview_json_has_the_derived_measures() -> None:
    data = overview_to_dict(_overview())
    assert data["nps"] == 50.0 and data["repeat_rate"] == 3 / 8
    assert data["nps_scores"] == {"3": 1, "8": 1, "9": 1, "10": 3}


def test_summary_lists_rows_and_interactions() -> None:
    summary = GenerateSummary("default", 5000, 42, "USD", date(2026, 11, 1), seconds=3.2)
    summary.add({"persons": 5000, "orders": 9000}, {"order.placed": 9000})
    summary.add({"persons": 0}, {"order.placed": 1})
    text = _text(format_summary(summary))
    assert "5,000 customers" in text and "seed 42" in text and "3.2 s" in text
    assert "9,001" in text and "goodwill demo overview" in text
