from __future__ import annotations

import json

import pytest

from qc_engine.errors import QCError
from qc_engine.inputs import iter_text, load_path
from qc_engine.transcript import transcript_from_dict

GOOD = {
    "id": "T-1",
    "channel": "taobao",
    "shop": "Q女家旗舰店",
    "agent": "伟霆",
    "order_status": "shipped",
    "ticket": "kept",
    "messages": [
        {
            "role": "customer",
            "sender": "tb_buyer_77",
            "ts": "2026-11-20T10:00:03+08:00",
            "text": "在吗？衣服什么时候发货",
            "device": "ios",
        },
        {"role": "agent", "sender": "伟霆", "ts": "2026-11-20 10:00:21", "text": "亲亲您好"},
    ],
}


def test_valid_transcript_keeps_unknown_fields_and_reads_local_time():
    t = transcript_from_dict(GOOD)
    assert t.extra == {"ticket": "kept"}
    assert t.messages[0].extra == {"device": "ios"}
    assert t.messages[1].ts.utcoffset().total_seconds() == 8 * 3600
    assert (t.messages[1].ts - t.messages[0].ts).total_seconds() == 18
    assert t.to_dict()["ticket"] == "kept"


@pytest.mark.parametrize(
    ("patch", "field", "words"),
    [
        ({"id": ""}, "id", "non-empty"),
        ({"messages": []}, "messages", "at least one"),
        ({"messages": [{"role": "seller", "text": "x"}]}, "messages[0].role", "seller"),
        ({"messages": [{"role": "agent"}]}, "messages[0].text", "text"),
        (
            {"messages": [{"role": "agent", "text": "x", "ts": "yesterday"}]},
            "messages[0].ts",
            "ISO 8601",
        ),
        (
            {"messages": [{"role": "agent", "text": "x", "ts": "2026-11-20T10:00:00+20:00"}]},
            "messages[0].ts",
            "UTC offset no time zone has",
        ),
        (
            {"messages": [{"role": "agent", "text": "x", "ts": "2026-11-20T10:00:00-16:30"}]},
            "messages[0].ts",
            "from -14:00 to +14:00",
        ),
        ({"order_status": "lost"}, "order_status", "lost"),
        ({"channel": 5}, "channel", "string"),
        # half of a surrogate pair ("\ud800" in JSON) is no character
        ({"id": "T\ud800"}, "id", "character 2 is half of a surrogate pair"),
        (
            {"messages": [{"role": "system", "text": "会话结束\udc00"}]},
            "messages[0].text",
            "character 5 is half of a surrogate pair (\\udc00)",
        ),
        (
            {"messages": [{"role": "agent", "text": "x", "sender": "\ud83d"}]},
            "messages[0].sender",
            "surrogate",
        ),
        ({"shop": "店\udfff"}, "shop", "surrogate"),
    ],
)
def test_errors_name_the_field(patch, field, words):
    with pytest.raises(QCError) as info:
        transcript_from_dict({**GOOD, **patch}, file="chats.jsonl", line=7)
    err = info.value
    assert err.field == field and err.line == 7 and err.file == "chats.jsonl"
    assert words in err.message
    assert str(err).startswith("chats.jsonl: line 7: " + field)


def test_batch_reports_bad_lines_and_keeps_good_ones(tmp_path):
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        "{not json",
        "",
        json.dumps({**GOOD, "id": "T-2"}, ensure_ascii=False),
        json.dumps({"id": "T-3", "messages": [{"role": "bot"}]}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(load_path(path))
    assert [i.transcript.id for i in items if i.transcript] == ["T-1", "T-2"]
    errors = [i.error for i in items if i.error]
    assert [(e.code, e.line) for e in errors] == [("E100", 2), ("E101", 5)]
    assert errors[1].field == "messages[0].text"


def test_a_lone_surrogate_escape_is_a_bad_line_not_a_crash(tmp_path):
    """JSON can escape half of a surrogate pair; that line is reported, the rest scored."""
    path = tmp_path / "chats.jsonl"
    bad = json.dumps(
        {
            **GOOD,
            "id": "T-2",
            "messages": [
                {"role": "agent", "text": "亲亲您好"},
                {"role": "system", "text": "会话结束\ud800"},
            ],
        }
    )
    assert "\\ud800" in bad
    path.write_text(
        "\n".join([json.dumps(GOOD), bad, json.dumps({**GOOD, "id": "T-3"})]) + "\n",
        encoding="utf-8",
    )
    items = list(load_path(path))
    assert [i.transcript.id for i in items if i.transcript] == ["T-1", "T-3"]
    [error] = [i.error for i in items if i.error]
    assert (error.line, error.field) == (2, "messages[1].text")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"id": "x", "messages": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
        ('{"id": ' + "9" * 5000 + ', "messages": []}', "more than 4,300 digits"),
        ('{"id": "x", "messages": [{"role": "agent", "text": "x", "ts": NaN}]}', "NaN"),
    ],
)
def test_json_the_parser_cannot_take_is_a_bad_line_not_a_crash(tmp_path, bad, words):
    """Deep nesting, numbers past Python's digit limit and NaN were a traceback that lost
    the whole batch; now the line is reported and the others are still read."""
    path = tmp_path / "chats.jsonl"
    path.write_text(
        "\n".join([json.dumps(GOOD), bad, json.dumps({**GOOD, "id": "T-3"})]) + "\n",
        encoding="utf-8",
    )
    items = list(load_path(path))
    assert [i.transcript.id for i in items if i.transcript] == ["T-1", "T-3"]
    [error] = [i.error for i in items if i.error]
    assert (error.code, error.line) == ("E100", 2) and words in error.message
    # the same as a whole document
    [whole] = list(iter_text(bad if bad.startswith("[") else f"[{bad}]", file="x.json"))
    assert whole.error is not None and whole.error.code == "E100"
    assert words in whole.error.message


def test_single_object_and_array_files(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps(GOOD, ensure_ascii=False, indent=2), encoding="utf-8")
    assert [i.transcript.id for i in load_path(one)] == ["T-1"]
    many = tmp_path / "many.json"
    many.write_text(json.dumps([GOOD, {"id": "x"}], ensure_ascii=False, indent=2), encoding="utf-8")
    items = list(load_path(many))
    assert items[0].transcript.id == "T-1"
    assert items[1].error.field == "[1].messages"


def test_byte_order_mark_and_missing_file(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes("\ufeff".encode() + json.dumps(GOOD).encode() + b"\n")
    assert [i.transcript.id for i in load_path(path)] == ["T-1"]
    missing = list(load_path(tmp_path / "nope.jsonl"))
    assert missing[0].error.code == "E103"


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("客服  2026-11-20 10:00:00\n你好".encode("gbk"))
    items = list(load_path(path))
    assert items[0].error.code == "E103" and "UTF-8" in items[0].error.message


def test_iter_text_of_jsonl_counts_lines():
    text = json.dumps(GOOD) + "\n" + "[1, 2]\n"
    items = list(iter_text(text, file="x"))
    assert items[1].error.line == 2


def test_pretty_printed_object_with_an_error_names_its_line(tmp_path):
    path = tmp_path / "one.json"
    path.write_text('\n{\n  "id": "x",\n  "messages": [,]\n}\n', encoding="utf-8")
    items = list(load_path(path))
    assert len(items) == 1 and items[0].error.code == "E100" and items[0].error.line == 4


def test_text_starting_with_a_bracket_is_read_as_qianniu():
    text = "[图片]\n\ntb_buyer  2026-11-20 10:00:00\n你好\n"
    items = list(iter_text(text, file="export.txt"))
    assert all(i.error is None or i.error.code == "E102" for i in items)
