"""Bar chart geometry for the server-side SVG charts. Pure: no Django, no I/O.

The template draws what :func:`bar_chart` computes: one rectangle per value, a few
horizontal grid lines at round values, and the labels to print under the bars.

A chart's user units are meant to be CSS pixels: ``width`` is about the width the chart is
shown at on a 1024-pixel-wide screen (a full-width card for the days, half of it for the
payment methods), so that text drawn at ``FONT_SIZE`` units is rendered at least 11 px
there and larger on wider screens, never squeezed to a few pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 940
HEIGHT = 260
FONT_SIZE = 13  # user units; a chart is never shown narrower than ~85 % of its width
LEFT = 92  # room for the value axis labels
RIGHT = 8
TOP = 12
BOTTOM = 40  # room for the bar labels
GAP = 0.2  # share of each slot left empty between bars
TICKS = 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # printed under the bar when ``show_label``
    title: str  # the tooltip: full label and formatted value
    value: int
    show_label: bool
    label_x: float


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    font_size: int
    left: int
    baseline: float
    label_y: float
    bars: list[Bar]
    ticks: list[Tick]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 4 or 8 times a power of ten at least ``value``: quarters stay round."""
    if value <= 1:
        return 1
    power = 1
    while power * 10 < value:
        power *= 10
    for step in (1, 2, 4, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def bar_chart(
    items: Sequence[tuple[str, int, str]],
    *,
    fmt: Callable[[int], str] = str,
    label_every: int = 1,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Bars for ``(label, value, title)`` items; negative values are drawn as zero.

    ``fmt`` formats the axis values; every ``label_every``-th label is printed (the last
    one always), so that thirty days stay readable; every bar keeps its full title.
    """
    plot_w = width - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    top_value = nice_ceiling(max((v for _, v, _ in items), default=0))
    slot = plot_w / max(1, len(items))
    bar_w = slot * (1 - GAP)
    baseline = TOP + plot_h
    bars = []
    for i, (label, value, title) in enumerate(items):
        h = plot_h * max(0, value) / top_value
        x = LEFT + i * slot + (slot - bar_w) / 2
        bars.append(
            Bar(
                x=round(x, 2),
                y=round(baseline - h, 2),
                width=round(bar_w, 2),
                height=round(h, 2),
                label=label,
                title=title,
                value=value,
                show_label=i % label_every == 0 or i == len(items) - 1,
                label_x=round(x + bar_w / 2, 2),
            )
        )
    ticks = [
        Tick(y=round(baseline - plot_h * n / TICKS, 2), text=fmt(top_value * n // TICKS))
        for n in range(TICKS + 1)
    ]
    return Chart(
        width=width,
        height=height,
        font_size=FONT_SIZE,
        left=LEFT,
        baseline=baseline,
        label_y=baseline + FONT_SIZE + 8,
        bars=bars,
        ticks=ticks,
    )
