"""Edge cases of phrase.shirking: (chat, expected message index or None)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # disowning, sending away, futility
    ("c: 怎么还没到\na: 这个不关我们的事哦", 1),
    ("c: 鞋子开胶了\na: 您去找厂家吧，我们只负责卖", 1),
    ("c: 包裹丢了\na: 快递的事我们管不了", 1),
    ("c: 一直没人送货\na: 亲您问快递吧", 1),
    ("c: 退款怎么还没到\na: 催我也没用，您去找平台", 1),
    ("c: 洗了就坏了\na: 是您自己的问题哦", 1),
    ("c: 怎么办\na: 我也无能为力，自己想办法吧", 1),
    ("c: 派件员不接电话\na: 应该是快递那边的问题，你找快递吧", 1),
    # owning it, or a plain refusal that is policy
    ("c: 包裹没动\na: 我帮你问快递吧，稍等", None),
    ("c: 物流不动\na: 我找快递去，有消息告诉您", None),
    ("c: 怎么破了\na: 可能是物流的问题，我这边给您补发一个", None),
    ("c: 是我弄坏的吗\na: 这不是您自己的问题哦，是我们包装没做好", None),
    ("c: 要我联系快递吗\na: 您不需要自己联系物流，这边来跟进", None),
    ("c: 便宜点\na: 活动价我们也没办法再降了哦亲", None),
    ("c: 这个问题谁负责\na: 不是我们的问题我们也会负责到底，先给您补发", None),
    ("c: 你是客服吗\na: 我只是客服，这个我帮您申请主管审批", None),
]


@pytest.mark.parametrize(("chat", "expected"), CASES)
def test_shirking(chat, expected, normalizer):
    hits = run_example(
        REGISTRY["phrase.shirking"], Example(chat), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert (hits[0].message_index if hits else None) == expected, [h.evidence for h in hits]
