"""Scoring a stream of chats on several cores, results in input order (`qc score --jobs N`).

The engine is loaded once, in the parent; worker processes are forked from it and share
its tables and models copy-on-write (on a platform without fork each worker loads its own
engine once). The parent reads the input, sends batches of transcripts to the workers and
writes each batch's rendered results as soon as it and every batch before it are done:
at most `2 x jobs` batches are in flight, so memory stays bounded however large the
input. Rendering happens in the workers, so the output is the same bytes as one process
writes.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from qc_engine.engine import Engine, inspect_isolated
from qc_engine.errors import QCError
from qc_engine.result import Result
from qc_engine.transcript import Loaded, Transcript

Render = Callable[[Result, Transcript], str]


@dataclass(frozen=True)
class Scored:
    """One input's outcome, in input order: the rendered result, or the error."""

    text: str | None = None
    error: QCError | None = None


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# What a worker scores with: set in the parent before forking, or by _load in a spawned one.
_ENGINE: Engine | None = None
_RENDER: Render | None = None


def _load(checklist_dir: Path | None, render: Render) -> None:
    global _ENGINE, _RENDER
    _ENGINE, _RENDER = Engine.from_dir(checklist_dir), render


def _score_batch(batch: list[Transcript], checklist: str | None) -> list[Scored]:
    engine, render = _ENGINE, _RENDER
    assert engine is not None and render is not None
    chosen = [engine.select(transcript, checklist) for transcript in batch]
    return [
        Scored(error=result) if isinstance(result, QCError) else Scored(render(result, t))
        for t, result in zip(batch, inspect_isolated(batch, chosen), strict=True)
    ]


def _batches(items: Iterable[Loaded], size: int) -> Iterator[tuple[list[Scored], list[Transcript]]]:
    """(input errors met before the batch, the batch): an input error keeps its place."""
    errors: list[Scored] = []
    batch: list[Transcript] = []
    for item in items:
        if item.error is not None:
            if batch:
                yield errors, batch
                errors, batch = [], []
            errors.append(Scored(error=item.error))
            continue
        assert item.transcript is not None
        batch.append(item.transcript)
        if len(batch) >= size:
            yield errors, batch
            errors, batch = [], []
    if batch or errors:
        yield errors, batch


def score_stream(
    items: Iterable[Loaded],
    *,
    engine: Engine,
    checklist_dir: Path | None,
    checklist: str | None,
    render: Render,
    jobs: int,
    batch_size: int,
    used: dict[str, int] | None = None,
) -> Iterator[Scored]:
    """Every input's outcome in input order, scored on `jobs` processes (1: in this one);
    `used["jobs"]` says how many were used (one for an input of one batch)."""
    global _ENGINE, _RENDER
    _ENGINE, _RENDER = engine, render
    batches = _batches(items, batch_size)
    if jobs > 1:
        # An input of one batch (a chat or a few) is scored here: starting workers would
        # cost more than it saves.
        ahead = list(itertools.islice(batches, 2))
        if len(ahead) < 2:
            jobs = 1
        batches = itertools.chain(ahead, batches)
    if used is not None:
        used["jobs"] = max(1, jobs)
    if jobs <= 1:
        for errors, batch in batches:
            yield from errors
            if batch:
                yield from _score_batch(batch, checklist)
        return
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods:
        context: Any = multiprocessing.get_context("fork")
        pool = context.Pool(jobs)
    else:  # pragma: no cover - macOS and Windows spawn: each worker loads the engine once
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(jobs, initializer=_load, initargs=(checklist_dir, render))
    pending: deque[tuple[list[Scored], AsyncResult[list[Scored]] | None]] = deque()
    try:
        for errors, batch in batches:
            task = pool.apply_async(_score_batch, (batch, checklist)) if batch else None
            pending.append((errors, task))
            while len(pending) > 2 * jobs:
                yield from _done(pending.popleft())
        while pending:
            yield from _done(pending.popleft())
    finally:
        pool.terminate()
        pool.join()


def _done(entry: tuple[list[Scored], AsyncResult[list[Scored]] | None]) -> Iterator[Scored]:
    errors, task = entry
    yield from errors
    if task is not None:
        yield from task.get()
