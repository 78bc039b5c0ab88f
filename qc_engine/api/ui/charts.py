"""The dashboard's charts as inline SVG, drawn on the server: no script, no chart library,
nothing fetched. Every bar and point has a <title> (its figures in words, shown on hover
and read by screen readers), a bar that leads somewhere is an SVG link a keyboard reaches
with Tab, and each chart has a table beside it on the page. Colours and sizes are SVG
attributes, never `style=`: the desk's Content-Security-Policy refuses inline styles.

The texts are sized for the viewBox the page gives them (about 1:1 at 1440 px, and not
below 0.8 at 800 px), so the Chinese labels and the numbers stay readable in a screenshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = (
    "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC',"
    "'Source Han Sans SC','WenQuanYi Micro Hei',sans-serif"
)
INK, MUTED, FAINT, GRID = "#1f2937", "#6b7280", "#9ca3af", "#e5e7eb"
BLUE, GREEN, RED, AMBER, GREY, VIOLET = (
    "#2f6690",
    "#1f7a4d",
    "#b42318",
    "#d08a1c",
    "#b8bfca",
    "#6941c6",
)


def _e(value: object) -> str:
    return str(escape(str(value)))


def _width_of(text: str, size: float) -> float:
    """About how wide a text is drawn: a CJK or full-width character is one em, the rest
    a little over half."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.58 for c in text)


def _fit(text: str, width: float, size: float) -> str:
    """The text, cut with an ellipsis to fit `width`."""
    if _width_of(text, size) <= width:
        return text
    while text and _width_of(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 13,
    anchor: str = "start",
    color: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" '
        f'fill="{color}" font-weight="{weight}">{_e(text)}</text>'
    )


def _svg(width: int, height: int, label: str, body: list[str], *, testid: str) -> Markup:
    # role="group", not "img": an image's children are hidden from assistive technology,
    # and the bars inside are links.
    return Markup(  # noqa: S704 (every text and attribute in it went through _e)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="group" aria-label="{_e(label)}" '
        f'font-family="{FONT}" data-testid="{_e(testid)}">'
        f"<title>{_e(label)}</title>{''.join(body)}</svg>"
    )


# Horizontal bars --------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One segment of a bar."""

    value: float
    color: str
    title: str


@dataclass(frozen=True)
class Bar:
    """One row: a label, its segments, the figures after it, and where clicking leads."""

    label: str
    parts: tuple[Part, ...]
    note: str
    title: str
    """The whole row in words: the link's accessible name and the hover text."""
    href: str | None = None
    key: str | None = None
    """What the row stands for (a shop, an agent, a category code), for tests."""


def bar_chart(
    bars: Sequence[Bar],
    *,
    label: str,
    testid: str,
    scale: float | None = None,
    width: int = 600,
) -> Markup:
    """Horizontal bars, one row each, stacked segments; `scale` is the value of a full bar
    (the largest total when not given). The labels take what the longest needs (up to a
    quarter of the width, then cut with an ellipsis), the figures after the bars too."""
    row, bar_h, top, size = 30, 16, 6, 13
    height = top * 2 + row * max(1, len(bars))
    label_width = min(width / 4, max([_width_of(b.label, size) for b in bars] + [size * 2]))
    note_width = min(width * 0.45, max([_width_of(b.note, size - 1) for b in bars] + [0]) + 4)
    x0 = label_width + 12  # 4 units of margin on the left, 8 between a label and its bar
    span = width - x0 - note_width - 8
    full = scale or max([sum(p.value for p in b.parts) for b in bars] + [1.0])
    body = [f'<line x1="{x0:.1f}" y1="{top}" x2="{x0:.1f}" y2="{height - top}" stroke="{GRID}"/>']
    for i, bar in enumerate(bars):
        y = top + row * i
        cells = [
            f'<rect class="hit" x="0" y="{y}" width="{width}" height="{row}" fill="#fff" '
            'fill-opacity="0"/>',
            _text(
                x0 - 8,
                y + row / 2 + size * 0.36,
                _fit(bar.label, label_width, size),
                size=size,
                anchor="end",
            ),
        ]
        x = float(x0)
        for part in bar.parts:
            w = span * max(0.0, part.value) / full if full else 0.0
            if w <= 0:
                continue
            cells.append(
                f'<rect x="{x:.1f}" y="{y + (row - bar_h) / 2:.1f}" width="{max(w, 1.5):.1f}" '
                f'height="{bar_h}" fill="{part.color}"><title>{_e(part.title)}</title></rect>'
            )
            x += w
        cells.append(
            _text(
                x + 6,
                y + row / 2 + size * 0.36,
                _fit(bar.note, width - x - 6, size - 1),
                size=size - 1,
                color=MUTED,
            )
        )
        inner = f"<title>{_e(bar.title)}</title>{''.join(cells)}"
        key = f' data-value="{_e(bar.key)}"' if bar.key is not None else ""
        if bar.href:
            body.append(
                f'<a class="bar-link" href="{_e(bar.href)}" aria-label="{_e(bar.title)}" '
                f'data-testid="bar-link"{key}>{inner}</a>'
            )
        else:
            body.append(f'<g class="bar-row" data-testid="bar"{key}>{inner}</g>')
    return _svg(width, height, label, body, testid=testid)


# The trend --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One bucket of the trend (a day or a week)."""

    label: str
    sublabel: str
    title: str
    mean_score: float | None
    pass_rate: float | None
    """0 to 1."""
    red_lines: int


def _score_axis(values: list[float]) -> tuple[float, float]:
    """Where the 0-100 axis starts and its step: a round number below the lowest value, so
    that a change of a few points shows (the axis labels say where it starts), in at most
    five steps of 2, 5, 10, 20 or 25."""
    lowest = min(values) if values else 0.0
    for step in (2.0, 5.0, 10.0, 20.0, 25.0):
        low = math.floor((lowest - step / 2) / step) * step
        if low >= 0 and (100 - low) / step <= 5:
            return low, step
    return 0.0, 25.0


def trend_chart(points: Sequence[Point], *, label: str, testid: str) -> Markup:
    """Mean score and pass rate (%) as lines on one 0-100 axis, the red lines of each
    bucket as bars in a strip below, sharing the time axis."""
    width, left, right = 880, 50, 18
    top, plot_h, gap, strip_h, axis_h = 42, 170, 20, 50, 42
    height = top + plot_h + gap + strip_h + axis_h
    plot_w = width - left - right
    n = max(1, len(points))
    slot = plot_w / n
    values = [p.mean_score for p in points if p.mean_score is not None]
    values += [p.pass_rate * 100 for p in points if p.pass_rate is not None]
    low, step = _score_axis(values)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (100 - low))

    body: list[str] = []
    # the legend
    legend_x = float(left)
    for color, name, kind in (
        (BLUE, "平均分", "line"),
        (GREEN, "合格率（%）", "line"),
        (RED, "红线数", "bar"),
    ):
        if kind == "line":
            body.append(
                f'<line x1="{legend_x}" y1="14" x2="{legend_x + 22}" y2="14" '
                f'stroke="{color}" stroke-width="3"/>'
            )
        else:
            body.append(f'<rect x="{legend_x + 6}" y="6" width="10" height="14" fill="{color}"/>')
        body.append(_text(legend_x + 28, 19, name, size=14))
        legend_x += 28 + _width_of(name, 14) + 24
    # the score axis
    for i in range(round((100 - low) / step) + 1):
        value = low + step * i
        y = y_of(value)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 6, y + 4, f"{value:g}", size=13, anchor="end", color=MUTED))
    # the red-line strip
    strip_top = top + plot_h + gap
    most = max([p.red_lines for p in points] + [1])
    body.append(_text(left - 6, strip_top + strip_h - 2, "红线", size=13, anchor="end", color=RED))
    body.append(
        f'<line x1="{left}" y1="{strip_top + strip_h}" x2="{width - right}" '
        f'y2="{strip_top + strip_h}" stroke="{GRID}"/>'
    )
    every = max(1, math.ceil(48 / slot))  # a label needs about 48 units
    for i, point in enumerate(points):
        cx = left + slot * (i + 0.5)
        if point.red_lines:
            h = (strip_h - 16) * point.red_lines / most
            bw = min(22.0, slot * 0.6)
            body.append(
                f'<rect x="{cx - bw / 2:.1f}" y="{strip_top + strip_h - h:.1f}" '
                f'width="{bw:.1f}" height="{h:.1f}" fill="{RED}">'
                f"<title>{_e(point.title)}：红线 {point.red_lines} 条</title></rect>"
            )
            body.append(
                _text(
                    cx,
                    strip_top + strip_h - h - 3,
                    str(point.red_lines),
                    size=13,
                    anchor="middle",
                    color=RED,
                    weight="bold",
                )
            )
        if i % every == 0:
            axis_y = strip_top + strip_h + 18
            body.append(_text(cx, axis_y, point.label, size=13, anchor="middle", color=INK))
            body.append(
                _text(cx, axis_y + 17, point.sublabel, size=12, anchor="middle", color=MUTED)
            )
    # the lines, broken where a bucket has no chats
    for attr, color, scale in (("pass_rate", GREEN, 100.0), ("mean_score", BLUE, 1.0)):
        run: list[str] = []
        runs: list[list[str]] = []
        for i, point in enumerate(points):
            value = getattr(point, attr)
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{left + slot * (i + 0.5):.1f},{y_of(value * scale):.1f}")
        if run:
            runs.append(run)
        for line in runs:
            if len(line) > 1:
                body.append(
                    f'<polyline points="{" ".join(line)}" fill="none" stroke="{color}" '
                    'stroke-width="2.5" stroke-linejoin="round"/>'
                )
    for i, point in enumerate(points):
        cx = left + slot * (i + 0.5)
        if point.mean_score is None or point.pass_rate is None:
            continue
        body.append(
            f'<g class="point" data-testid="trend-point"><title>{_e(point.title)}</title>'
            f'<circle cx="{cx:.1f}" cy="{y_of(point.pass_rate * 100):.1f}" r="3.5" '
            f'fill="#fff" stroke="{GREEN}" stroke-width="2"/>'
            f'<circle cx="{cx:.1f}" cy="{y_of(point.mean_score):.1f}" r="4" fill="{BLUE}"/></g>'
        )
    if not values:
        body.append(
            _text(
                left + plot_w / 2,
                top + plot_h / 2,
                "这段时间没有会话",
                size=14,
                anchor="middle",
                color=MUTED,
            )
        )
    return _svg(width, height, label, body, testid=testid)


# Small bars in a table cell ---------------------------------------------------------------


def share_bar(parts: Sequence[Part], *, label: str, width: int = 160) -> Markup:
    """A thin stacked bar of a table row (its figures are in the row's cells)."""
    total = sum(p.value for p in parts)
    body: list[str] = [f'<rect x="0" y="2" width="{width}" height="12" fill="{GRID}"/>']
    x = 0.0
    for part in parts:
        w = width * part.value / total if total else 0.0
        if w > 0:
            body.append(
                f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="12" fill="{part.color}">'
                f"<title>{_e(part.title)}</title></rect>"
            )
            x += w
    return Markup(  # noqa: S704 (every text and attribute in it went through _e)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 16" width="{width}" '
        f'height="16" role="img" aria-label="{_e(label)}"><title>{_e(label)}</title>'
        f"{''.join(body)}</svg>"
    )
