"""What redaction (QC_REDACT) masks: personal information written in a message, nothing that
only talks about it."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("text", "masked"), [
    ("收件人：张三，电话13812345678", ["张三", "13812345678"]),
    ("王小明 13912345678 浙江省杭州市西湖区文三路90号", ["王小明", "13912345678",
                                                  "浙江省杭州市西湖区文三路90号"]),
    ("退款打到卡号 6222021234567890128 吧", ["6222021234567890128"]),
    ("请提供收货人姓名和电话", []),               # asked for, not written
    ("订单号6222021234567890128", []),           # an order number, not a card
    ("卡号6222021234567890129", []),             # fails the Luhn check
    ("您好，张先生，电话发我一下", []),
])
def test_redaction_finds_what_is_personal(normalizer, text, masked):
    from qc_engine.redact import personal_spans

    assert [text[a:b] for a, b in personal_spans(text, normalizer)] == masked
