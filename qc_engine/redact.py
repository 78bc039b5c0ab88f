"""Redaction of personal information (QC_REDACT): ID numbers, mobile and landline numbers,
full addresses (the `sensitive_info` detectors), bank card numbers (16-19 digits passing
the Luhn check, not an order or tracking number) and names where a text says it is one
(after 收件人, 姓名, 联系人…, or a name written before a phone number) are masked in
message texts and flag evidence. A masked span keeps its length (one `*` per character), so
every flag's span and message index stay right."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from qc_engine.checkers.sensitive_info import find_personal
from qc_engine.normalize import Normalizer
from qc_engine.result import Result
from qc_engine.transcript import Transcript

MASK = "*"
_CUT_MIN = 3  # the shortest start or end of a value cut off in a quote that is masked
_CARD = re.compile(r"(?<![0-9a-z])(?:[0-9][ -]?){15,18}[0-9](?![0-9a-z])")
_SEPARATORS = re.compile(r"[ -]")
# Before a long number, words that make it an order, tracking or item number, not a card.
_NOT_A_CARD = ("订单", "单号", "运单", "快递", "物流", "编号", "货号", "交易号", "流水号", "条码")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# The commonest Chinese surnames (together about 85 % of people), one character each.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
# A name the text says is one: after a label ("收件人：张三", "姓名是李四").
_LABELLED_NAME = re.compile(
    r"(?:收件人|收货人|联系人|姓名|名字|户名|持卡人|寄件人|签收人)"
    r"(?:[:：\s]|是|为|叫)*([\u4e00-\u9fff]{2,4})"
)
# A name written right before a phone number ("张三 13812345678", "李四，13912345678").
_NAME_BEFORE = re.compile(r"([\u4e00-\u9fff]{2,3})[\s,，:：]*$")
_NOT_NAMES = frozenset(
    (
        "电话",
        "手机",
        "号码",
        "联系",
        "方式",
        "客服",
        "快递",
        "地址",
        "先生",
        "女士",
        "小姐",
        "您好",
        "亲亲",
    )
)


def _names(text: str, phones: list[tuple[int, int]]) -> list[tuple[int, int]]:
    found = []
    for match in _LABELLED_NAME.finditer(text):
        name = match.group(1)
        if name[0] in SURNAMES and name[:2] not in _NOT_NAMES:
            found.append(match.span(1))  # all of it: 欧阳娜娜 has a two-character surname
    for start, _ in phones:
        before = _NAME_BEFORE.search(text, 0, start)
        if before is not None:
            name = before.group(1)
            if name[0] in SURNAMES and name not in _NOT_NAMES and name[:2] not in _NOT_NAMES:
                found.append(before.span(1))
    return found


def personal_spans(text: str, normalizer: Normalizer) -> list[tuple[int, int]]:
    """The spans (original coordinates) of personal information in a message text."""
    norm = normalizer.normalize(text)
    personal = find_personal(norm.text, every_address=True)
    found = [(start, end) for _, start, end in personal]
    found += _names(
        norm.text, [(s, e) for kind, s, e in personal if kind in ("mobile", "landline")]
    )
    for match in _CARD.finditer(norm.text):
        digits = _SEPARATORS.sub("", match.group())
        before = norm.text[max(0, match.start() - 12) : match.start()]
        if (
            16 <= len(digits) <= 19
            and _luhn(digits)
            and not any(word in before for word in _NOT_A_CARD)
        ):
            found.append((match.start(), match.end()))
    spans = []
    for start, end in sorted(found):
        original = norm.to_original(start, end)
        if original is not None:
            spans.append(original)
    return spans


def _masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            if not chars[i].isspace():
                chars[i] = MASK
    return "".join(chars)


def redact(
    transcript: Transcript, result: Result, normalizer: Normalizer
) -> tuple[Transcript, Result, int]:
    """The transcript and result with personal information masked in message texts and in
    flag evidence, and how many spans were masked."""
    secrets: list[str] = []
    messages = []
    for message in transcript.messages:
        spans = personal_spans(message.text, normalizer)
        if spans:
            secrets += [message.text[start:end] for start, end in spans]
            message = dataclasses.replace(message, text=_masked(message.text, spans))
        messages.append(message)
    if not secrets:
        return transcript, result, 0
    ordered = sorted(set(secrets), key=len, reverse=True)

    def clean(evidence: str) -> str:
        for secret in ordered:
            if secret in evidence:
                evidence = evidence.replace(secret, _masked(secret, [(0, len(secret))]))
            # A quote cut short ("…电话改成了13812345…") holds only a start or an end of it.
            for size in range(len(secret) - 1, min(len(secret), _CUT_MIN) - 1, -1):
                head, tail = secret[:size], secret[-size:]
                if head + "…" in evidence:
                    evidence = evidence.replace(head + "…", _masked(head, [(0, size)]) + "…")
                if "…" + tail in evidence:
                    evidence = evidence.replace("…" + tail, "…" + _masked(tail, [(0, size)]))
        return evidence

    flags = [dataclasses.replace(flag, evidence=clean(flag.evidence)) for flag in result.flags]
    return (
        dataclasses.replace(transcript, messages=messages),
        dataclasses.replace(result, flags=flags),
        len(secrets),
    )
