from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.rules import Condition, compile_condition

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources


class RuleParams(Params):
    when: Condition
    """Every message where this holds is a candidate (the anchor)."""
    then: Condition | None = None
    """Checked relative to each anchor (windows count from it); absent means always."""
    evidence: str = Field(default="", max_length=200)
    """What the flag's evidence says (Simplified Chinese); the anchor's words are quoted."""
    flag_on: Literal["when", "then"] = "when"
    """Which message the flag sits on: the anchor, or where `then` held."""
    once: bool = False
    """At most one flag per chat (the first anchor)."""


@register
class ComposedRule(Checker):
    """A rule written in the checklist from conditions, without code (组合规则).

    What it does:
        Evaluates `when` on every message; for each message where it holds, evaluates
        `then` relative to it and raises a flag when both hold. Conditions are keyword
        (any / all / n_of, with exclude words), regex (RE2, linear time), emoji, reply
        interval, repetition, combined with all / any / not, each scoped to a role and a
        window of messages around the anchor. See docs/checklists.md for the full grammar.

    Why is this bad?
        Whatever the QC lead says it is: the item's category, severity and points apply as
        for any built-in checker, and the flags look the same.

    Example:
        when: {role: agent, reply_interval: {over_seconds: 180}}
        then: {not: {role: agent, window: {next: 3, include_self: true},
                     keyword: {any: [抱歉, 不好意思, 久等]}}}

    Use instead:
        A reply slower than 180 s followed by "让您久等了，非常抱歉" does not fire.
    """

    code = "QC130"
    slug = "rule"
    category = "slow_response"
    Params = RuleParams
    must_flag = [
        Example(
            "c@10:00:00: 在吗？什么时候发货\na@10:05:00: 今天下午发出\nc@10:05:10: 好的",
            at=1,
            params={
                "when": {"role": "agent", "reply_interval": {"over_seconds": 180}},
                "then": {
                    "not": {
                        "role": "agent",
                        "window": {"next": 3, "include_self": True},
                        "keyword": {"any": ["抱歉", "不好意思", "久等"]},
                    }
                },
                "evidence": "回复超过 180 秒且未致歉",
            },
        ),
        Example(
            "c: 什么时候发货呀\na: 亲亲您好\na: 这款是现货哦\nc: 好吧",
            at=0,
            params={
                "when": {"role": "customer", "keyword": {"any": ["发货", "到货", "几天到"]}},
                "then": {
                    "not": {
                        "role": "agent",
                        "window": {"next": 5},
                        "regex": r"\d+[号日天]|今天|明天|后天|48小时|24小时",
                    }
                },
                "evidence": "买家询问发货时间，客服未给出时间",
            },
        ),
        Example(
            "a: 亲，这款是全网最低价\nc: 真的吗",
            at=0,
            params={
                "when": {"role": "agent", "keyword": {"any": ["全网", "最低", "第一"], "n_of": 2}}
            },
        ),
        Example(
            "a: 请问还有什么可以帮您\nc: 没了\na: 请问还有什么可以帮您\na: 请问还有什么可以帮您",
            at=3,
            params={"when": {"role": "agent", "repetition": {"min_count": 3}}},
        ),
        Example(
            "c: 东西坏了\na: 好的呢[微笑]",
            at=1,
            params={
                "when": {
                    "all": [
                        {"role": "agent", "emoji": {"kinds": ["cheerful"]}},
                        {"role": "customer", "window": {"prev": 1}, "keyword": {"any": ["坏了"]}},
                    ]
                }
            },
        ),
    ]
    must_pass = [
        Example(
            "c@10:00:00: 在吗？什么时候发货\na@10:05:00: 让您久等了，非常抱歉，今天下午发出",
            params={
                "when": {"role": "agent", "reply_interval": {"over_seconds": 180}},
                "then": {
                    "not": {
                        "role": "agent",
                        "window": {"next": 3, "include_self": True},
                        "keyword": {"any": ["抱歉", "不好意思", "久等"]},
                    }
                },
            },
        ),
        Example(
            "c: 什么时候发货呀\na: 亲亲您好\na: 今天下午4点前发出哦",
            params={
                "when": {"role": "customer", "keyword": {"any": ["发货", "到货"]}},
                "then": {
                    "not": {
                        "role": "agent",
                        "window": {"next": 5},
                        "regex": r"\d+[号日天点]|今天|明天|后天",
                    }
                },
            },
        ),
        Example(
            "c: 发货了吗\na: 已经发货了",
            params={"when": {"role": "agent", "reply_interval": {"over_seconds": 30}}},
            note="no times: interval conditions never hold",
        ),
        Example(
            "a: 亲，这款是我们店最低价\nc: 真的吗",
            params={
                "when": {"role": "agent", "keyword": {"any": ["全网", "最低", "第一"], "n_of": 2}}
            },
        ),
        Example(
            "c: 全网最低吗\na: 是的",
            params={"when": {"role": "agent", "keyword": {"any": ["全网", "最低"], "n_of": 2}}},
        ),
    ]

    def __init__(self, params: RuleParams, resources: Resources) -> None:
        super().__init__(params, resources)
        normalizer = resources.normalizer
        self.when = compile_condition(params.when, normalizer=normalizer, where="when")
        self.then = (
            compile_condition(params.then, normalizer=normalizer, where="then")
            if params.then is not None
            else None
        )
        # Cheap tests of where `when` cannot hold: a message of another role (without a
        # window, the condition holds only on its own role), and for a keyword condition
        # with `any` words, a message holding none of them.
        spec = self.when.spec
        self._when_role = spec.role if spec.window is None else None
        self._when_words = None
        if self.when.kind == "keyword" and spec.window is None and self.when.words_any:
            self._when_words = re.compile("|".join(map(re.escape, self.when.words_any)))

    def rule_name(self, item_id: str) -> str:
        return f"rule.{item_id}"

    def check(self, chat: Chat) -> Iterator[Hit]:
        params = self.params
        assert isinstance(params, RuleParams)
        role, words = self._when_role, self._when_words
        roles, norms = chat.roles, chat.norm
        for index in range(len(chat)):
            if role is not None and roles[index] != role:
                continue
            if words is not None and words.search(norms[index].text) is None:
                continue
            anchor = self.when.evaluate(chat, index)
            if anchor is None:
                continue
            target = anchor if anchor[0] == index else (index, None)
            if self.then is not None:
                found = self.then.evaluate(chat, index)
                if found is None:
                    continue
                if params.flag_on == "then":
                    target = found
            where, span = target
            original = chat.norm[where].to_original(*span) if span else None
            quote = chat.quote(where, original)
            evidence = f"{params.evidence}：「{quote}」" if params.evidence else f"「{quote}」"
            yield Hit(where, original, evidence)
            if params.once:
                return
