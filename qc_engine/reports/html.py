"""The HTML form of a weekly report: one self-contained page in Simplified Chinese (styles
inline, charts as inline SVG, no script, no external asset), rendered from the JSON form."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from qc_engine.reports import svg
from qc_engine.service.review import status_zh
from qc_engine.settings import package_path
from qc_engine.taxonomy import CATEGORIES

TEMPLATES = package_path("reports", "templates")
SOURCE_ZH = {"rule": "规则", "model": "模型"}


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or (float(value).is_integer() and digits == 0):
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def seconds(value: float | None) -> str:
    """48 秒, 3 分 12 秒: as the checkers' evidence reads."""
    if value is None:
        return "—"
    total = max(0, math.ceil(value))
    if total < 60:
        return f"{total} 秒"
    minutes, rest = divmod(total, 60)
    return f"{minutes} 分 {rest} 秒" if rest else f"{minutes} 分钟"


def change(
    value: float | None,
    *,
    digits: int = 1,
    percent: bool = False,
    lower_is_better: bool = False,
    neutral: bool = False,
) -> Markup:
    """▲/▼ with the colour of good or bad news (grey when it is neither)."""
    if value is None:
        return Markup('<span class="muted">—</span>')
    shown = value * 100 if percent else value
    if round(shown, digits) == 0:
        return Markup('<span class="muted">持平</span>')
    up = shown > 0
    good = up != lower_is_better
    text = f"{'▲' if up else '▼'}{abs(shown):,.{digits}f}{' 个百分点' if percent else ''}"
    tone = "muted" if neutral else ("good" if good else "bad")
    return Markup(f'<span class="{tone}">{text}</span>')  # noqa: S704 (numbers and arrows only)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=pct,
        num=num,
        seconds=seconds,
        change=change,
        status_zh=status_zh,
        source_zh=lambda s: SOURCE_ZH.get(s, s),
        category_zh=lambda c: CATEGORIES[c].name_zh if c in CATEGORIES else c,
    )
    return env


def render_html(report: dict[str, Any]) -> str:
    options = report["options"]
    charts = {
        # svg.py escapes every text it draws
        "trend": Markup(  # noqa: S704
            svg.trend_chart(report["trend"], target_score=options["target_mean_score"])
        ),
        "categories": Markup(svg.category_chart(report["categories"])),  # noqa: S704
        "scores": Markup(svg.score_histogram(report["score_distribution"])),  # noqa: S704
    }
    return (
        _environment()
        .get_template("weekly.html.j2")
        .render(r=report, c=report["coverage"], o=options, charts=charts)
    )
