"""The checker contract. A checker is one class in one module of this package:

- `code` (stable, e.g. QC101) and `slug` (readable, e.g. "phrase.off_platform", which is
  the `rule` of its flags), the `category` it raises by default, its lifecycle `status`;
- `Params`: a pydantic model of what a checklist item may set (`params:` in YAML);
- a docstring in the fixed template: What it does / Why is this bad? / Example / Use instead;
- `must_flag` and `must_pass`: examples the test suite runs, as linters test their rules;
- `check(chat)`: yields `Hit`s. The pipeline turns hits into flags with the checklist
  item's category, severity and points, so built-in checkers and composed YAML rules
  produce the same kind of flag;
- optionally `prepare(chats)`: work done for a whole batch of chats at once before `check`
  runs on each of them (the trained classifiers score every message of a batch in one
  pass); `check` must give the same hits whether or not `prepare` ran;
- optionally `gate_lexicons()`: lexicons without a hit of which `check` finds nothing, so
  the engine can skip the checker on most chats. `PhraseChecker` declares its own; a
  subclass whose `check` also flags on another lexicon must add it (as review_inducement
  adds its review words), or the engine skips chats where it would have flagged.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.lexicon import Lexicon, PhraseIndex
    from qc_engine.resources import Resources


class Params(BaseModel):
    """Base of every checker's parameters: unknown keys are an error, not a silent typo."""

    model_config = ConfigDict(extra="forbid", frozen=True)


BaseParams = Params  # the name inside Checker, whose `Params` is the subclass's


@dataclass(slots=True)
class Hit:
    """One problem a checker found, before the checklist gives it severity and points."""

    message_index: int
    span: tuple[int, int] | None
    evidence: str
    confidence: float = 1.0
    category: str | None = None  # only for checkers that raise more than one category


@dataclass
class Example:
    """A small chat for a checker's must-flag / must-pass tests.

    `chat` has one message per line, `ROLE: text` or `ROLE@HH:MM:SS: text`, where ROLE is
    c (customer), a (agent), b (bot) or s (system). `at`, if given, is the message index of
    the first expected hit; `params` override the checker's defaults; `meta` sets transcript
    fields such as order_status or channel.
    """

    chat: str
    at: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    note: str = ""


class Checker:
    code: ClassVar[str]
    slug: ClassVar[str]
    category: ClassVar[str]
    status: ClassVar[str] = "stable"
    source: ClassVar[str] = "rule"
    Params: ClassVar[type[BaseParams]] = BaseParams
    must_flag: ClassVar[list[Example | str]] = []
    must_pass: ClassVar[list[Example | str]] = []

    gate: frozenset[int] | None = None
    """The lexicons (by id) of which one must hit a message of the chat for this checker
    to find anything there, or None (no such promise): set by `bind` from
    `gate_lexicons`. The engine and the example runner skip the checker on a chat the gate
    rules out (`idle`), so the examples test the promise."""

    def __init__(self, params: BaseParams, resources: Resources) -> None:
        self.params = params
        self.resources = resources

    def gate_lexicons(self) -> list[tuple[Lexicon, frozenset[str]]] | None:
        """Lexicons, each with the roles it is read on, such that `check` finds nothing
        in a chat where none of them has a hit on a message of those roles; None for
        checkers that promise nothing of the kind."""
        return None

    def bind(self, phrases: PhraseIndex) -> None:
        """Called once the checklist's phrase index is built: sets `gate` if every gate
        lexicon is in the shared scan for its roles (else the scan cannot tell)."""
        lexicons = self.gate_lexicons()
        self.gate = None
        if lexicons and all(
            phrases.covered.get(id(lexicon), frozenset()).issuperset(roles)
            for lexicon, roles in lexicons
        ):
            self.gate = frozenset(id(lexicon) for lexicon, _ in lexicons)

    def idle(self, chat: Chat) -> bool:
        """Whether the gate rules this chat out: no gate lexicon hits any message."""
        return self.gate is not None and self.gate.isdisjoint(chat.scanned())

    def check(self, chat: Chat) -> Iterator[Hit]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def batched(self) -> bool:
        """Whether this checker defines `prepare` (the engine calls it only for those)."""
        return type(self).prepare is not Checker.prepare

    def prepare(self, chats: list[Chat]) -> None:
        """Do for many chats at once what `check` would do for each (results kept in
        `chat.memo`). Called by `Engine.score_batch` before `check`."""

    def rule_name(self, item_id: str) -> str:
        """The `rule` its flags carry. Generic checkers (composed rules, token patterns)
        add the checklist item id, since one checker serves many items."""
        return self.slug

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "(no documentation)")

    @classmethod
    def examples(cls) -> tuple[list[Example], list[Example]]:
        def norm(items: list[Example | str]) -> list[Example]:
            return [e if isinstance(e, Example) else Example(chat=e) for e in items]

        return norm(cls.must_flag), norm(cls.must_pass)
