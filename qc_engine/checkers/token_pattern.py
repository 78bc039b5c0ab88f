from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.errors import Code, QCError
from qc_engine.transcript import Role

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources


class TokenPatternParams(Params):
    patterns: list[list[dict[str, Any]]] = Field(default_factory=list)
    """spaCy Matcher token patterns over the segmented, normalised text (ORTH, LOWER,
    LENGTH, IS_DIGIT, IS_PUNCT with IN / NOT_IN, and OP)."""
    triggers: list[str] = Field(default_factory=list)
    """Segment a message only if it contains one of these strings (keeps the pipeline fast).
    Empty: every message of the roles is segmented."""
    roles: list[Role] = ["agent", "bot"]
    evidence: str = Field(default="", max_length=200)


class TokenPatternChecker(Checker):
    """Abstract base: token patterns over spaCy's Chinese pipeline (jieba segmentation)."""

    Params = TokenPatternParams
    default_patterns: ClassVar[list[list[dict[str, Any]]]] = []
    default_triggers: ClassVar[list[str]] = []
    default_evidence: ClassVar[str] = ""

    def __init__(self, params: TokenPatternParams, resources: Resources) -> None:
        super().__init__(params, resources)
        patterns = params.patterns or self.default_patterns
        if not patterns:
            raise QCError(Code.E201, "needs at least one token pattern", field="patterns")
        self.patterns = patterns
        self._matcher: Any = None
        if params.patterns:
            # A checklist's own patterns are validated (by spaCy) when the checklist loads,
            # so a bad one is refused there, never while scoring. The built-in patterns
            # are known good: spaCy (most of a cold start) loads when a message first
            # gets past the triggers and the required words, which most chats never do.
            self._build_matcher()
        self.triggers = tuple(
            resources.normalizer.normalize_phrase(t) or t
            for t in (params.triggers or self.default_triggers)
        )
        self.required = [_required_words(pattern) for pattern in patterns]
        # Each required token as one regex (any of its words), shared between patterns.
        compiled: dict[tuple[str, ...], re.Pattern[str]] = {}
        self._required = [
            [
                compiled.setdefault(words, re.compile("|".join(map(re.escape, words))))
                for words in required
            ]
            for required in self.required
        ]
        # Any trigger as a substring, in one search (over the messages joined by NUL, so
        # no trigger may hold NUL: such triggers are tested message by message).
        self._trigger = (
            re.compile("|".join(map(re.escape, self.triggers)))
            if self.triggers and not any("\x00" in t for t in self.triggers)
            else None
        )
        self._nul_triggers = bool(self.triggers) and self._trigger is None
        self.roles = frozenset(params.roles)
        self.evidence_text = params.evidence or self.default_evidence

    def _build_matcher(self) -> Any:
        if self._matcher is None:
            from spacy.matcher import Matcher

            matcher = Matcher(self.resources.vocab(), validate=True)
            for number, pattern in enumerate(self.patterns):
                try:
                    matcher.add(f"p{number}", [pattern])
                except (ValueError, KeyError, TypeError) as exc:
                    first = str(exc).strip().splitlines()
                    reason = first[-1] if first else "invalid pattern"
                    raise QCError(
                        Code.E201,
                        f"token pattern {number} is not valid: {reason}",
                        field=f"patterns[{number}]",
                    ) from None
            self._matcher = matcher
        return self._matcher

    def check(self, chat: Chat) -> Iterator[Hit]:
        norms = chat.norm
        if self._trigger is not None:
            candidates = chat.matching(self._trigger, self.roles)
        else:
            candidates = [
                i
                for i, role in enumerate(chat.roles)
                if role in self.roles
                and (not self._nul_triggers or any(t in norms[i].text for t in self.triggers))
            ]
        for index in candidates:
            norm = norms[index]
            if not self._possible(norm.text):
                continue
            doc = chat.doc(index)
            matches = self._build_matcher()(doc, as_spans=True)
            if not matches:
                continue
            best = min(matches, key=lambda s: (s.start_char, -(s.end_char)))
            span = norm.to_original(best.start_char, best.end_char)
            words = " / ".join(t.text for t in best)
            quote = chat.quote(index, span)
            lead = f"{self.evidence_text}：" if self.evidence_text else ""
            yield Hit(index, span, f"{lead}「{quote}」(分词: {words})")

    def _possible(self, text: str) -> bool:
        """Whether some pattern can match: each of its required tokens' words occurs in
        the text (a token's text is a piece of the message), so segmenting can be skipped."""
        found: dict[re.Pattern[str], bool] = {}
        for required in self._required:
            for words in required:
                present = found.get(words)
                if present is None:
                    present = found[words] = words.search(text) is not None
                if not present:
                    break
            else:
                return True
        return False


def _required_words(pattern: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """For each token a pattern cannot match without (no OP, or OP "1" or "+") and that
    names its words (ORTH or TEXT, a word or {IN: [...]}): the words it can be."""
    required = []
    for token in pattern:
        if token.get("OP") not in (None, "1", "+"):
            continue
        for attr in ("ORTH", "TEXT"):
            value = token.get(attr)
            if isinstance(value, dict):
                value = value.get("IN")
            if isinstance(value, str):
                value = [value]
            if isinstance(value, list) and value and all(isinstance(w, str) for w in value):
                required.append(tuple(value))
                break
    return required


@register
class TokenPattern(TokenPatternChecker):
    """A token-pattern rule written in the checklist (分词模式规则).

    What it does:
        Segments the message with spaCy's Chinese pipeline over jieba (with the shop user
        dictionary) and flags a message where one of the item's spaCy Matcher patterns
        matches, for what a phrase list cannot say: word order, optional words, a word
        from a set followed by any one or two words. Only messages containing one of the
        `triggers` are segmented.

    Why is this bad?
        Whatever the item's category says; the flag is the same as a built-in checker's.

    Example:
        patterns: [[{ORTH: {IN: [你, 您]}}, {ORTH: 自己}, {OP: "?"}, {ORTH: 去}, {ORTH: 问}]]

    Use instead:
        "我去帮您问一下" does not match: the pattern needs 你/您 自己 … 去 问.
    """

    code = "QC131"
    slug = "tokens.pattern"
    category = "shirking"
    _pattern = [
        [
            {"ORTH": {"IN": ["你", "您"]}},
            {"ORTH": "自己"},
            {"OP": "?"},
            {"ORTH": "去"},
            {"ORTH": {"IN": ["问", "找", "联系"]}},
        ]
    ]
    must_flag = [
        Example(
            "c: 快递丢了\na: 你自己去问快递",
            at=1,
            params={"patterns": _pattern, "triggers": ["自己"]},
        ),
        Example(
            "a: 您自己再去找一下快递公司吧",
            at=0,
            params={"patterns": _pattern, "triggers": ["自己"]},
        ),
        Example("a: 你自己去联系厂家", at=0, params={"patterns": _pattern}),
    ]
    must_pass = [
        Example("a: 我去帮您问一下仓库", params={"patterns": _pattern, "triggers": ["自己"]}),
        Example("a: 您自己收货的时候注意检查哦", params={"patterns": _pattern}),
        Example(
            "c: 你自己去问快递\na: 好的亲我来帮您问",
            params={"patterns": _pattern, "triggers": ["自己"]},
        ),
    ]

    def rule_name(self, item_id: str) -> str:
        return f"tokens.{item_id}"
