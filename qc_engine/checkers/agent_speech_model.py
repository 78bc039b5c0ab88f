from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.taxonomy import CATEGORIES
from qc_engine.transcript import Role

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.normalize import NormalizedText
    from qc_engine.resources import Resources

Problem = Literal["shirking", "impatient", "rude", "perfunctory", "risky_promise"]


class AgentSpeechParams(Params):
    model: str = "agent_speech"
    """The model folder in the models folder (QC_MODELS, else qc_engine/models/), or a
    path."""
    categories: list[Problem] = ["shirking", "impatient", "rude", "perfunctory", "risky_promise"]
    """Which of the model's classes this item flags."""
    thresholds: dict[Problem, float] = Field(default_factory=dict)
    """Per class, the probability a flag needs; default: the model's (chosen on validation
    for precision, see qc_engine/models/agent_speech/card.md)."""
    roles: list[Role] = ["agent", "bot"]


@register
class AgentSpeechModel(Checker):
    """The trained agent-speech classifier (模型: 推诿/不耐烦/辱骂/敷衍/违规承诺).

    What it does:
        Reads every agent message with the customer message before it and gives the
        probability of shirking, impatient, rude, perfunctory and risky_promise. A message
        gets the likeliest class whose probability reaches its threshold. The flag says
        `source: model`, carries the probability as confidence, and points at the words
        that pushed the decision most (the n-grams with the largest contribution).

    Why is this bad?
        Rules catch fixed phrases; agents shirk, brush off and sneer in a thousand other
        wordings. Where a rule and the model flag the same category on the same message,
        one flag remains.

    Example:
        c: 快递一直没动  a: 亲这个得您那边自己去跟物流沟通哈~

    Use instead:
        a: 亲，我这边马上帮您联系快递核实，有结果第一时间告诉您。
    """

    code = "QC140"
    slug = "model.agent_speech"
    category = "shirking"
    source = "model"
    Params = AgentSpeechParams
    must_flag = [
        Example("c: 快递三天没动了怎么回事\na: 这个您得自己去跟快递沟通哈，我们这边管不了", at=1),
        Example("c: 这个尺码偏大吗\na: 不知道", at=1),
        Example("c: 会不会掉色啊\na: 放心亲，百分百不会掉色，掉色我全额赔您", at=1),
        Example("c: 能便宜点吗\na: 买不起就别买，穷就别问了", at=1),
    ]
    must_pass = [
        "c: 快递三天没动了怎么回事\na: 亲亲非常抱歉，我这边马上帮您联系快递核实，有结果第一时间告诉您",  # noqa: E501
        "c: 谢谢\na: 哦",
        "c: 这个尺码偏大吗\na: 偏大一码哦，您平时穿M的话建议拿S",
        "c: 会不会掉色啊\na: 深色款首次洗涤可能有少量浮色，建议冷水单独手洗哦",
        "c: 好的我拍了\na: 好的亲，马上为您安排发货",
    ]

    def __init__(self, params: AgentSpeechParams, resources: Resources) -> None:
        super().__init__(params, resources)
        from qc_engine.ml.runtime import load_model

        self.model = load_model(params.model)
        defaults = self.model.meta.get("thresholds", {})
        self.thresholds = {
            name: params.thresholds.get(name, defaults.get(name, 0.5)) for name in params.categories
        }
        self.columns = [(self.model.classes.index(name), name) for name in params.categories]
        self.roles = frozenset(params.roles)

    def _messages(self, chat: Chat) -> list[tuple[int, NormalizedText, NormalizedText | None]]:
        """The messages it reads, each with the customer message before it."""
        norm = chat.norm
        out: list[tuple[int, NormalizedText, NormalizedText | None]] = []
        context: NormalizedText | None = None
        for index, role in enumerate(chat.roles):
            if role in self.roles:
                out.append((index, norm[index], context))
            if role == "customer":
                context = norm[index]
        return out

    def prepare(self, chats: list[Chat]) -> None:
        from qc_engine.ml.features import agent_proba

        read = [self._messages(chat) for chat in chats]
        prediction = agent_proba(self.model, [(m, c) for rows in read for _, m, c in rows])
        # Only the rows where some class reaches its threshold are looked at one by one.
        columns = [column for column, _ in self.columns]
        limits = np.array([self.thresholds[name] for _, name in self.columns])
        flagged = np.flatnonzero((prediction.proba[:, columns] >= limits).any(axis=1))
        start = 0
        for chat, rows in zip(chats, read, strict=True):
            end = start + len(rows)
            chosen = flagged[np.searchsorted(flagged, start) : np.searchsorted(flagged, end)]
            chat.memo[self] = (prediction, [(int(r), rows[r - start][0]) for r in chosen])
            start = end

    def check(self, chat: Chat) -> Iterator[Hit]:
        from qc_engine.ml.runtime import evidence_span

        if self not in chat.memo:
            self.prepare([chat])
        prediction, flagged = chat.memo.pop(self)
        for row, index in flagged:
            probabilities = prediction.proba[row]
            best, best_p = None, 0.0
            for column, name in self.columns:
                p = float(probabilities[column])
                if p >= self.thresholds[name] and p > best_p:
                    best, best_p = name, p
            assert best is not None
            reasons = [
                c.feature[2:]
                for c in prediction.explain(row, best, top=5)
                if c.feature.startswith("t:")
            ]
            span = evidence_span(chat, index, reasons)
            words = "「" + "」「".join(reasons[:3]) + "」" if reasons else "整体语气"
            yield Hit(
                index,
                span,
                f"模型判定「{CATEGORIES[best].name_zh}」(概率 {best_p:.2f})，依据：{words}",
                confidence=best_p,
                category=best,
            )
