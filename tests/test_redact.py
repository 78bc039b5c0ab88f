"""What redaction (QC_REDACT) masks: personal information written in a message, nothing that
only talks about it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("收件人：张三，电话13812345678", ["张三", "13812345678"]),
        (
            "王小明 13912345678 浙江省杭州市西湖区文三路90号",
            ["王小明", "13912345678", "浙江省杭州市西湖区文三路90号"],
        ),
        ("退款打到卡号 6222021234567890128 吧", ["6222021234567890128"]),
        ("请提供收货人姓名和电话", []),  # asked for, not written
        ("订单号6222021234567890128", []),  # an order number, not a card
        ("卡号6222021234567890129", []),  # fails the Luhn check
        ("您好，张先生，电话发我一下", []),
    ],
)
def test_redaction_finds_what_is_personal(normalizer, text, masked):
    from qc_engine.redact import personal_spans

    assert [text[a:b] for a, b in personal_spans(text, normalizer)] == masked


def test_redaction_masks_quotes_cut_short_and_every_address(engine):
    """A flag's evidence may quote a message cut to 30 characters ("…改成了13812345…"): the
    start of the number left there is masked too; a second address in one message, and a
    name with a two-character surname, are masked whole."""
    from qc_engine.redact import personal_spans, redact
    from qc_engine.transcript import transcript_from_dict

    text = (
        "好的亲亲，已经给您备注了，收件人电话改成了13812345678，地址浙江省杭州市西湖区文三路90号，"
        "原来是江苏省南京市鼓楼区中山路1号"
    )
    chat = transcript_from_dict(
        {
            "id": "R",
            "messages": [{"role": "customer", "text": "改下电话"}, {"role": "agent", "text": text}],
        }
    )
    masked, result, count = redact(chat, engine.score(chat), engine.normalizer)
    assert count == 3 and "江苏省" not in masked.messages[1].text
    evidence = " ".join(f.evidence for f in result.flags)
    assert "13812345" not in evidence and "…" in evidence
    assert next(
        (a, b) for a, b in personal_spans("收件人欧阳娜娜，电话13812345678", engine.normalizer)
    ) == (3, 7)
