"""Charts of the HTML report as inline SVG strings: no script, no external asset, and the
page prints and mails as it is."""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',sans-serif"
INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"
BLUE, LIGHT_BLUE, ORANGE, GREEN, RED, GREY = (
    "#2563eb",
    "#bfdbfe",
    "#ea580c",
    "#16a34a",
    "#dc2626",
    "#cbd5e1",
)


def _text(
    x: float,
    y: float,
    text: Any,
    *,
    size: int = 12,
    anchor: str = "start",
    color: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{color}" font-weight="{weight}">{escape(str(text))}</text>'
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" '
        f'style="max-width:{width}px;font-family:{FONT}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _axis(value: float, ticks: int = 5) -> tuple[float, float]:
    """A round axis maximum at or above `value` and its tick step (1, 2 or 5 times a power
    of ten), with at most `ticks` steps."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if raw <= m * power)
    step = max(step, 1.0)
    return float(math.ceil(value / step) * step), float(step)


def _nice_max(value: float) -> float:
    return _axis(value)[0]


def trend_chart(trend: list[dict[str, Any]], *, target_score: float | None = None) -> str:
    """Chats per week as bars (left axis), mean score and pass rate (%) as lines on a shared
    right axis that starts where the data does, so a small change shows."""
    width, height = 1040, 300
    left, right, top, bottom = 60, 64, 40, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(trend))
    slot = plot_w / n
    chats_max, chats_step = _axis(max([w["chats"] for w in trend] + [1]), ticks=4)
    values = [w["mean_score"] for w in trend if w["mean_score"] is not None]
    values += [w["pass_rate"] * 100 for w in trend if w["pass_rate"] is not None]
    if target_score is not None and values:
        values.append(target_score)
    low = min(90.0, max(0.0, math.floor((min(values) - 2) / 10) * 10)) if values else 0.0
    body = [f'<rect width="{width}" height="{height}" fill="#fff"/>']

    def y_right(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (100 - low))

    for i in range(5):  # the right axis: five lines from `low` to 100
        y = top + plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(
            _text(width - right + 8, y + 4, f"{100 - (100 - low) * i / 4:g}", size=11, color=MUTED)
        )
    tick = 0.0
    while tick <= chats_max:
        y = top + plot_h * (1 - tick / chats_max)
        body.append(_text(left - 8, y + 4, f"{tick:,.0f}", size=11, anchor="end", color=MUTED))
        tick += chats_step
    body.append(_text(left - 8, top - 14, "会话数", size=11, anchor="end", color=MUTED))
    body.append(_text(width - right + 8, top - 14, "分 / %", size=11, color=MUTED))
    for i, week in enumerate(trend):
        x = left + slot * i
        bar_h = plot_h * week["chats"] / chats_max
        body.append(
            f'<rect x="{x + slot * 0.2:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.6:.1f}" height="{bar_h:.1f}" fill="{LIGHT_BLUE}">'
            f"<title>{escape(week['week'])}：{week['chats']:,} 个会话</title></rect>"
        )
        label = week["week"].split("-")[1]
        body.append(
            _text(
                x + slot / 2,
                height - bottom + 16,
                label,
                size=11,
                anchor="middle",
                color=INK if i == n - 1 else MUTED,
                weight="bold" if i == n - 1 else "normal",
            )
        )
        body.append(
            _text(
                x + slot / 2,
                height - bottom + 30,
                week["start"][5:],
                size=10,
                anchor="middle",
                color=MUTED,
            )
        )
    if target_score is not None and low < target_score < 100:
        y = y_right(target_score)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{RED}" stroke-dasharray="5 4" stroke-width="1.2"/>'
        )
        body.append(
            f'<rect x="{left + 4}" y="{y - 17:.1f}" width="86" height="15" '
            f'fill="#fff" opacity="0.85"/>'
        )
        body.append(_text(left + 8, y - 5, f"平均分目标 {target_score:g}", size=11, color=RED))
    for key, color, scale, name in (
        ("mean_score", BLUE, 1, "平均分"),
        ("pass_rate", GREEN, 100, "合格率 %"),
    ):
        points = [
            (left + slot * (i + 0.5), y_right(w[key] * scale))
            for i, w in enumerate(trend)
            if w[key] is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>'
            )
        for (x, y), week in zip(points, [w for w in trend if w[key] is not None], strict=False):
            value = week[key] * scale
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(week['week'])} {name}：{value:.1f}</title></circle>"
            )
    legend = [(LIGHT_BLUE, "会话数"), (BLUE, "平均分"), (GREEN, "合格率 %")]
    x = left
    for color, name in legend:
        body.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>')
        body.append(_text(x + 17, 18, name, size=12))
        x += 92
    return _svg(width, height, "近几周趋势：会话数、平均分、合格率", body)


def category_chart(categories: list[dict[str, Any]], *, limit: int = 12) -> str:
    """Problems per category, this week against the week before, as horizontal bars."""
    rows = categories[:limit]
    width = 1040
    left, right, top, row_h = 128, 80, 34, 30
    height = top + row_h * max(1, len(rows)) + 12
    plot_w = width - left - right
    peak = _nice_max(max([c["flags"] for c in rows] + [c["previous_flags"] for c in rows] + [1]))
    body = [f'<rect width="{width}" height="{height}" fill="#fff"/>']
    body.append(f'<rect x="{left}" y="8" width="12" height="12" fill="{ORANGE}"/>')
    body.append(_text(left + 17, 18, "本周", size=12))
    body.append(f'<rect x="{left + 70}" y="8" width="12" height="12" fill="{GREY}"/>')
    body.append(_text(left + 87, 18, "上周", size=12))
    if not rows:
        body.append(_text(width / 2, top + 20, "本周没有问题记录", anchor="middle", color=MUTED))
    for i, category in enumerate(rows):
        y = top + row_h * i
        body.append(_text(left - 8, y + 18, category["name"], size=12, anchor="end"))
        now_w = plot_w * category["flags"] / peak
        before_w = plot_w * category["previous_flags"] / peak
        color = RED if category["severity"] == "red_line" else ORANGE
        body.append(
            f'<rect x="{left}" y="{y + 4:.1f}" width="{max(now_w, 1):.1f}" '
            f'height="13" fill="{color}"><title>{escape(category["name"])} 本周 '
            f"{category['flags']}</title></rect>"
        )
        body.append(
            f'<rect x="{left}" y="{y + 19:.1f}" width="{max(before_w, 1):.1f}" '
            f'height="6" fill="{GREY}"><title>{escape(category["name"])} 上周 '
            f"{category['previous_flags']}</title></rect>"
        )
        change = category["change"]
        sign = "▲" if change > 0 else ("▼" if change < 0 else "")
        tone = RED if change > 0 else (GREEN if change < 0 else MUTED)
        body.append(_text(left + now_w + 6, y + 15, category["flags"], size=12, weight="bold"))
        body.append(
            _text(
                width - 8,
                y + 15,
                f"{sign}{abs(change)}" if change else "持平",
                size=11,
                anchor="end",
                color=tone,
            )
        )
    return _svg(width, height, "问题分类：本周与上周", body)


def score_histogram(distribution: list[dict[str, Any]]) -> str:
    """Chats per score band."""
    width, height = 520, 260
    left, right, top, bottom = 44, 8, 24, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(distribution)
    slot = plot_w / n
    peak, step = _axis(max([b["chats"] for b in distribution] + [1]), ticks=4)
    body = [f'<rect width="{width}" height="{height}" fill="#fff"/>']
    tick = 0.0
    while tick <= peak:
        y = top + plot_h * (1 - tick / peak)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 6, y + 4, f"{tick:,.0f}", size=11, anchor="end", color=MUTED))
        tick += step
    for i, band in enumerate(distribution):
        x = left + slot * i
        bar_h = plot_h * band["chats"] / peak
        color = GREEN if band["from"] >= 90 else (BLUE if band["from"] >= 60 else RED)
        body.append(
            f'<rect x="{x + slot * 0.12:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.76:.1f}" height="{bar_h:.1f}" fill="{color}">'
            f"<title>{escape(band['bucket'])} 分：{band['chats']:,} 个会话</title></rect>"
        )
        if band["chats"]:
            body.append(
                _text(
                    x + slot / 2,
                    top + plot_h - bar_h - 4,
                    f"{band['chats']:,}",
                    size=11,
                    anchor="middle",
                )
            )
        low_label = "100" if band["from"] == 100 else str(band["from"])
        body.append(
            _text(
                x + slot / 2, height - bottom + 16, low_label, size=11, anchor="middle", color=MUTED
            )
        )
    body.append(
        _text(
            width / 2,
            height - 8,
            "分数段（起始分；100 单列）",
            size=11,
            anchor="middle",
            color=MUTED,
        )
    )
    return _svg(width, height, "分数分布", body)
