"""Rendering the relationship report as one self-contained HTML file with charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from goodwill.kit.money import minor_unit
from goodwill.scoring.charts import bar_chart, heat, line_chart
from goodwill.scoring.report import Report

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _cohort_rows(cohorts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    width = 0
    rows = []
    for c in cohorts:
        periods = sorted((int(k.split("_")[1]), v) for k, v in c.items() if k.startswith("period_"))
        cells = [
            {"text": "" if v is None else f"{100 * v:.0f}%", "color": heat(v)} for _, v in periods
        ]
        width = max(width, len(cells))
        rows.append(
            {
                "cohort": str(c.get("cohort", ""))[:7],
                "size": c.get("cohort_size", ""),
                "cells": cells,
            }
        )
    return rows, width


def render_html(report: Report) -> str:
    capital = report.capital_over_time
    unit = float(minor_unit(report.currency))
    rows, width = _cohort_rows(report.cohorts)
    return _ENV.get_template("report.html.j2").render(
        r=report,
        capital_chart=line_chart(
            [str(c["as_of"]) for c in capital],
            {
                "capital": [c["capital"] / unit for c in capital],
                "health-weighted": [c["health_weighted"] / unit for c in capital],
            },
            title=f"Relationship capital over time ({report.currency})",
        ),
        clv_chart=bar_chart(
            [f"{b['low']:,.0f}" for b in report.clv_histogram],
            [float(b["count"]) for b in report.clv_histogram],
            title="Customers by 12-month CLV",
        ),
        nps_chart=line_chart(
            [str(p["period"])[:7] for p in report.nps_trend if p["nps"] is not None],
            {"NPS": [float(p["nps"]) for p in report.nps_trend if p["nps"] is not None]},
            title="NPS by month",
        ),
        cohort_rows=rows,
        cohort_width=width,
    )
