"""Pushes per hour by outcome over the last day, as an SVG drawn on the server (pure)."""
from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

OUTCOMES = (("success", "#2e7d32"), ("failed", "#c62828"), ("timed_out", "#ef6c00"),
            ("pending", "#607d8b"), ("sending", "#90a4ae"))
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 40, 30, 10


def hours(now: datetime) -> list[datetime]:
    last = now.replace(minute=0, second=0, microsecond=0)
    return [last - timedelta(hours=23 - i) for i in range(24)]


def _bar(x: float, y: float, w: float, h: float, color: str, label: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{color}">'
            f'<title>{escape(label)}</title></rect>')


def pushes_svg(counts: dict[tuple[datetime, str], int], now: datetime) -> str:
    """``counts``: (hour, outcome) → pushes. 24 stacked bars, a y-axis and a legend."""
    slots = hours(now)
    totals = [sum(counts.get((h, o), 0) for o, _ in OUTCOMES) for h in slots]
    peak = max(max(totals), 1)
    plot_h, step = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT) / 24
    parts = [f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
             f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11">{peak}</text>',
             f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end" font-size="11">0</text>']
    for i, hour in enumerate(slots):
        y = HEIGHT - BOTTOM
        for outcome, color in OUTCOMES:
            n = counts.get((hour, outcome), 0)
            if n:
                h = n / peak * plot_h
                y -= h
                parts.append(_bar(LEFT + i * step + 2, y, step - 4, h, color,
                                  f"{hour:%H}:00 UTC: {n} {outcome.replace('_', ' ')}"))
        if i % 3 == 0:
            parts.append(f'<text x="{LEFT + i * step + step / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
                         f'font-size="11">{hour:%H}:00</text>')
    for j, (outcome, color) in enumerate(OUTCOMES):
        x = LEFT + j * 110
        parts.append(f'<rect x="{x}" y="{HEIGHT + 6}" width="10" height="8" fill="{color}"/>'
                     f'<text x="{x + 14}" y="{HEIGHT + 14}" font-size="11">{outcome.replace("_", " ")}</text>')
    summary = ", ".join(f"{o.replace('_', ' ')} {sum(counts.get((h, o), 0) for h in slots)}" for o, _ in OUTCOMES)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 20}" role="img" '
            f'aria-labelledby="chart-title" class="chart"><title id="chart-title">Pushes per hour by outcome, '
            f'last 24 hours: {escape(summary)}</title>{"".join(parts)}</svg>')
