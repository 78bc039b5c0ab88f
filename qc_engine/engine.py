"""The inspection pipeline: a transcript in, a scored result out."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from qc_engine.chat import Chat
from qc_engine.checklist import Checklist, load_checklist
from qc_engine.errors import Code, QCError, scoring_failed
from qc_engine.normalize import Normalizer, load_normalizer
from qc_engine.result import Flag, Result, score_flags
from qc_engine.settings import get_settings
from qc_engine.taxonomy import CATEGORIES
from qc_engine.transcript import Transcript

_CATEGORY_ORDER = {code: i for i, code in enumerate(CATEGORIES)}
DEFAULT_CHECKLIST = "default"


def default_checklist_dir() -> Path:
    """The configured checklist folder (QC_CHECKLISTS, else the package's own)."""
    return get_settings().checklist_dir


class Engine:
    """Holds the loaded checklists and scores transcripts against them."""

    def __init__(self, checklists: Iterable[Checklist], *, normalizer: Normalizer) -> None:
        self.checklists: dict[str, Checklist] = {}
        for checklist in checklists:
            if checklist.name in self.checklists:
                raise QCError(
                    Code.E201,
                    f"two checklists are named {checklist.name!r}",
                    file=checklist.path,
                    field="name",
                )
            self.checklists[checklist.name] = checklist
        self.normalizer = normalizer

    @classmethod
    def from_dir(cls, directory: Path | str | None = None) -> Engine:
        """Load every *.yaml checklist of a folder (lexicons in its lexicons/ subfolder)."""
        folder = Path(directory) if directory is not None else default_checklist_dir()
        if not folder.is_dir():
            raise QCError(Code.E200, "checklist folder not found", file=str(folder))
        lexicon_dir = folder / "lexicons"
        normalizer = load_normalizer(lexicon_dir)
        checklists = [
            load_checklist(path, lexicon_dir=lexicon_dir, normalizer=normalizer)
            for path in sorted(folder.glob("*.yaml"))
        ]
        return cls(checklists, normalizer=normalizer)

    def with_models(self, on: bool) -> Engine:
        """The same checklists with their trained-classifier items (checker source
        "model") switched on or off, the rest as configured (for measuring one without the
        other)."""
        from dataclasses import replace

        checklists = []
        for checklist in self.checklists.values():
            items = [
                replace(item, spec=item.spec.model_copy(update={"enabled": on}))
                if item.checker.source == "model"
                else item
                for item in checklist.items
            ]
            checklists.append(replace(checklist, items=items))
        return Engine(checklists, normalizer=self.normalizer)

    def select(self, transcript: Transcript, name: str | None = None) -> Checklist:
        """The named checklist, else the most specific one whose scope matches, else
        `default`."""
        if name is not None:
            found = self.checklists.get(name)
            if found is None:
                raise QCError(
                    Code.E204,
                    f"no checklist named {name!r}; available: {', '.join(sorted(self.checklists))}",
                    field="checklist",
                )
            return found
        best: Checklist | None = None
        for checklist in self.checklists.values():
            scope = checklist.spec.applies_to
            if checklist.name == DEFAULT_CHECKLIST or not scope.specificity():
                continue
            if scope.matches(transcript) and (
                best is None or scope.specificity() > best.spec.applies_to.specificity()
            ):
                best = checklist
        if best is not None:
            return best
        if DEFAULT_CHECKLIST in self.checklists:
            return self.checklists[DEFAULT_CHECKLIST]
        raise QCError(Code.E204, "no checklist applies and there is no 'default' checklist")

    def score(
        self,
        transcript: Transcript,
        *,
        checklist: str | Checklist | None = None,
        timings: dict[str, float] | None = None,
    ) -> Result:
        chosen = (
            checklist if isinstance(checklist, Checklist) else self.select(transcript, checklist)
        )
        return inspect(transcript, chosen, timings=timings)

    def score_batch(
        self,
        transcripts: Sequence[Transcript],
        *,
        checklist: str | Checklist | None = None,
        timings: dict[str, float] | None = None,
    ) -> list[Result]:
        """Score many transcripts: the same results as `score` on each, with the work that
        pays per call rather than per message (the trained classifiers) done once for the
        whole batch. Keep batches to a few hundred transcripts: their chats are held in
        memory together."""
        chosen = [
            checklist if isinstance(checklist, Checklist) else self.select(t, checklist)
            for t in transcripts
        ]
        return inspect_batch(transcripts, chosen, timings=timings)


def inspect(
    transcript: Transcript, checklist: Checklist, *, timings: dict[str, float] | None = None
) -> Result:
    """Run every enabled item of a checklist over a transcript and score the flags."""
    clock = time.perf_counter
    started = clock() if timings is not None else 0.0
    chat = Chat(transcript, checklist.resources)
    if timings is not None:
        timings["normalise"] = timings.get("normalise", 0.0) + clock() - started
    return _run(chat, checklist, timings)


def inspect_batch(
    transcripts: Sequence[Transcript],
    checklists: Sequence[Checklist],
    *,
    timings: dict[str, float] | None = None,
) -> list[Result]:
    """`inspect` of each transcript with its checklist; the items whose checker works on a
    batch (`prepare`) first see all the chats of their checklist at once."""
    clock = time.perf_counter
    started = clock() if timings is not None else 0.0
    chats = [Chat(t, c.resources) for t, c in zip(transcripts, checklists, strict=True)]
    if timings is not None:
        timings["normalise"] = timings.get("normalise", 0.0) + clock() - started
    groups: dict[int, tuple[Checklist, list[Chat]]] = {}
    for chat, checklist in zip(chats, checklists, strict=True):
        groups.setdefault(id(checklist), (checklist, []))[1].append(chat)
    for checklist, members in groups.values():
        for item, checker, when in checklist.plan:
            if checker.batched:
                item_start = clock() if timings is not None else 0.0
                checker.prepare([c for c in members if when is None or when.matches(c.transcript)])
                if timings is not None:
                    timings[item.spec.id] = timings.get(item.spec.id, 0.0) + clock() - item_start
    return [
        _run(chat, checklist, timings) for chat, checklist in zip(chats, checklists, strict=True)
    ]


def inspect_isolated(
    transcripts: Sequence[Transcript], checklists: Sequence[Checklist]
) -> list[Result | QCError]:
    """`inspect_batch`; if it fails unexpectedly (a bug), each transcript alone, so only
    the one the engine fails on is lost: an E500 error in its place, the traceback logged."""
    try:
        return list(inspect_batch(transcripts, checklists))
    except Exception:
        return [_inspect_or_error(t, c) for t, c in zip(transcripts, checklists, strict=True)]


def _inspect_or_error(transcript: Transcript, checklist: Checklist) -> Result | QCError:
    try:
        return inspect(transcript, checklist)
    except Exception as exc:  # logged and reported: the batch goes on
        logging.getLogger("qc_engine").exception(
            "the engine failed on transcript %r", transcript.id
        )
        return scoring_failed(transcript.id, exc)


def _run(chat: Chat, checklist: Checklist, timings: dict[str, float] | None) -> Result:
    clock = time.perf_counter
    transcript = chat.transcript
    best: dict[tuple[str, int], Flag] = {}
    if timings is not None:
        # The chat's shared phrase scan, a stage of its own (else the first item that reads
        # it, or a gate, would pay for it)
        started = clock()
        chat.scanned()
        timings["phrase scan"] = timings.get("phrase scan", 0.0) + clock() - started
    for item, checker, when in checklist.plan:
        if when is not None and not when.matches(transcript):
            continue
        if checker.gate is not None and checker.idle(chat):
            continue  # none of its phrases in the chat: it would find nothing
        item_start = clock() if timings is not None else 0.0
        for hit in checker.check(chat):
            category = hit.category or item.category
            if hit.category and hit.category != item.category:
                severity, points = item.cost_of(hit.category)
            else:
                severity, points = item.severity, item.points
            flag = Flag(
                category=category,
                message_index=hit.message_index,
                span=hit.span,
                evidence=hit.evidence,
                severity=severity,
                points=points,
                source=checker.source,
                rule=item.rule,
                confidence=hit.confidence,
            )
            key = (category, hit.message_index)
            kept = best.get(key)
            # One flag per category per message: keep the costlier, then the first.
            if kept is None or (flag.severity == "red_line", flag.points) > (
                kept.severity == "red_line",
                kept.points,
            ):
                best[key] = flag
        if timings is not None:
            timings[item.spec.id] = timings.get(item.spec.id, 0.0) + clock() - item_start
    flags = sorted(
        best.values(), key=lambda f: (f.message_index, _CATEGORY_ORDER.get(f.category, 99))
    )
    score, passed = score_flags(flags, pass_score=checklist.spec.pass_score)
    return Result(
        id=transcript.id, score=score, passed=passed, checklist=checklist.label, flags=flags
    )
