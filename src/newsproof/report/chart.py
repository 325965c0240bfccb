"""Run history as a stacked bar chart drawn in inline SVG (no script): geometry only, the
template draws it. Each bar is one run, stacked errors / warnings / infos, with its total
written above it and its date below."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .data import HistoryPoint

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 22, 40


@dataclass(frozen=True)
class Segment:
    severity: str
    y: float
    height: float
    count: int


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    center: float
    top: float
    total: int
    date: str
    time: str
    show_label: bool  # crowded charts label every n-th bar, counted back from this run
    run_id: str
    status: str
    current: bool
    segments: list[Segment]
    counts: dict[str, int]


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 x 10^n at or above value (axis top)."""
    if value <= 0:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def history_chart(points: list[HistoryPoint], current_run: str) -> Chart:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    top = _nice_max(max((p.total for p in points), default=0))
    slot = plot_w / max(len(points), 1)
    bar_w = min(48.0, slot * 0.6)
    every = max(1, math.ceil(44 / slot))
    bars = []
    for i, point in enumerate(points):
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = baseline
        segments = []
        for severity, count in (("error", point.errors), ("warning", point.warnings), ("info", point.infos)):
            h = plot_h * count / top
            if count:
                y -= h
                segments.append(Segment(severity, round(y, 2), round(h, 2), count))
        date = point.started_at.strftime("%d %b") if point.started_at else point.run_id[:8]
        time = point.started_at.strftime("%H:%M") if point.started_at else ""
        current = point.run_id == current_run
        bars.append(Bar(round(x, 2), round(bar_w, 2), round(x + bar_w / 2, 2), round(y, 2), point.total,
                        date, time, (len(points) - 1 - i) % every == 0, point.run_id, point.status, current, segments,
                        {"error": point.errors, "warning": point.warnings, "info": point.infos}))
    ticks = [Tick(round(baseline - plot_h * value / top, 2), value) for value in sorted({0, top // 2, top})]
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, baseline, bars, ticks)
