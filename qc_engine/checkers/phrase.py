"""The shared mechanism of lexicon checkers; each concern subclasses it in its own module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from qc_engine.checkers.base import Checker, Hit, Params
from qc_engine.transcript import Role

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.lexicon import Lexicon
    from qc_engine.resources import Resources


class PhraseParams(Params):
    lexicons: list[str] | None = None
    """Lexicon names: file names in the checklist's folder or the lexicon folder
    (qc_engine/checklists/lexicons/); default: the checker's own."""
    extra: list[str] = []
    """More phrases, one lexicon line each (conditions allowed), kept in the checklist."""
    roles: list[Role] | None = None
    """Whose messages to inspect; default: the checker's own (agent and bot for agent
    categories, customer for customer signals)."""


class PhraseChecker(Checker):
    """Abstract: flags a message holding a phrase from the checker's lexicons."""

    Params = PhraseParams
    lexicon_files: ClassVar[tuple[str, ...]] = ()
    roles: ClassVar[tuple[str, ...]] = ("agent", "bot")
    reason: ClassVar[str] = ""
    """Why the hit matters, in Chinese, appended to the evidence ("客服主动提及监管渠道")."""
    shared_lexicons: ClassVar[bool] = True
    """False for word lists with very common entries (see `Resources.lexicon`)."""

    def __init__(self, params: PhraseParams, resources: Resources) -> None:
        super().__init__(params, resources)
        files = params.lexicons if params.lexicons is not None else list(self.lexicon_files)
        shared = self.shared_lexicons
        self.inspect_roles = roles = frozenset(params.roles or self.roles)
        self.lexicons = [
            resources.lexicon(name, shared=shared, roles=roles, field=f"lexicons[{index}]")
            for index, name in enumerate(files)
        ]
        if params.extra:
            self.lexicons.append(
                resources.inline_lexicon(
                    f"{self.slug}.extra", params.extra, shared=shared, roles=roles
                )
            )

    def gate_lexicons(self) -> list[tuple[Lexicon, frozenset[str]]] | None:
        # (only shared lexicons are in the scan the gate reads)
        if not self.shared_lexicons:
            return None
        return [(lexicon, self.inspect_roles) for lexicon in self.lexicons]

    def candidates(self, chat: Chat) -> list[int]:
        """The messages of the inspected roles where one of the lexicons may hit, in order."""
        roles = self.inspect_roles
        if len(self.lexicons) == 1:
            return chat.hit_indices(self.lexicons[0], roles)
        found: set[int] = set()
        for lexicon in self.lexicons:
            found.update(chat.hit_indices(lexicon, roles))
        return sorted(found)

    def check(self, chat: Chat) -> Iterator[Hit]:
        for index in self.candidates(chat):
            for lexicon in self.lexicons:
                hit = chat.first_hit(index, lexicon)
                if hit is None:
                    continue
                span = chat.norm[index].to_original(hit.start, hit.end)
                evidence = self.evidence(chat, index, span, hit.entry)
                if self.reason:
                    evidence = f"{evidence}：{self.reason}"
                yield Hit(index, span, evidence)
                break

    @staticmethod
    def evidence(chat: Chat, index: int, span: tuple[int, int], entry: object) -> str:
        from qc_engine.lexicon import Entry

        assert isinstance(entry, Entry)
        return (
            f"「{chat.quote(index, span)}」命中词条「{entry.original}」({entry.source} "
            f"第{entry.line}行)"
        )
