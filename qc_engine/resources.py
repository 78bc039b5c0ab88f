"""What checkers load at checklist time: lexicons, the normaliser, regexes, the segmenter."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qc_engine.errors import Code, QCError
from qc_engine.lexicon import Lexicon, PhraseIndex, lexicon_from_text, read_lexicon_text
from qc_engine.normalize import Normalizer

if TYPE_CHECKING:
    from qc_engine.segment import Segmenter


# A lexicon is named, never pathed: a file name in the checklist's folder or the lexicon
# folder. No separator, no leading dot, so no name can leave those folders.
LEXICON_NAME = re.compile(r"[^\W_][\w.-]{0,99}\.txt")
LEXICON_MAX_BYTES = 4 * 1024 * 1024
"""The largest lexicon file read (the largest shipped one is about 0.4 MB)."""


def check_lexicon_name(name: object) -> str:
    """`name` if it is a lexicon name (such as `off_platform.txt`), else a QCError that
    says what a name must be, without saying anything about the server's files."""
    if not isinstance(name, str) or not LEXICON_NAME.fullmatch(name):
        raise QCError(
            Code.E202,
            f"{name!r} is not a lexicon name: a lexicon is named by its file "
            "name in the lexicon folder, such as off_platform.txt (letters, digits, "
            "_, . and -, ending in .txt; no folders)",
        )
    return name


class Resources:
    """Shared, read-only after `freeze()`: one per loaded checklist.

    Lexicons come from `lexicon_texts` (name -> the file's text: what a stored checklist
    version carries) and, unless `texts_only`, from files (the checklist's folder, then the
    lexicon folder). `read_texts` holds the text of every lexicon read, by name: what a new
    stored version keeps."""

    def __init__(
        self,
        *,
        normalizer: Normalizer,
        base_dir: Path | None,
        lexicon_dir: Path,
        segmenter_factory: Any,
        lexicon_texts: Mapping[str, str] | None = None,
        texts_only: bool = False,
    ) -> None:
        self.normalizer = normalizer
        self.base_dir = base_dir
        self.lexicon_dir = lexicon_dir
        self.lexicon_texts = dict(lexicon_texts or {})
        self.texts_only = texts_only
        self.read_texts: dict[str, str] = {}
        self._segmenter_factory = segmenter_factory
        self._segmenter: Segmenter | None = None
        self._lexicons: dict[str, Lexicon] = {}
        self._inline: list[Lexicon] = []
        self._shared: set[int] = set()  # ids of lexicons some checker reads as shared
        # For each lexicon (by id), the roles of the messages checkers read it on (None:
        # any role).
        self._roles: dict[int, frozenset[str] | None] = {}
        self.phrase_index = PhraseIndex(())

    def resolve(self, name: str) -> Path:
        """The file of a lexicon name as written in a checklist: in the checklist's own
        folder (`base_dir`, only for checklists read from a file), else in the lexicon
        folder. Anything but a plain name, a missing file or one that is not a regular file
        is a QCError naming the lexicon and nothing of the server's paths."""
        check_lexicon_name(name)
        for base in (self.base_dir, self.lexicon_dir):
            if base is None:
                continue
            candidate = base / name
            if candidate.is_file():
                return candidate
        raise QCError(
            Code.E202,
            f"lexicon not found: {name} (no such lexicon in the lexicon folder)",
            file=name,
        )

    def lexicon(
        self,
        name: str,
        *,
        shared: bool = True,
        roles: Collection[str] | None = None,
        field: str | None = None,
    ) -> Lexicon:
        """A lexicon file. `shared=False` is for word lists with very common entries (亲,
        好, 您…) that a checker reads on a few messages: they stay out of the phrase scan
        every message gets, unless another checker reads the same file as shared. `roles`:
        the roles of the messages the checker reads it on (None: any); messages of other
        roles are not scanned for it unless another checker asks (reading it there anyway
        gives the same hits, more slowly). `field`: the parameter that named it, for errors."""
        try:
            check_lexicon_name(name)
            found = self._lexicons.get(name)
            if found is None:
                text = self._text_of(name)
                found = lexicon_from_text(name, text, normalizer=self.normalizer)
                self._lexicons[name] = found
                self.read_texts[name] = text
        except QCError as exc:
            exc.field = exc.field or field
            raise
        self._read(found, shared, roles)
        return found

    def _text_of(self, name: str) -> str:
        if name in self.lexicon_texts:
            text = self.lexicon_texts[name]
            if len(text.encode("utf-8")) > LEXICON_MAX_BYTES:
                raise QCError(
                    Code.E202,
                    f"lexicon is larger than {LEXICON_MAX_BYTES // (1024 * 1024)} MB",
                    file=name,
                )
            return text
        if self.texts_only:
            raise QCError(
                Code.E202,
                f"lexicon not found: {name} (this checklist version carries no such lexicon)",
                file=name,
            )
        return read_lexicon_text(self.resolve(name), max_bytes=LEXICON_MAX_BYTES)

    def inline_lexicon(
        self,
        name: str,
        phrases: list[str],
        *,
        shared: bool = True,
        roles: Collection[str] | None = None,
    ) -> Lexicon:
        """A lexicon written inside a checklist item (keyword conditions, extra phrases)."""
        from qc_engine.lexicon import parse_lexicon_lines

        entries = parse_lexicon_lines(phrases, source=name, normalizer=self.normalizer)
        lexicon = Lexicon(name=name, path=name, entries=tuple(entries))
        self._inline.append(lexicon)
        self._read(lexicon, shared, roles)
        return lexicon

    def _read(self, lexicon: Lexicon, shared: bool, roles: Collection[str] | None) -> None:
        key = id(lexicon)
        if shared:
            self._shared.add(key)
        if roles is None:
            self._roles[key] = None
        elif key not in self._roles:
            self._roles[key] = frozenset(roles)
        elif self._roles[key] is not None:
            self._roles[key] = self._roles[key] | frozenset(roles)  # type: ignore[operator]

    def freeze(self) -> None:
        every = [*self._lexicons.values(), *self._inline]
        self.phrase_index = PhraseIndex(
            [x for x in every if id(x) in self._shared],
            private=[x for x in every if id(x) not in self._shared],
            roles=dict(self._roles),
        )

    def segmenter(self, text: str) -> Any:
        if self._segmenter is None:
            self._segmenter = self._segmenter_factory()
        return self._segmenter(text)

    def vocab(self) -> Any:
        """The spaCy vocabulary of the segmenter's docs (token matchers must share it)."""
        if self._segmenter is None:
            self._segmenter = self._segmenter_factory()
        return self._segmenter.nlp.vocab

    @property
    def lexicons(self) -> list[Lexicon]:
        return [*self._lexicons.values(), *self._inline]


def compile_user_regex(pattern: str, *, where: str) -> Any:
    """Compile a regex from a checklist with RE2: linear time, so no pattern can hang the
    engine. Constructs RE2 cannot run in linear time (backreferences, lookaround) are
    rejected with the reason."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise QCError(
            Code.E203,
            f"regular expression {pattern!r} is not allowed: {reason} "
            "(checklist patterns run on RE2: no backreferences or lookaround)",
            field=where,
        ) from None
