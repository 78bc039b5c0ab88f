"""Edge cases of privacy.sensitive_info: what is a full number or address, what is not."""

from __future__ import annotations

from datetime import date

import pytest

from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example
from qc_engine.checkers.sensitive_info import SensitiveInfo, valid_id_number

from ..conftest import LEXICONS

CASES = [
    # (agent message, expected kind in the evidence or None, masked form the evidence shows)
    ("电话13812345678", "完整手机号", "138****5678"),
    ("电话 138 1234 5678", "完整手机号", "138****5678"),
    ("电话138-1234-5678", "完整手机号", "138****5678"),
    ("电话+86 13812345678", "完整手机号", "138****5678"),
    ("电话：１３８１２３４５６７８", "完整手机号", "138****5678"),
    ("电话幺三八一二三四五六七八", "完整手机号", "138****5678"),
    ("电话12812345678", None, None),  # 12x is no mobile prefix
    ("电话1381234567", None, None),  # 10 digits
    ("单号138123456789", None, None),  # 12 digits
    ("138****5678", None, None),
    ("sf13812345678901", None, None),
    ("yt13812345678", None, None),
    ("快递单号：13812345678", None, None),
    ("快递员电话：13812345678", "完整手机号", "138****5678"),  # a phone word wins
    ("座机010-62345678", "带区号的固定电话", "010-****5678"),
    ("座机(0571)88886666", "带区号的固定电话", "0571-****6666"),
    ("座机0571-88886666-801", "带区号的固定电话", "0571-****6666"),
    ("活动时间0571-0600", None, None),
    ("身份证11010519491231002X", "完整身份证号", "110105********002x"),
    ("身份证110105 19491231 002X", "完整身份证号", "110105********002x"),
    ("身份证110105194912310021", None, None),  # wrong check digit
    ("身份证110105194913310028", None, None),  # month 13
    ("身份证991051949123100211", None, None),  # no such region
    ("地址浙江省杭州市西湖区文三路100号", "完整地址", "浙江省杭州市西湖区文三路***号"),
    ("寄到杭州市西湖区文三路100号", "完整地址", "杭州市西湖区文三路***号"),
    (
        "地址广西壮族自治区南宁市青秀区民族大道12号",
        "完整地址",
        "广西壮族自治区南宁市青秀区民族大道**号",
    ),
    ("地址河南省周口市太康县城关镇人民路12号", "完整地址", "河南省周口市太康县城关镇人民路**号"),
    ("地址上海浦东新区张江路8号", "完整地址", "上海浦东新区张江路*号"),
    ("地址浙江省杭州市西湖区", None, None),
    ("杭州市文三路100号", None, None),  # no district
    ("寄回地址：浙江省杭州市西湖区文三路100号 0571-88886666", None, None),
]


@pytest.mark.parametrize(("text", "kind", "masked"), CASES)
def test_sensitive_info(text, kind, masked, normalizer):
    hits = run_example(
        SensitiveInfo, Example(f"a: {text}"), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    if kind is None:
        assert not hits, hits[0].evidence
        return
    assert len(hits) == 1
    assert kind in hits[0].evidence and f"「{masked}」" in hits[0].evidence, hits[0].evidence
    start, end = hits[0].span
    assert 0 <= start < end <= len(text)


def test_customer_numbers_are_not_inspected(normalizer):
    hits = run_example(
        SensitiveInfo,
        Example("c: 我的电话13812345678\na: 好的已备注"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert hits == []


def test_echo_of_customer_number_has_lower_confidence(normalizer):
    hits = run_example(
        SensitiveInfo,
        Example("c: 电话138 1234 5678\na: 好的，13812345678对吧"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert [h.message_index for h in hits] == [1]
    assert hits[0].confidence < 1.0 and "买家" in hits[0].evidence


def test_kinds_param(normalizer):
    example = Example("a: 电话13812345678", params={"kinds": ["address"]})
    assert run_example(SensitiveInfo, example, lexicon_dir=LEXICONS, normalizer=normalizer) == []


def test_several_kinds_in_one_message_make_one_flag(normalizer):
    text = "a: 收件人张三 13812345678 浙江省杭州市西湖区文三路100号"
    hits = run_example(SensitiveInfo, Example(text), lexicon_dir=LEXICONS, normalizer=normalizer)
    assert len(hits) == 1 and "另有完整地址" in hits[0].evidence


def test_valid_id_number():
    assert valid_id_number("11010519491231002x")
    assert valid_id_number("110105209912310029", today=date(2100, 1, 1))
    assert not valid_id_number("110105209912310029", today=date(2026, 1, 1))  # not born yet
