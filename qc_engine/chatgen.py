"""A deterministic generator of realistic Taobao-style customer-service chats, for demo data
(`qc serve --demo`), tests and the benchmark (`qc bench`).

`generate(n, seed)` builds pre-sale chats (size, stock, delivery time, discounts, material)
and after-sale ones (where is my parcel, a broken item, return and refund, exchange), with
timestamps, the shop robot (店小蜜), system notices and order cards, and violations planted
at realistic rates. Texts are built from templates and random fillers, so the mix does not
repeat ten strings. The words are in chatgen_vocab.py; the mix's shape (order statuses,
channels, rates, lengths) and its assembly are here.

The same seed gives the same chats, byte for byte: demo data and tests rely on it, so a
change to the words or to the order of the random draws changes every generated chat.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random

from qc_engine.chatgen_vocab import (
    AGENTS,
    ASK_PREFIXES,
    ASK_SUFFIXES,
    BOT_NAME,
    BOT_TEXTS,
    BUYER_NAMES,
    FILLERS,
    MATERIAL_EXCHANGES,
    PRODUCTS,
    SCENARIOS_BY_STATUS,
    SHOP_BRANDS,
    SHOP_SUFFIXES,
    SIZE_EXCHANGES,
    SIZED,
    SMALL_TALK,
    STATUS_ZH,
    SYSTEM_TEXTS,
    THREATS,
    TOPICS,
    VIOLATIONS,
    Turn,
)
from qc_engine.clock import SHANGHAI
from qc_engine.transcript import Message, Transcript

PRE_SALE = ("none", "unpaid")
AFTER_SALE = ("shipped", "delivered", "refunding")
STATUS_WEIGHTS = {"none": 33, "unpaid": 12, "shipped": 25, "delivered": 18, "refunding": 12}
CHANNEL_WEIGHTS = {"taobao": 55, "tmall": 30, "jd": 5, "douyin": 5, "pdd": 5}

# Share of transcripts that get one planted agent violation of each kind (a chat can get
# more than one). About 6% of chats carry at least one, in line with what QC teams report
# for shops that already train their agents.
VIOLATION_RATES: dict[str, float] = {
    "off_platform": 0.006,
    "shirking": 0.007,
    "risky_promise": 0.009,
    "impatient": 0.010,
    "review_inducement": 0.006,
    "ad_law_words": 0.008,
    "sensitive_info": 0.004,
    "emoji_misuse": 0.008,
}
# A customer threatening a bad review or a complaint (a risk signal, not a violation).
THREAT_RATE = {"pre_sale": 0.006, "after_sale": 0.045}

MIN_MESSAGES, MAX_MESSAGES = 8, 40

_SLOT = re.compile(r"\{(\w+)\}")
_STRIPPABLE = re.compile(r"[，。！？,.!]")
_QUESTION = re.compile(r"[吗么?？几哪谁]|多少|怎么|什么|能不能|有没有|可以")


def _digits(rng: Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


NUMBERS: dict[str, Callable[[Random], str]] = {
    "n2": lambda r: str(r.randint(1, 3)),
    "n3": lambda r: str(r.randint(2, 5)),
    "days": lambda r: (lambda a: f"{a}到{a + r.randint(1, 3)}")(r.randint(1, 3)),
    "n7": lambda r: str(r.randint(3, 15)),
    "n10": lambda r: str(r.choice((3, 5, 5, 10, 10, 15, 20))),
    "n12": lambda r: str(r.choice((6, 9, 12, 18, 24))),
    "n30": lambda r: str(r.choice((10, 20, 30, 50))),
    "n200": lambda r: str(r.choice((99, 139, 199, 299))),
    "h48": lambda r: r.choice(("24", "48", "48", "72")),
    "hour": lambda r: r.choice(("3", "4", "4", "5", "6")),
    "pct": lambda r: r.choice(("95", "100", "80", "65")),
    "disc": lambda r: r.choice(("9", "8.8", "8.5", "9.5")),
    "month": lambda r: str(r.randint(1, 12)),
    "weekday": lambda r: r.choice("一二三四五"),
    "coupon": lambda r: f"满{r.choice((99, 199, 299))}减{r.choice((10, 20, 30))}，首页领取哦",
    "wxid": lambda r: r.choice(("xx", "shop", "kf", "tb")) + _digits(r, r.randint(4, 7)),
    "phone": lambda r: "1" + r.choice("3456789") + _digits(r, 9),
    "item_id": lambda r: "6" + _digits(r, 11),
}


def _pick(rng: Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _order_number(rng: Random) -> str:
    return rng.choice("234") + _digits(rng, 18)


def _tracking(rng: Random, courier: str) -> str:
    prefix = {
        "中通": "78",
        "圆通": "YT",
        "韵达": "43",
        "申通": "77",
        "顺丰": "SF",
        "极兔": "JT",
        "邮政": "98",
    }[courier]
    return prefix + _digits(rng, 13 if prefix.isalpha() else 12)


class _Chat:
    """One chat under construction: its fixed facts and a template filler."""

    def __init__(self, rng: Random, status: str) -> None:
        self.rng = rng
        kind = rng.choice(tuple(PRODUCTS))
        courier = rng.choice(FILLERS["courier"])
        self.sized = kind in SIZED
        size = (
            rng.choice(("S", "M", "L", "XL", "XXL"))
            if kind == "apparel"
            else str(rng.randint(35, 44))
        )
        price = rng.choice((39, 59, 69, 89, 99, 129, 159, 199, 239, 299, 399))
        self.values: dict[str, str] = {
            "shop": rng.choice(SHOP_BRANDS) + rng.choice(SHOP_SUFFIXES),
            "agent": rng.choice(AGENTS),
            "product": rng.choice(PRODUCTS[kind]),
            "color": rng.choice(FILLERS["color"]),
            "size": size,
            "courier": courier,
            "tracking": _tracking(rng, courier),
            "order_no": _order_number(rng),
            "price": str(price),
            "amount": str(rng.choice((price, price, price // 2, 10, 20))),
            "city": rng.choice(FILLERS["city"]),
            "status_zh": STATUS_ZH[status],
            "height": str(rng.randint(150, 185)),
            "weight": str(rng.randint(85, 170)),
            "waist": f"{rng.randint(1, 2)}尺{rng.randint(0, 9)}",
            "foot": f"{rng.randint(22, 27)}.{rng.choice('05')}",
            "shoe": str(rng.randint(35, 44)),
        }
        self.values["body"] = rng.choice(
            (
                "{height}，{weight}斤",
                "身高{height}体重{weight}",
                "{height}cm {weight}斤",
                "我{height}，{weight}斤",
                "{height} {weight}",
            )
        ).format(**self.values)

    def fill(self, template: str, depth: int = 0) -> str:
        if "{" not in template:
            return template
        rng = self.rng

        def slot(match: re.Match[str]) -> str:
            name = match.group(1)
            value = self.values.get(name)
            if value is not None:
                return value
            maker = NUMBERS.get(name)
            if maker is not None:
                return maker(rng)
            choice = rng.choice(FILLERS[name])
            return self.fill(choice, depth + 1) if depth < 3 else choice

        return _SLOT.sub(slot, template)


def _body(chat: _Chat, scenario: str, target: int) -> list[Turn]:
    """Question-and-answer exchanges on the scenario's topics, up to about `target` turns."""
    rng = chat.rng
    pools = TOPICS[scenario]
    group = scenario.split(".")[0]
    spare = [
        p
        for name, ps in TOPICS.items()
        if name.startswith(group)
        for p in ps
        if p is not SIZE_EXCHANGES or chat.sized
    ]
    turns: list[Turn] = []
    used: set[int] = set()
    while len(turns) < target:
        roll = rng.random()
        if roll < 0.62:
            pool = pools[0]
        elif roll < 0.85 and len(pools) > 1:
            pool = rng.choice(pools[1:])
        else:
            pool = SMALL_TALK
        if pool is SIZE_EXCHANGES and not chat.sized:
            pool = MATERIAL_EXCHANGES
        fresh = [e for e in pool if id(e) not in used]
        if not fresh:
            # This topic is exhausted: a long chat drifts to related questions.
            fresh = [e for p in spare for e in p if id(e) not in used] or list(pool)
        exchange = rng.choice(fresh)
        used.add(id(exchange))
        turns.extend(exchange)
    return turns


def _conversation(chat: _Chat, status: str, scenario: str, target: int) -> list[Turn]:
    rng = chat.rng
    turns: list[Turn] = []
    after_sale = status in AFTER_SALE
    if after_sale and rng.random() < 0.5:
        turns.append(("s", rng.choice(SYSTEM_TEXTS["card"])))
    if rng.random() < 0.3:
        # The shop robot answers first, then hands over to a human agent.
        turns.append(("c", "{open}"))
        turns.append(("b", rng.choice(BOT_TEXTS["welcome"])))
        if rng.random() < 0.5:
            turns.append(("c", "{human}"))
        else:
            turns.append(("b", rng.choice(BOT_TEXTS["faq"])))
            turns.append(("c", "{human}"))
        turns.append(("b", rng.choice(BOT_TEXTS["transfer"])))
        if rng.random() < 0.6:
            turns.append(("s", rng.choice(SYSTEM_TEXTS["joined"])))
        turns.append(("a", "{greet}"))
    elif rng.random() < 0.6:
        turns.append(("c", "{open}"))
        turns.append(("a", "{greet}"))
    if status == "refunding" and rng.random() < 0.4:
        turns.append(("s", rng.choice(SYSTEM_TEXTS["refund"])))
    closing_room = 3
    body = _body(chat, scenario, max(2, target - len(turns) - closing_room))
    if not any(kind == "a" for kind, _ in turns):
        # The first agent message greets, whatever the customer opened with.
        first_agent = next((i for i, (kind, _) in enumerate(body) if kind == "a"), None)
        if first_agent is not None:
            kind, text = body[first_agent]
            if rng.random() < 0.3:
                body.insert(first_agent, ("a", "{greet}"))
            else:
                text = re.sub(r"^\{qin\}[，,]?", "", text)
                body[first_agent] = (
                    kind,
                    rng.choice(("您好{qin}，", "亲亲您好，", "在的{qin}，")) + text,
                )
    turns.extend(body)
    roll = rng.random()
    if roll < 0.55:
        turns += [("c", "{thanks}{cemo}"), ("a", "{close}")]
    elif roll < 0.8:
        turns += [("c", "{ok}"), ("a", "{close}"), ("c", "{cemo}嗯嗯")]
    elif roll < 0.95:
        turns += [("a", "{close}")]
    else:
        turns += [("s", SYSTEM_TEXTS["timeout"][0])]
    return turns


def _plant(chat: _Chat, turns: list[Turn], status: str) -> list[str]:
    """Plant violations into agent turns; returns what was planted."""
    rng = chat.rng
    planted: list[str] = []
    for category, rate in VIOLATION_RATES.items():
        if rng.random() >= rate:
            continue
        mode, template = rng.choice(VIOLATIONS[category])
        answers = [
            i
            for i, (kind, text) in enumerate(turns)
            if kind in "aA" and i > 0 and text not in ("{greet}", "{close}")
        ]
        questions = [i for i, (kind, _) in enumerate(turns[:-1]) if kind == "c"]
        if mode == "insert" and questions:
            at = rng.choice(questions) + 1
            turns.insert(at, ("a", template))
        elif answers:
            at = rng.choice(answers)
            kind, text = turns[at]
            if text.startswith("{") and text.endswith("}") and text.count("{") == 1:
                text = chat.fill(text)  # expand a bare filler so the phrase joins real words
            turns[at] = (kind, template + text if mode == "prefix" else text.rstrip("~") + template)
        else:
            continue
        planted.append(category)
    group = "after_sale" if status in AFTER_SALE else "pre_sale"
    if rng.random() < THREAT_RATE[group]:
        agents = [i for i, (kind, _) in enumerate(turns) if kind in "aA"]
        if agents:
            turns.insert(rng.choice(agents) + 1, ("c", rng.choice(THREATS)))
            planted.append("complaint_threat")
    return planted


def _delays(rng: Random, kinds: list[str]) -> list[float]:
    """Seconds before each message: customer think time, agent response (mostly quick, a
    few slow ones), look-ups, robot and system messages."""
    delays: list[float] = []
    first_agent_seen = False
    for i, kind in enumerate(kinds):
        prev = kinds[i - 1] if i else ""
        if i == 0:
            delays.append(0.0)
        elif kind == "c":
            if prev == "c":
                delays.append(rng.uniform(2, 15))
            elif prev == "b":
                delays.append(rng.uniform(2, 12))  # answering the robot: "转人工"
            elif rng.random() < 0.05:
                delays.append(rng.uniform(120, 1500))  # the customer went away a while
            else:
                delays.append(min(300.0, rng.lognormvariate(2.8, 0.8)))
        elif kind == "b":
            delays.append(rng.uniform(0.5, 2.5))
        elif kind == "s":
            delays.append(rng.uniform(0, 2))
        elif kind == "A":
            delays.append(rng.uniform(20, 150))
        elif prev in ("a", "A"):
            delays.append(rng.uniform(3, 25))
        elif prev in ("b", "s") and rng.random() < 0.9:
            delays.append(rng.uniform(2, 12))  # picking up a chat the robot handed over
        else:
            roll = rng.random()
            slow = (0.9, 0.98) if not first_agent_seen else (0.83, 0.985)
            if roll < slow[0]:
                delays.append(rng.uniform(2, 25))
            elif roll < slow[1]:
                delays.append(rng.uniform(25, 90))
            else:
                delays.append(rng.uniform(90, 420))
        if kind in ("a", "A"):
            first_agent_seen = True
    return delays


def _customer_style(rng: Random, text: str) -> str:
    """Customers type fast: a lead-in before a question, a particle after it, punctuation
    dropped."""
    if len(text) >= 4 and "\u4e00" <= text[0] <= "\u9fff" and _QUESTION.search(text):
        if rng.random() < 0.35:
            text = rng.choice(ASK_PREFIXES) + text
        if rng.random() < 0.25 and text[-1] not in "?？!！~吗呢":
            text += rng.choice(ASK_SUFFIXES)
    if rng.random() < 0.35 and "http" not in text:
        text = _STRIPPABLE.sub(rng.choice(("", " ")), text).strip() or text
    return text


def _buyer(rng: Random) -> str:
    name = rng.choice(BUYER_NAMES)
    if name == "tb":
        return f"tb{_digits(rng, rng.randint(4, 9))}"
    return f"{name}_{_digits(rng, 3)}"


def _transcript(rng: Random, number: int, seed: int) -> Transcript:
    status = _pick(rng, STATUS_WEIGHTS)
    channel = _pick(rng, CHANNEL_WEIGHTS)
    scenario = rng.choice(SCENARIOS_BY_STATUS[status])
    chat = _Chat(rng, status)
    target = max(MIN_MESSAGES, min(MAX_MESSAGES - 2, round(rng.gauss(20.5, 6.5))))
    turns = _conversation(chat, status, scenario, target)
    planted = _plant(chat, turns, status)
    while len(turns) < MIN_MESSAGES:
        turns[-1:-1] = list(rng.choice(SMALL_TALK))
    if len(turns) > MAX_MESSAGES:
        turns = turns[: MAX_MESSAGES - 1] + turns[-1:]
    kinds = [kind for kind, _ in turns]
    delays = _delays(rng, kinds)
    start = datetime(2026, 11, 1, tzinfo=SHANGHAI) + timedelta(
        days=rng.randint(0, 29), seconds=rng.randint(8 * 3600, 23 * 3600)
    )
    buyer = _buyer(rng)
    agent = chat.values["agent"]
    role_of = {"c": "customer", "a": "agent", "A": "agent", "b": "bot", "s": "system"}
    sender_of = {"c": buyer, "a": agent, "A": agent, "b": BOT_NAME, "s": None}
    messages: list[Message] = []
    elapsed = 0.0
    for (kind, template), delay in zip(turns, delays, strict=False):
        elapsed += delay
        text = chat.fill(template)
        if kind == "c":
            text = _customer_style(rng, text)
        elif "~，" in text and rng.random() < 0.7:
            text = text.replace("~，", "，")
        messages.append(
            Message(
                role=role_of[kind],
                text=text,
                ts=start + timedelta(seconds=round(elapsed)),
                sender=sender_of[kind],
            )
        )
    return Transcript(
        id=f"bench-{seed}-{number:06d}",
        messages=messages,
        channel=channel,
        shop=chat.values["shop"],
        agent=agent,
        order_status=status,
        extra={"synthetic": {"scenario": scenario, "planted": planted}},
    )


def generate(n: int, seed: int = 7) -> list[Transcript]:
    """`n` realistic shop chats, the same for the same seed (the first k of a longer run are
    the run of k). Each carries `extra["synthetic"]`: its scenario and planted violations."""
    rng = Random(seed)
    return [_transcript(rng, i, seed) for i in range(n)]
