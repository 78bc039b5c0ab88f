"""The inspection pipeline: a transcript in, a scored result out."""
from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from qc_engine.chat import Chat
from qc_engine.checklist import Checklist, load_checklist
from qc_engine.errors import QCError
from qc_engine.normalize import Normalizer, load_normalizer
from qc_engine.result import Flag, Result, score_flags
from qc_engine.taxonomy import CATEGORIES
from qc_engine.transcript import Transcript

_CATEGORY_ORDER = {code: i for i, code in enumerate(CATEGORIES)}
DEFAULT_CHECKLIST = "default"


def default_checklist_dir() -> Path:
    """QC_CHECKLISTS, or the checklists/ folder of this checkout."""
    env = os.environ.get("QC_CHECKLISTS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "checklists"


class Engine:
    """Holds the loaded checklists and scores transcripts against them."""

    def __init__(self, checklists: Iterable[Checklist], *, normalizer: Normalizer) -> None:
        self.checklists: dict[str, Checklist] = {}
        for checklist in checklists:
            if checklist.name in self.checklists:
                raise QCError("E201", f"two checklists are named {checklist.name!r}",
                              file=checklist.path, field="name")
            self.checklists[checklist.name] = checklist
        self.normalizer = normalizer

    @classmethod
    def from_dir(cls, directory: Path | str | None = None) -> Engine:
        """Load every *.yaml checklist of a folder (lexicons in its lexicons/ subfolder)."""
        folder = Path(directory) if directory is not None else default_checklist_dir()
        if not folder.is_dir():
            raise QCError("E200", "checklist folder not found", file=str(folder))
        lexicon_dir = folder / "lexicons"
        normalizer = load_normalizer(lexicon_dir)
        checklists = [load_checklist(path, lexicon_dir=lexicon_dir, normalizer=normalizer)
                      for path in sorted(folder.glob("*.yaml"))]
        return cls(checklists, normalizer=normalizer)

    def select(self, transcript: Transcript, name: str | None = None) -> Checklist:
        """The named checklist, else the most specific one whose scope matches, else
        `default`."""
        if name is not None:
            found = self.checklists.get(name)
            if found is None:
                raise QCError("E204", f"no checklist named {name!r}; available: "
                              f"{', '.join(sorted(self.checklists))}", field="checklist")
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
        raise QCError("E204", "no checklist applies and there is no 'default' checklist")

    def score(
        self,
        transcript: Transcript,
        *,
        checklist: str | Checklist | None = None,
        timings: dict[str, float] | None = None,
    ) -> Result:
        chosen = checklist if isinstance(checklist, Checklist) else self.select(
            transcript, checklist)
        return inspect(transcript, chosen, timings=timings)


def inspect(
    transcript: Transcript, checklist: Checklist, *, timings: dict[str, float] | None = None
) -> Result:
    """Run every enabled item of a checklist over a transcript and score the flags."""
    clock = time.perf_counter
    started = clock() if timings is not None else 0.0
    chat = Chat(transcript, checklist.resources)
    if timings is not None:
        now = clock()
        timings["normalise"] = timings.get("normalise", 0.0) + now - started
    best: dict[tuple[str, int], Flag] = {}
    for item in checklist.items:
        spec = item.spec
        if not spec.enabled:
            continue
        when = spec.when
        if (when.order_status or when.channel) and not when.matches(transcript):
            continue  # (an empty scope matches every transcript)
        item_start = clock() if timings is not None else 0.0
        for hit in item.checker.check(chat):
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
                source=item.checker.source,
                rule=item.rule,
                confidence=hit.confidence,
            )
            key = (category, hit.message_index)
            kept = best.get(key)
            # One flag per category per message: keep the costlier, then the first.
            if kept is None or (flag.severity == "red_line", flag.points) > (
                kept.severity == "red_line", kept.points
            ):
                best[key] = flag
        if timings is not None:
            timings[item.spec.id] = timings.get(item.spec.id, 0.0) + clock() - item_start
    flags = sorted(best.values(),
                   key=lambda f: (f.message_index, _CATEGORY_ORDER.get(f.category, 99)))
    score, passed = score_flags(flags, pass_score=checklist.spec.pass_score)
    return Result(id=transcript.id, score=score, passed=passed, checklist=checklist.label,
                  flags=flags)
