"""Text laid out in columns for a terminal (`qc score --format table`, `qc keys list`, the
demo keys `qc serve --demo` prints).

Columns are padded by display width, not by length: a Chinese character takes two columns
of a terminal, so `str.ljust` (which counts it as one) lets every row holding Chinese drift
to the right of the rows above it.
"""

from __future__ import annotations

from collections.abc import Sequence

from wcwidth import wcswidth, wcwidth


def display_width(text: str) -> int:
    """How many terminal columns `text` takes."""
    width = wcswidth(text)
    if width >= 0:
        return width
    # wcswidth gives up (-1) on a control character: count what does print.
    return sum(max(wcwidth(char), 0) for char in text)


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` terminal columns (never cut)."""
    return text + " " * max(width - display_width(text), 0)


def columns(rows: Sequence[Sequence[str]], *, gap: str = "  ", indent: str = "") -> list[str]:
    """One line per row, each cell but the last padded to the widest cell of its column."""
    widths: list[int] = []
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            if index == len(widths):
                widths.append(0)
            widths[index] = max(widths[index], display_width(cell))
    return [
        indent + gap.join([*(pad(cell, widths[i]) for i, cell in enumerate(row[:-1])), *row[-1:]])
        for row in rows
    ]
