"""Edge cases of structure.unanswered_question: question detection and what answers."""

from __future__ import annotations

import pytest

from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example
from qc_engine.checkers.unanswered_question import UnansweredQuestion, find_question

from ..conftest import LEXICONS

QUESTIONS = [
    # (customer message, expected: "wh" information question, "yn" yes/no, None not one)
    ("什么时候发货啊", "wh"),
    ("运费谁出", "wh"),
    ("几天能到", "wh"),
    ("请问这两款有啥区别", "wh"),
    ("那我这包开的呢", "wh"),
    ("男生用大号还是小号的呢", "wh"),
    ("这个密封性如何", "wh"),
    ("在吗", "yn"),
    ("在嘛", "yn"),
    ("会生锈不", "yn"),
    ("2斤198是吧", "yn"),
    ("有包装没有", "yn"),
    ("发货了没", "yn"),
    ("有2020的纯棉的么", "yn"),
    ("能不能便宜点", "yn"),
    ("??", "yn"),
    ("好几天前就显示派送了", None),
    ("没什么问题了谢谢", None),
    ("我以为就一个大包裹呢", None),
    ("那我还是寄回去吧", None),
    ("我在找找呢", None),
    ("好的呢", None),
    ("你好", None),
    ("528690173109", None),
    ("能早点发吗我这离预产期没几天了", "yn"),
]


@pytest.mark.parametrize(("text", "expected"), QUESTIONS)
def test_question_detection(text, expected, normalizer):
    found = find_question(normalizer.normalize(text))
    kind = None if found is None else ("wh" if found[1] else "yn")
    assert kind == expected


CHATS = [
    # (chat, index of the flag or None)
    ("c: 有货吗\na: 您好", None),
    ("c: 有货吗\na: 亲亲稍等哦\nc: 好\na: 嗯嗯", 0),  # an acknowledgement after a promise
    ("c: 多少钱\na: 稍等\na: 好的", 0),
    ("c: 多少钱\na: 稍等\na: 亲，活动价49哦", None),
    ("c: 多少钱\nb: 亲，活动价49哦", None),  # the shop robot answered
    ("c: 多少钱\ns: [系统] 客服已接入", 0),  # system messages answer nothing
    ("c: 多少钱\na: 49\nc: 好的", None),
    ("c: 多少钱\nc: 在吗\na: 您好", 0),  # 您好 answers 在吗, not 多少钱
    ("c: 在吗\nc: 多少钱\na: 亲，49哦", None),
    ("c: 几天到\na: 您好\nc: 人呢", 2),  # one run: the flag on the last question
    ("c: 有黑色吗\na: 稍等我查下\nc: 没事了", None),
]


@pytest.mark.parametrize(("chat", "at"), CHATS)
def test_answers(chat, at, normalizer):
    hits = run_example(
        UnansweredQuestion, Example(chat), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert [h.message_index for h in hits] == ([] if at is None else [at])


def test_evidence_quotes_question_and_reply(normalizer):
    hits = run_example(
        UnansweredQuestion,
        Example("c: 你好，运费谁出？\na: 好的亲"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert len(hits) == 1
    assert "「运费谁出」" in hits[0].evidence and "好的亲" in hits[0].evidence
    assert hits[0].span == (3, 7)
