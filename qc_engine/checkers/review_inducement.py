from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers.base import Example, Hit
from qc_engine.checkers.phrase import PhraseChecker, PhraseParams
from qc_engine.checkers.registry import register

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.lexicon import Lexicon
    from qc_engine.resources import Resources

# A sum of money handed over: "返您5元", "给你三块", "发个10元".
_MONEY = re.compile(
    r"[返送给补发领退](?:您|你|亲|个|了|下)?"
    r"[0-9一二两三四五六七八九十几]+(?:\.[0-9]+)?(?:元|块|毛)"
)
# A sum in a clause about buying, a threshold or a price difference is no reward for a review.
_MONEY_NOT = re.compile(r"下单|拍下|购买|满\d|满减|收藏|关注|加购|差价|运费")


class ReviewInducementParams(PhraseParams):
    pair_window: int = Field(default=12, ge=0)
    """Most characters between a review word and a reward for the pair to count as an
    offer; 0 turns pairing off (set phrases only)."""
    review_words: str = "review_inducement_review.txt"
    """Lexicon of review acts for pairing (好评, 晒图, 删差评...)."""
    reward_words: str = "review_inducement_reward.txt"
    """Lexicon of rewards for pairing (返现, 红包, 补偿...); sums of money are found too."""


@dataclass(frozen=True, slots=True)
class _Mark:
    start: int
    end: int
    label: str


@register
class ReviewInducement(PhraseChecker):
    """Money, red packets, gifts or refunds in exchange for a review (诱导好评).

    What it does:
        Flags an agent or bot message that offers something for a good review, a review
        screenshot or a removed bad review. Set phrases ("好评返现", "晒图有礼", "好评截图发
        我", "删差评就给您退") come from review_inducement.txt. Looser wording is caught by
        pairing: a review act ("好评", "五星", "晒图", "删差评") within `pair_window`
        characters of a reward ("返", "红包", "补偿", "送您", "优惠券", or a sum such as
        "返您5元") in the same message: "给您返5元，您给个好评可以吗".

        Asking for a review with nothing in exchange ("麻烦亲给个好评哦"), gifts tied to the
        order or to following the shop ("下单送小样", "关注店铺送优惠券") and refusals ("我们
        不做好评返现的哦") are not flagged.

    Why is this bad?
        Every platform's review rules ban buying reviews; a shop caught doing it loses
        ranking, gets its reviews wiped or is fined. It is a red line.

    Example:
        亲，五星好评带图，截图发我返5元红包哦~

    Use instead:
        亲，收到宝贝满意的话麻烦给个好评哦，有任何问题随时联系我们。
    """

    code = "QC109"
    slug = "phrase.review_inducement"
    category = "review_inducement"
    Params = ReviewInducementParams
    lexicon_files = ("review_inducement.txt",)
    reason = "以返现/红包/礼品/补偿换取好评或删改差评"
    must_flag = [
        Example("a: 亲亲我们还有好评返现哦，好评截图发我返3元", at=0),
        Example("c: 核桃有几颗是空的\na: 您看这边给您返5元您给个好评可以吗", at=1),
        Example("a: 五星好评送运费险一份哦~", at=0),
        Example("c: 我给了差评\na: 亲，删差评给您补偿20元，您看可以吗[可怜]", at=1),
        Example("a: 追评带图返红包哦亲亲", at=0),
        Example("a: 晒图返现5元，联系客服领取", at=0),
        Example("a: 好平返现2元我们返您5元", at=0, note="好平: pinyin typo of 好评"),
        Example("c: 东西收到了\na: 亲，给个五星好评，给您发个小红包哦", at=1),
    ]
    must_pass = [
        "a: 麻烦亲给个好评哦~[微笑]",
        "c: 有点小问题\na: 有问题先联系我们哦，我们给您补发",
        "c: 有好评返现吗\na: 亲，我们不做好评返现的哦，平台不允许",
        "a: 收到宝贝满意请记得5分好评以示鼓励哦",
        "a: 亲，收到满意给个好评哦，下单还送小样",
        "a: 关注店铺送优惠券，收到满意请给个五星好评哦",
        "a: 亲现在只要收藏本店截图给我，购买任意产品都可随单送一包湿巾哦",
        "a: 亲您现在拍下收到后找客服返下差价5元",
    ]

    def __init__(self, params: ReviewInducementParams, resources: Resources) -> None:
        super().__init__(params, resources)
        self.pair_window = params.pair_window
        roles = self.inspect_roles
        self.review_words = (
            resources.lexicon(params.review_words, roles=roles, field="review_words")
            if self.pair_window
            else None
        )
        self.reward_words = (
            resources.lexicon(params.reward_words, roles=roles, field="reward_words")
            if self.pair_window
            else None
        )

    def gate_lexicons(self) -> list[tuple[Lexicon, frozenset[str]]] | None:
        found = super().gate_lexicons()
        if found is not None and self.review_words is not None:
            # a pair needs a review word
            found.append((self.review_words, self.inspect_roles))
        return found

    def check(self, chat: Chat) -> Iterator[Hit]:
        phrase_hits = {hit.message_index: hit for hit in super().check(chat)}
        indices = set(phrase_hits)
        if self.pair_window:
            assert self.review_words is not None
            # A pair needs a review word: only those messages can hold one.
            indices.update(chat.hit_indices(self.review_words, self.inspect_roles))
        for index in sorted(indices):
            hit = phrase_hits.get(index)
            if hit is None and self.pair_window:
                hit = self._pair(chat, index)
            if hit is not None:
                yield hit

    def _pair(self, chat: Chat, index: int) -> Hit | None:
        assert self.review_words is not None and self.reward_words is not None
        norm = chat.norm[index]
        text = norm.text
        reviews = [
            _Mark(h.start, h.end, h.entry.original)
            for h in chat.phrase_hits(index, self.review_words)
        ]
        if not reviews:
            return None
        rewards = [
            _Mark(h.start, h.end, h.entry.original)
            for h in chat.phrase_hits(index, self.reward_words)
        ]
        for match in _MONEY.finditer(text):
            clause = norm.clause(match.start(), match.end())
            if not _MONEY_NOT.search(clause):
                rewards.append(_Mark(match.start(), match.end(), match.group()))
        best: tuple[int, int, _Mark, _Mark] | None = None
        for review in reviews:
            for reward in rewards:
                if reward.start < review.end and review.start < reward.end:
                    continue  # the same characters cannot be both
                gap = max(reward.start - review.end, review.start - reward.end)
                if gap <= self.pair_window:
                    key = (min(review.start, reward.start), gap, review, reward)
                    if best is None or key[:2] < best[:2]:
                        best = key
        if best is None:
            return None
        _, gap, review, reward = best
        span = norm.to_original(min(review.start, reward.start), max(review.end, reward.end))
        evidence = (
            f"「{chat.quote(index, span)}」：评价词「{review.label}」与奖励"
            f"「{reward.label}」相距{gap}字，{self.reason}"
        )
        return Hit(index, span, evidence)
