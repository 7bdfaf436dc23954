"""Small inline SVG charts for the HTML report (no scripts, no CDN: the file works offline)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 640, 220, 36


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, color: str = "#3b7a57"
) -> str:
    if not values:
        return f'<p class="empty">{escape(title)}: no data</p>'
    top = max(max(values), 1e-9)
    n = len(values)
    slot = (WIDTH - 2 * PAD) / n
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (HEIGHT - 2 * PAD) * value / top
        x = PAD + i * slot
        y = HEIGHT - PAD - h
        bars.append(
            f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{max(slot - 4, 1):.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(label)}: {value:,.0f}</title></rect>"
        )
        if n <= 16 or i % max(1, n // 8) == 0:
            bars.append(
                f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return _frame(title, "".join(bars), top)


def line_chart(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str) -> str:
    colors = ["#3b7a57", "#c0643b", "#4a6fa5"]
    points = [v for values in series.values() for v in values]
    if not points:
        return f'<p class="empty">{escape(title)}: no data</p>'
    low, high = min(min(points), 0.0), max(max(points), 1e-9)
    n = max(len(labels), 1)
    step = (WIDTH - 2 * PAD) / max(n - 1, 1)

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - low) / (high - low or 1)

    body = []
    for k, (name, values) in enumerate(series.items()):
        coords = " ".join(f"{PAD + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
        color = colors[k % len(colors)]
        body.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>')
        for i, v in enumerate(values):
            body.append(
                f'<circle cx="{PAD + i * step:.1f}" cy="{y(v):.1f}" r="3" fill="{color}"><title>{escape(labels[i])}: {v:,.1f}</title></circle>'
            )
        body.append(
            f'<text x="{WIDTH - PAD}" y="{14 + 14 * k}" font-size="11" text-anchor="end" fill="{color}">{escape(name)}</text>'
        )
    for i, label in enumerate(labels):
        if n <= 12 or i % max(1, n // 6) == 0:
            body.append(
                f'<text x="{PAD + i * step:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" text-anchor="middle">{escape(label)}</text>'
            )
    if low < 0:
        body.append(
            f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#999" stroke-dasharray="3"/>'
        )
    return _frame(title, "".join(body), high, low)


def _frame(title: str, body: str, top: float, low: float = 0.0) -> str:
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{escape(title)}">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>'
        f'<text x="4" y="{PAD}" font-size="10">{top:,.0f}</text>'
        f'<text x="4" y="{HEIGHT - PAD}" font-size="10">{low:,.0f}</text>'
        f"{body}</svg></figure>"
    )


def heat(value: float | None) -> str:
    """Background colour for a retention share (0..1) in the cohort table."""
    if value is None:
        return "#f4f4f4"
    shade = int(255 - 150 * max(0.0, min(1.0, value * 3)))
    return f"rgb({shade},{min(255, shade + 40)},{shade})"
