"""Every registered checker's own examples are tests, as linters test their rules: ours and
those of other installed distributions (entry point group `qc_engine.checkers`), which the
registry holds as well."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.examples import run_example

from .conftest import LEXICONS

CASES = []
for slug, cls in sorted(REGISTRY.items()):
    flag, clean = cls.examples()
    CASES += [pytest.param(cls, ex, True, id=f"{slug}-flag-{i}") for i, ex in enumerate(flag)]
    CASES += [pytest.param(cls, ex, False, id=f"{slug}-pass-{i}") for i, ex in enumerate(clean)]


def check_examples_and_docs(cls):
    flag, clean = cls.examples()
    assert len(flag) >= 2 and len(clean) >= 2, f"{cls.slug} needs must-flag and must-pass examples"
    doc = cls.documentation()
    for heading in ("What it does:", "Why is this bad?", "Example:", "Use instead:"):
        assert heading in doc, f"{cls.slug}: docstring lacks {heading!r}"


def check_example(cls, example, should_flag, normalizer):
    hits = run_example(cls, example, lexicon_dir=LEXICONS, normalizer=normalizer)
    if should_flag:
        assert hits, f"{cls.slug} should flag:\n{example.chat}"
        if example.at is not None:
            assert hits[0].message_index == example.at, [h.evidence for h in hits]
        for hit in hits:
            if hit.span is not None:
                start, end = hit.span
                lines = example.chat.strip().splitlines()
                text = lines[hit.message_index].split(": ", 1)[1]
                assert 0 <= start < end <= len(text), (hit.span, text)
    else:
        assert not hits, f"{cls.slug} should not flag:\n{example.chat}\n" + "\n".join(
            h.evidence for h in hits
        )


@pytest.mark.parametrize("slug", sorted(REGISTRY))
def test_every_checker_has_examples_and_docs(slug):
    check_examples_and_docs(REGISTRY[slug])


@pytest.mark.parametrize(("cls", "example", "should_flag"), CASES)
def test_checker_example(cls, example, should_flag, normalizer):
    check_example(cls, example, should_flag, normalizer)
