from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Literal

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.transcript import AGENT_ROLES

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources

Kind = Literal["id_card", "mobile", "landline", "address"]

# Matched on normalised text: digits are ASCII (full-width and spoken Chinese numerals are
# already converted), letters are lower case, and a space or dash between two digits stays.
# No digit (or digit and separator) may touch a number on either side, so a phone number
# is never found inside a longer order or tracking number; a letter may not precede it
# either (SF1381234567890, YT…).
_EDGE_L = r"(?<![0-9a-z])(?<![0-9][ -])"
_EDGE_R = r"(?![ -]?[0-9])(?![a-z])"
_NUMBERS = re.compile(
    _EDGE_L + r"(?:"
    # 18-digit resident ID: region, birth date, sequence, check digit (6-8-4 groups).
    r"(?P<id_card>[1-9][0-9]{5}[ -]?(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12][0-9]|3[01])[ -]?[0-9]{3}[0-9x])"
    # Mobile: 1[3-9] and 9 more digits, optional +86, optional space/dash between digits.
    r"|(?P<mobile>(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){8})"
    # Landline: area code (010, 02x, 0xxx), local number of 7-8 digits, optional extension.
    r"|(?P<landline>\(?0(?:10|2[0-9]|[3-9][0-9]{2})\)?[ -]?[2-9][0-9]{6,7}(?:-[0-9]{1,5})?)"
    r")" + _EDGE_R
)
_CJK = "\u4e00-\u9fff"
_PROVINCES = (
    "河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|"
    "贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆"
)
# Province or city, then district or county, then road/street/village, then a number.
_ADDRESS = re.compile(
    rf"(?:(?:(?:{_PROVINCES})(?:省|[{_CJK}]{{0,4}}?自治区)?|北京|上海|天津|重庆)市?"
    rf"(?:[{_CJK}]{{2,7}}?(?:市|州|盟|地区))?"
    rf"|(?P<city>[{_CJK}]{{2,7}}?(?:市|州|盟)))"
    rf"[{_CJK}]{{1,7}}?(?:区|县|旗|市)"
    rf"[{_CJK}0-9a-z]{{1,14}}?(?:大街|大道|路|街|巷|弄|胡同|道|村|小区|花园|公寓|大厦)"
    r"[0-9]{1,5}(?:-[0-9]{1,5})?(?:号楼|号|弄|栋|幢|单元|室)"
)
# Words that may run into a city name when no province comes first ("寄到杭州市…").
_CITY_LEAD = re.compile(r".*[到在是址为寄往至:]")
_ADDRESS_HINT = re.compile(r"[区县旗].*[0-9]")
# Every kind needs an ASCII digit (numbers at least ten, an address a house number).
_DIGIT = re.compile(r"[0-9]")
_WS_DASH = re.compile(r"[ ()+-]")
_LANDLINE_PARTS = re.compile(r"\(?(0(?:10|2[0-9]|[3-9][0-9]{2}))\)?[ -]?([0-9]{7,8})")
# Words before a number that make it an order, tracking or item number, unless a phone
# word is there too.
_ORDER_WORDS = (
    "订单",
    "单号",
    "运单",
    "快递单",
    "物流单",
    "编号",
    "货号",
    "id",
    "链接",
    "交易号",
    "流水号",
    "批号",
    "条码",
    "卡号",
)
_PHONE_WORDS = ("电话", "手机", "号码", "联系方式", "tel", "致电", "打")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10x98765432"
_ID_REGIONS = frozenset(
    (
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
        91,
    )
)
_KIND_ZH = {
    "id_card": "完整身份证号",
    "mobile": "完整手机号",
    "landline": "带区号的固定电话",
    "address": "完整地址",
}
_ALL_KINDS: list[Kind] = ["id_card", "mobile", "landline", "address"]


def valid_id_number(digits: str, *, today: date | None = None) -> bool:
    """An 18-character resident ID: known province, real birth date, right check digit."""
    if len(digits) != 18 or int(digits[:2]) not in _ID_REGIONS:
        return False
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    if born > (today or date.today()) or born.year < 1900:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17]


def _mask(kind: str, value: str) -> str:
    """What the evidence shows: enough to recognise the number, not enough to reuse it."""
    if kind == "address":
        return re.sub(r"[0-9]", "*", value)
    digits = _WS_DASH.sub("", value)
    if kind == "mobile":
        digits = digits[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if kind == "id_card":
        return f"{digits[:6]}********{digits[-4:]}"
    match = _LANDLINE_PARTS.match(value)
    assert match is not None
    return f"{match.group(1)}-****{match.group(2)[-4:]}"


class SensitiveInfoParams(Params):
    kinds: list[Kind] = list(_ALL_KINDS)
    """What to look for: id_card, mobile, landline, address."""
    exempt_words: list[str] = [
        "退货地址",
        "退回地址",
        "寄回地址",
        "退换货地址",
        "售后地址",
        "仓库地址",
        "公司地址",
        "门店地址",
        "店铺地址",
        "寄回",
        "客服电话",
        "售后电话",
        "客服热线",
        "服务热线",
        "官方电话",
    ]
    """A message holding one of these gives the shop's own address or hotline (a return
    address, a service number): not a customer's or third party's data."""


@register
class SensitiveInfo(Checker):
    """Personal data written out in full (泄露隐私).

    What it does:
        Flags an agent or bot message that writes out a full mobile number (1[3-9] and 9
        digits, spaces or dashes allowed, spoken numerals already converted), an 18-digit
        resident ID number (checked: region, birth date and check digit, so order numbers
        do not fire), a landline with area code, or a full street address (province or city
        + district + road/street + number). Masked forms (138****5678, 张**) pass; numbers
        inside order or tracking numbers, or after 订单号/单号/运单, do not fire; what the
        customer wrote is not inspected, and a message giving the shop's own return address
        or hotline (`exempt_words`) is exempt. If the customer sent the same number earlier
        the flag's confidence is lower (the agent echoed it back). One flag per message;
        the evidence masks the number.

    Why is this bad?
        Chat logs are seen by many people and screenshots travel; platforms and the Personal
        Information Protection Law require personal data to be shown masked. A leaked phone
        number or address exposes the customer to fraud and the shop to penalties.

    Example:
        亲，您的收件信息是 张三 13812345678 浙江省杭州市西湖区文三路100号，对吗？

    Use instead:
        亲，请核对收件信息：张** 138****5678 浙江省杭州市西湖区文三路***号。
    """

    code = "QC121"
    slug = "privacy.sensitive_info"
    category = "sensitive_info"
    Params = SensitiveInfoParams
    must_flag = [
        Example("c: 帮我改下电话\na: 好的亲，已改为13812345678了哦", at=1),
        Example("a: 亲，快递员电话是 139-1234-5678，您直接联系他哈", at=0),
        Example("a: 您登记的身份证号是11010519491231002X对吧", at=0),
        Example("c: 寄到哪\na: 给您寄到浙江省杭州市西湖区文三路100号哦亲", at=1),
        Example("a: 亲这边查到收件人电话是一三八一二三四五六七八", at=0),
        Example("a: 对方座机0571-88886666，您打过去问问", at=0),
        Example("a: 收件人：北京市朝阳区建国路88号 李四", at=0),
        Example(
            "c: 我电话13812345678\na: 好的，13812345678这个号码对吧",
            at=1,
            note="echoing the customer's own number back in full is still writing it out",
        ),
    ]
    must_pass = [
        "a: 亲，您的手机号138****5678，地址浙江省杭州市西湖区***，收件人张**，对吗",
        "c: 我手机13812345678，地址浙江省杭州市西湖区文三路100号\na: 好的亲，已备注",
        "a: 订单号138123456789012345已经发货了哦",
        "a: 您的订单号13812345678已经退款",
        "a: 顺丰单号SF1381234567890，明天到",
        "a: 亲，商品链接537880365077，这款是纯棉的",
        "a: 亲，快递单号9890490833813还在路上",
        "a: 退货地址：浙江省嘉兴市南湖区中环南路100号 售后部 0573-82222222",
        "a: 亲，这款尺寸是15201020的哦，2020年生产",
        "a: 亲，活动价99，满199减20，今天下午4点前发",
        "a: 订单编号110105194912310021，已为您加急",
        "a: 您好，我们是浙江省杭州市的商家，发货地在西湖区",
    ]

    def __init__(self, params: SensitiveInfoParams, resources: Resources) -> None:
        super().__init__(params, resources)
        self.kinds = frozenset(params.kinds)
        self.numbers = bool(self.kinds - {"address"})
        self.exempt = tuple(
            resources.normalizer.normalize_phrase(w) or w for w in params.exempt_words
        )
        self._exempt = re.compile("|".join(map(re.escape, self.exempt))) if self.exempt else None

    def check(self, chat: Chat) -> Iterator[Hit]:
        customer_digits: str | None = None
        exempt = self._exempt
        norms = chat.norm
        # Only messages with a digit: nothing else holds anything `_find` could find.
        for index in chat.matching(_DIGIT, AGENT_ROLES):
            norm = norms[index]
            text = norm.text
            if len(text) < 7:
                continue
            if exempt is not None and exempt.search(text) is not None:
                continue
            found = self._find(text)
            if not found:
                continue
            kind, start, end = found[0]
            span = norm.to_original(start, end)
            shown = _mask(kind, text[start:end])
            evidence = f"客服写出{_KIND_ZH[kind]}「{shown}」"
            others = sorted({_KIND_ZH[k] for k, _, _ in found[1:] if k != kind})
            if others:
                evidence += f"，另有{'、'.join(others)}"
            confidence = 1.0
            if kind != "address":
                if customer_digits is None:
                    customer_digits = "|".join(
                        _WS_DASH.sub("", chat.norm[j].text)
                        for j, r in enumerate(chat.roles)
                        if r == "customer"
                    )
                if _WS_DASH.sub("", text[start:end])[-11:] in customer_digits:
                    confidence = 0.8
                    evidence += " (与买家此前发来的号码相同)"
            yield Hit(index, span, evidence, confidence)

    def _find(self, text: str) -> list[tuple[str, int, int]]:
        return find_personal(text, self.kinds)


ALL_KINDS: frozenset[str] = frozenset(("id_card", "mobile", "landline", "address"))


def find_personal(
    text: str, kinds: frozenset[str] = ALL_KINDS, *, every_address: bool = False
) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each ID number, mobile, landline and full address in a
    normalised text, in order (what this checker flags, and what redaction masks; the
    checker needs the first address only, redaction `every_address`)."""
    found: list[tuple[str, int, int]] = []
    if kinds - {"address"}:
        for match in _NUMBERS.finditer(text):
            kind = match.lastgroup
            assert kind is not None
            if kind not in kinds or _order_context(text, match.start()):
                continue
            if kind == "id_card" and not valid_id_number(_WS_DASH.sub("", match.group())):
                continue
            found.append((kind, match.start(), match.end()))
    if "address" in kinds and _ADDRESS_HINT.search(text):
        for match in _ADDRESS.finditer(text):
            start = match.start()
            if match.group("city"):
                lead = _CITY_LEAD.match(match.group("city"))
                if lead is not None and lead.end() < len(match.group("city")) - 1:
                    start += lead.end()
            found.append(("address", start, match.end()))
            if not every_address:
                break
    found.sort(key=lambda f: f[1])
    return found


def _order_context(text: str, start: int) -> bool:
    before = text[max(0, start - 12) : start]
    return any(w in before for w in _ORDER_WORDS) and not any(w in before for w in _PHONE_WORDS)
