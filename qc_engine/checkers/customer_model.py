from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources


class CustomerModelParams(Params):
    emotion_model: str = "customer/emotion"
    complaint_model: str = "customer/complaint"
    negative_threshold: float | None = None
    """Probability a customer_negative flag needs; default: the model's (card.md)."""
    complaint_threshold: float | None = None
    """Probability a complaint_risk flag needs; default: the model's (card.md)."""


@register
class CustomerModel(Checker):
    """The trained customer classifiers (模型: 买家负面情绪/投诉风险).

    What it does:
        Gives every customer message the probability that the customer is angry or upset
        (`customer_negative`) and that they threaten a complaint, a bad review, 12315,
        exposure or a lawsuit (`complaint_risk`), and flags those above their thresholds,
        pointing at the words that weighed most. The rules catch explicit threats; the
        model catches the rest.

    Why is this bad?
        It is not the agent's fault: it is a risk signal (0 points) that raises the chat's
        review priority, so a specialist sees angry customers first.

    Example:
        c: 等了一个礼拜了还没发货，你们就是这么做生意的？

    Use instead:
        (Nothing to fix: a calm question such as "怎么申请退款呀" is not flagged.)
    """

    code = "QC141"
    slug = "model.customer"
    category = "customer_negative"
    source = "model"
    Params = CustomerModelParams
    must_flag = [
        Example("c: 等了一个礼拜了还没发货，你们就是这么做生意的？", at=0),
        Example("c: 东西是坏的，客服也不理人，太让人失望了", at=0),
        Example("c: 再不处理我就去12315投诉你们", at=0),
    ]
    must_pass = [
        "c: 怎么申请退款呀",
        "c: 收到了，很喜欢，谢谢",
        "c: 这款有M码吗",
        "a: 垃圾，你去投诉吧",
    ]

    def __init__(self, params: CustomerModelParams, resources: Resources) -> None:
        super().__init__(params, resources)
        from qc_engine.ml.runtime import load_model

        self.emotion = load_model(params.emotion_model)
        self.complaint = load_model(params.complaint_model)
        self.negative_at = (
            params.negative_threshold
            if params.negative_threshold is not None
            else float(self.emotion.meta.get("threshold", 0.5))
        )
        self.complaint_at = (
            params.complaint_threshold
            if params.complaint_threshold is not None
            else float(self.complaint.meta.get("threshold", 0.5))
        )

    def prepare(self, chats: list[Chat]) -> None:
        from qc_engine.ml.features import customer_proba

        read = [[i for i, role in enumerate(chat.roles) if role == "customer"] for chat in chats]
        messages = [chat.norm[i] for chat, rows in zip(chats, read, strict=True) for i in rows]
        negative = customer_proba(self.emotion, messages)
        complaint = customer_proba(self.complaint, messages)
        # Only the rows where a signal reaches its threshold are looked at one by one.
        flagged = np.flatnonzero(
            (negative.proba[:, 1] >= self.negative_at)
            | (complaint.proba[:, 1] >= self.complaint_at)
        )
        start = 0
        for chat, rows in zip(chats, read, strict=True):
            end = start + len(rows)
            chosen = flagged[np.searchsorted(flagged, start) : np.searchsorted(flagged, end)]
            chat.memo[self] = (negative, complaint, [(int(r), rows[r - start]) for r in chosen])
            start = end

    def check(self, chat: Chat) -> Iterator[Hit]:
        from qc_engine.ml.runtime import evidence_span

        if self not in chat.memo:
            self.prepare([chat])
        negative, complaint, flagged = chat.memo.pop(self)
        for row, index in flagged:
            for prediction, at, category, name in (
                (complaint, self.complaint_at, "complaint_risk", "投诉风险"),
                (negative, self.negative_at, "customer_negative", "负面情绪"),
            ):
                p = float(prediction.proba[row, 1])
                if p < at:
                    continue
                classes = prediction.model.classes
                reasons = [
                    c.feature
                    for c in prediction.explain(row, classes[1], top=5)
                    if not c.feature.startswith("e:")
                ]
                words = "「" + "」「".join(reasons[:3]) + "」" if reasons else "整体语气"
                yield Hit(
                    index,
                    evidence_span(chat, index, reasons),
                    f"模型判定买家{name} (概率 {p:.2f})，依据：{words}",
                    confidence=p,
                    category=category,
                )
