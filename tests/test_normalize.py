from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("加 我 微 信", "加我微信"),
        ("加我薇❤信", "加我微信"),
        ("加我薇❤", "加我微"),
        ("加.微.信", "加微信"),
        ("加我V信", "加我微信"),
        ("加我ｖｘ", "加我微信"),
        ("加我 VX 号", "加我微信号"),
        ("威信聊", "微信聊"),
        ("扣扣号多少", "qq号多少"),
        ("發貨時間", "发货时间"),
        ("ＡＢＣ１２３，", "abc123,"),
        ("电话幺三八一二三四五六七八", "电话13812345678"),
        ("一下就好", "一下就好"),
        ("3.5 ok thanks", "3.5 ok thanks"),
        ("亲亲您好[微笑]今天发", "亲亲您好今天发"),
        ("好的/:^_^", "好的"),
        ("[图片]", "[图片]"),
        ("devx is vx", "devx is 微信"),
    ],
)
def test_normalised_text(normalizer, original, expected):
    assert normalizer.normalize(original).text == expected


@pytest.mark.parametrize(
    ("original", "phrase", "quoted"),
    [
        ("亲，加 我 V 信 详聊", "加我微信", "加 我 V 信"),
        ("有事加我薇❤信哦", "加我微信", "加我薇❤信"),
        ("[微笑]加.微.信", "加微信", "加.微.信"),
        ("幺三八一二三四五六七八是我电话", "13812345678", "幺三八一二三四五六七八"),
        ("發貨時間", "发货", "發貨"),
    ],
)
def test_spans_map_back_to_the_original(normalizer, original, phrase, quoted):
    norm = normalizer.normalize(original)
    start = norm.text.index(phrase)
    s, e = norm.to_original(start, start + len(phrase))
    assert original[s:e] == quoted


def test_emoticons_are_emoji_not_text(normalizer):
    norm = normalizer.normalize("好的[微笑]收到/:^_^😊🙄[白眼]")
    codes = [(e.code, e.kind) for e in norm.emoji]
    assert codes == [
        ("[微笑]", "cheerful"),
        ("/:^_^", "cheerful"),
        ("😊", "cheerful"),
        ("🙄", "mocking"),
        ("[白眼]", "mocking"),
    ]
    assert "微笑" not in norm.text and "白眼" not in norm.text
    first = norm.emoji[0]
    assert "好的[微笑]收到/:^_^😊🙄[白眼]"[first.start : first.end] == "[微笑]"


def test_unknown_bracket_codes_stay_text(normalizer):
    norm = normalizer.normalize("[图片][商品链接]")
    assert norm.emoji == ()
    assert norm.text == "[图片][商品链接]"


def test_fast_path_keeps_offsets_identical(normalizer):
    norm = normalizer.normalize("亲亲您好，今天下午四点前发出哦")
    assert norm.starts is None
    assert norm.to_original(2, 4) == (2, 4)


def test_clause_is_bounded_by_punctuation(normalizer):
    norm = normalizer.normalize("不能打电话，加微信吧")
    start = norm.text.index("加微信")
    assert norm.clause(start, start + 3) == "加微信吧"


def test_every_kept_character_maps_back_to_itself(normalizer):
    """Where normalisation only removed characters (emoji, wedged separators), each
    character of the text maps back to the one original character it came from, in
    order; spans over several characters cover from the first to the last."""
    from qc_engine.chatgen import generate
    from qc_engine.normalize import _NUMERAL_TABLE, _TABLE

    texts = [m.text for t in generate(300, seed=3) for m in t.messages] + [
        "[微笑]",
        "😀😀",
        "加 我 微 信[微笑]",
        "薇❤信😀好",
        "[微笑]亲~ 好的 哦😀",
        "a b",
        "",
        "亲亲[爱心][爱心]马上发货",
        "😀加*微*信😀",
        "一三八一二三四五六七八",
        "~~~",
    ]
    checked = 0
    for original in texts:
        norm = normalizer.normalize(original)
        if norm.starts is not None:
            continue  # evasions were canonicalised: not a one-to-one map
        previous = -1
        for i, ch in enumerate(norm.text):
            start, end = norm.to_original(i, i + 1)
            assert end == start + 1 and start > previous, (original, i)
            assert original[start].translate(_TABLE).translate(_NUMERAL_TABLE) == ch.translate(
                _NUMERAL_TABLE
            ), (original, i)
            previous = start
            checked += 1
        if norm.text:
            assert norm.to_original(0, len(norm.text)) == (
                norm.to_original(0, 1)[0],
                norm.to_original(len(norm.text) - 1, len(norm.text))[1],
            )
        assert norm.to_original(len(norm.text), len(norm.text))[0] == len(original)
    assert checked > 10_000


def test_half_a_surrogate_pair_becomes_the_replacement_character(normalizer):
    """Parsing refuses one; a Transcript built in code may still hold one."""
    norm = normalizer.normalize("稍等\ud800哦")
    assert norm.text == "稍等\ufffd哦" and norm.to_original(2, 3) == (2, 3)


def test_a_transcript_built_in_code_with_half_a_surrogate_pair_scores(engine):
    from qc_engine.transcript import Message, Transcript

    transcript = Transcript(
        id="s",
        order_status="shipped",
        messages=[
            Message("customer", "到哪了\udc00"),
            Message("agent", "亲，稍等\ud800我查一下"),
            Message("system", "会话结束\ud83d"),
        ],
    )
    result = engine.score(transcript)  # the phrase scan and both models read every text
    assert result.checklist.startswith("aftersale")
