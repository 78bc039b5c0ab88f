"""The Qianniu (千牛) plain-text export reader."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qc_engine.inputs import iter_text, load_path
from qc_engine.qianniu import parse_qianniu
from qc_engine.transcript import SHANGHAI

from .conftest import FIXTURES

QIANNIU = FIXTURES / "qianniu"
PRESALE = QIANNIU / "presale_size_delivery.txt"
AFTERSALE = QIANNIU / "aftersale_complaint.txt"
TWO = QIANNIU / "two_conversations.txt"


def parse(text: str, *, file: str | None = "chat.txt", agents=()):
    return list(parse_qianniu(text, file=file, agents=agents))


def read(path, agents=()):
    return parse(path.read_text(encoding="utf-8"), file=str(path), agents=agents)


def roles(loaded):
    return [m.role for m in loaded.transcript.messages]


# --- fixtures ------------------------------------------------------------------------------------


def test_presale_fixture():
    [loaded] = read(PRESALE)
    assert loaded.error is None and loaded.line == 1
    t = loaded.transcript
    assert (t.id, t.channel, t.shop, t.agent) == (
        "presale_size_delivery#1",
        "taobao",
        "Q女家旗舰店",
        "伟霆",
    )
    assert roles(loaded) == [
        "customer",
        "customer",
        "agent",
        "customer",
        "agent",
        "customer",
        "agent",
        "customer",
        "agent",
    ]
    assert {m.sender for m in t.messages} == {"tb_buyer_77", "伟霆"}
    assert t.messages[0].ts == datetime(2026, 11, 20, 10, 0, 3, tzinfo=SHANGHAI)
    assert t.messages[0].ts.utcoffset() == timedelta(hours=8)
    assert t.messages[1].text == "[图片]"
    assert t.messages[2].text == "亲亲您好，我是客服伟霆~ 这款目前有货的哦[微笑]"
    assert t.messages[4].text == (
        "亲，按您的身高体重建议拿M码哦~\n"
        "肩宽的话M码也是可以的，版型偏宽松/:^_^\n"
        "如果喜欢宽松一点的效果可以拿L码"
    )


def test_aftersale_fixture_bot_system_and_slow_reply():
    [loaded] = read(AFTERSALE)
    t = loaded.transcript
    assert (t.id, t.shop, t.agent) == ("3308876512", "Q女家旗舰店", "小美")
    assert roles(loaded) == [
        "customer",
        "bot",
        "customer",
        "system",
        "customer",
        "customer",
        "agent",
        "customer",
        "agent",
    ]
    assert [m.sender for m in t.messages[:4]] == ["小鹿爱买买", "店小蜜", "小鹿爱买买", "系统消息"]
    assert t.messages[6].sender == "小美"  # shop prefix with a full-width colon
    assert "转接给" in t.messages[3].text
    assert t.messages[0].text == "你们家衣服怎么回事？刚穿一次就起球了\n质量也太差了吧！！"
    assert t.messages[6].ts - t.messages[5].ts == timedelta(minutes=4, seconds=33)


def test_two_conversations_fixture_error_then_next():
    first, second = read(TWO)
    assert first.transcript is None
    assert (first.error.code, first.error.line, first.error.file) == ("E102", 5, str(TWO))
    assert "2026-11-31 14:02:10" in first.error.message
    assert second.line == 12
    t = second.transcript
    assert t.id == "3308990117"
    assert len(t.messages) == 3
    assert (
        t.messages[1].text
        == "亲，黑色目前没有现货哦，预计下周三补货\n您可以先加购物车，到货了会有提醒的~"
    )


def test_agents_from_caller_when_no_shop_prefix():
    _, without = read(TWO)
    assert roles(without) == ["customer", "customer", "customer"]
    assert without.transcript.agent is None
    _, given = read(TWO, agents=["伟霆"])
    assert roles(given) == ["customer", "agent", "customer"]
    assert (given.transcript.agent, given.transcript.shop) == ("伟霆", None)


@pytest.mark.parametrize("path", [PRESALE, AFTERSALE, TWO], ids=lambda p: p.stem)
def test_load_path_dispatches_text_to_qianniu(path):
    loaded = list(load_path(path, agents=["伟霆"]))
    expected = read(path, agents=["伟霆"])
    assert [(x.line, x.error and str(x.error)) for x in loaded] == [
        (x.line, x.error and str(x.error)) for x in expected
    ]
    assert [x.transcript.to_dict() for x in loaded if x.transcript] == [
        x.transcript.to_dict() for x in expected if x.transcript
    ]
    assert any(x.transcript for x in loaded)


# --- conversations and separators ----------------------------------------------------------------


def test_plain_rule_splits_conversations_with_numbered_ids():
    text = (
        "买家A  2026-11-20 10:00:00\n在吗\n\n================\n买家B  2026-11-20 11:00:00\n你好\n"
    )
    a, b = parse(text, file="/data/exports/1120.txt")
    assert (a.transcript.id, b.transcript.id) == ("1120#1", "1120#2")
    assert (a.line, b.line) == (1, 5)


def test_title_and_session_id_open_one_conversation():
    text = (
        "----- 与 tb_buyer_77 的聊天记录 -----\n会话ID：A1\n"
        "tb_buyer_77  2026-11-20 10:00:00\n在吗\n"
        "会话ID: A2\n与 jenny 的聊天记录\n"
        "jenny  2026-11-20 11:00:00\n你好\n"
    )
    a, b = parse(text)
    assert (a.transcript.id, a.line) == ("A1", 1)
    assert (b.transcript.id, b.line) == ("A2", 5)
    assert [m.text for m in a.transcript.messages] == ["在吗"]


def test_rule_inside_a_message_is_text_and_file_none():
    template = "亲，退换货须知：\n━━━━━━━━━━\n1. 七天无理由退换\n━━━━━━━━━━"
    text = (
        "买家A  2026-11-20 10:00:00\n在吗\n\n"
        f"店:客服  2026-11-20 10:00:05\n{template}\n\n"
        "买家A  2026-11-20 10:01:00\n好的\n"
    )
    [loaded] = parse(text, file=None)
    assert loaded.transcript.id == "qianniu#1"
    assert [m.text for m in loaded.transcript.messages] == ["在吗", template, "好的"]


def test_rule_under_a_message_line_before_a_session_id_is_a_separator():
    text = "买家A  2026-11-20 10:00:00\n在吗\n=====\n\n会话ID: B2\n买家B  2026-11-20 10:01:00\n嗯\n"
    a, b = parse(text)
    assert a.transcript.messages[0].text == "在吗"
    assert (a.transcript.id, b.transcript.id, b.line) == ("chat#1", "B2", 5)


def test_headers_without_blank_lines_between_messages():
    text = "买家A  2026-11-20 10:00:00\n在吗\n店:客服  2026-11-20 10:00:10\n在的亲\n第二行\n"
    [loaded] = parse(text)
    assert [m.text for m in loaded.transcript.messages] == ["在吗", "在的亲\n第二行"]


# --- headers, text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "买家A\t2026-11-20 10:00:00",
        "买家A\u3000\u30002026-11-20 10:00:00",
        "买家A    2026/11/20 10:00:00",
        "买家A  2026-11-20 10:00:00   ",
        "买家A  2026-1-5 9:00:00",
    ],
)
def test_header_variants(header):
    [loaded] = parse(f"{header}\n在吗\n")
    assert loaded.transcript.messages[0].sender == "买家A"
    assert loaded.transcript.messages[0].text == "在吗"


def test_blank_lines_inside_a_message_kept_around_it_dropped():
    text = "店:客服  2026-11-20 10:00:00\n\n第一段  \n\n第二段\n\n\n买家  2026-11-20 10:01:00\n嗯\n"
    [loaded] = parse(text)
    assert [m.text for m in loaded.transcript.messages] == ["第一段\n\n第二段", "嗯"]


def test_crlf_and_bom():
    text = (
        "\ufeff买家A  2026-11-20 10:00:00\r\n在吗\r\n\r\n店:客服  2026-11-20 10:00:05\r\n在的\r\n"
    )
    [loaded] = parse(text)
    assert [m.text for m in loaded.transcript.messages] == ["在吗", "在的"]


def test_header_like_text_inside_a_message_is_text():
    text = "买家A  2026-11-20 10:00:00\n订单信息：\n成交时间 2026-11-19 20:31:07\n"
    [loaded] = parse(text)
    assert loaded.transcript.messages[0].text == "订单信息：\n成交时间 2026-11-19 20:31:07"


# --- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "agents", "role", "name"),
    [
        ("Q女家旗舰店:伟霆", (), "agent", "伟霆"),
        ("Q女家旗舰店：伟霆", (), "agent", "伟霆"),
        ("伟霆", ("伟霆",), "agent", "伟霆"),
        ("Q女家旗舰店:伟霆", ("Q女家旗舰店:伟霆",), "agent", "伟霆"),
        ("Q女家旗舰店:店小蜜", (), "bot", "店小蜜"),
        ("Q女家旗舰店:售前机器人", (), "bot", "售前机器人"),
        ("售后机器人", ("售后机器人",), "bot", "售后机器人"),
        ("店小蜜", (), "bot", "店小蜜"),
        ("机器人爱好者2019", (), "customer", "机器人爱好者2019"),
        ("系统消息", (), "system", "系统消息"),
        ("系统", (), "system", "系统"),
        ("tb_buyer_77", ("伟霆",), "customer", "tb_buyer_77"),
    ],
)
def test_roles(sender, agents, role, name):
    [loaded] = parse(f"{sender}  2026-11-20 10:00:00\n你好\n", agents=agents)
    message = loaded.transcript.messages[0]
    assert (message.role, message.sender) == (role, name)


def test_first_agent_and_shop_skip_bot():
    text = (
        "买家  2026-11-20 10:00:00\n在吗\n\n"
        "店A:店小蜜  2026-11-20 10:00:01\n您好\n\n"
        "店A:小美  2026-11-20 10:01:00\n在的\n\n"
        "店A:伟霆  2026-11-20 10:02:00\n我来接待\n"
    )
    [loaded] = parse(text)
    assert (loaded.transcript.shop, loaded.transcript.agent) == ("店A", "小美")


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("买家A  2026-13-01 10:00:00\n在吗\n", 1, "bad date"),
        ("买家A  2026-11-20 24:00:00\n在吗\n", 1, "bad date"),
        ("买家A  2026-11-20 10:00:00\n在吗\n\n客服 2026-11-20 10:00:10\n在的\n", 4, "one space"),
        ("买家A  2026-11-20 10:00:00\n在吗\n\n客服  2026-11-20 10:00\n在的\n", 4, "bad time"),
        (
            "导出时间：2026-11-21\n买家A  2026-11-20 10:00:00\n在吗\n",
            1,
            "text before the first header",
        ),
        (
            "----- 与 A 的聊天记录 -----\n\n你好\n买家A  2026-11-20 10:00:00\n在吗\n",
            3,
            "text before the first header",
        ),
        ("会话ID: X1\n\n", 1, "holds no messages"),
    ],
)
def test_errors_name_the_line(text, line, words):
    [loaded] = parse(text)
    assert loaded.transcript is None
    error = loaded.error
    assert (error.code, error.line, error.file) == ("E102", line, "chat.txt")
    assert words in error.message
    assert loaded.line == line


def test_error_does_not_lose_neighbouring_conversations():
    text = (
        "会话ID: OK1\n买家A  2026-11-20 10:00:00\n在吗\n\n"
        "会话ID: BAD\n买家B  2026-11-20 10:00:00\n在吗\n\n客服  2026-02-30 10:00:05\n在\n"
        "会话ID: EMPTY\n"
        "会话ID: C1\n买家C  2026-11-20 12:00:00\n嗯\n"
        "----- 与 D 的聊天记录 -----\n买家D  2026-11-20 13:00:00\n嗯\n"
    )
    loaded = parse(text)
    assert [x.transcript.id if x.transcript else x.error.line for x in loaded] == [
        "OK1",
        9,
        11,
        "C1",
        "chat#5",
    ]
    assert "'EMPTY'" in loaded[2].error.message


def test_later_errors_of_a_conversation_become_details():
    text = (
        "买家A  2026-11-20 10:00:00\n在吗\n\n客服  2026-11-20 10:61:00\n在\n\n"
        "买家A 2026-11-20 10:02:00\n?\n"
    )
    [loaded] = parse(text)
    assert loaded.error.line == 4
    assert [d.line for d in loaded.error.details] == [7]


def test_stray_text_reported_once_per_block():
    [loaded] = parse("第一行\n第二行\n\n买家A  2026-11-20 10:00:00\n在吗\n")
    assert loaded.error.line == 1 and not loaded.error.details


@pytest.mark.parametrize("text", ["", "\n\n  \n", "=====\n"])
def test_nothing_to_read(text):
    [loaded] = parse(text)
    assert loaded.error.code == "E102" and loaded.line is None
    assert "no chat messages" in loaded.error.message


def test_iter_text_routes_plain_text_to_qianniu():
    [loaded] = list(iter_text("买家A  2026-11-20 10:00:00\n[微笑]\n", file="x.txt"))
    assert loaded.transcript.id == "x#1"
    assert loaded.transcript.messages[0].text == "[微笑]"


def test_half_a_surrogate_pair_in_text_given_in_memory_is_the_conversations_error():
    """A file read as UTF-8 cannot hold one; a string handed to the library can."""
    first, second = parse(
        "tb_buyer  2026-11-20 10:00:03\n在吗\ud800\n\n"
        "店铺:客服A  2026-11-20 10:00:21\n好的\n\n会话ID: 2\n"
        "tb_b  2026-11-20 10:00:03\n在吗\n"
    )
    assert first.transcript is None
    assert (first.error.code, first.error.line) == ("E102", 2)
    assert "character 3 is half of a surrogate pair" in first.error.message
    assert second.transcript.id == "2"
