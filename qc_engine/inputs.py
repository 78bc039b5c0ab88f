"""Reading chats from files and text: JSON Lines (a bad line is reported and the rest
load), a JSON document or array, or a Qianniu text export (qc_engine/qianniu.py), told apart
by their first characters; stdin too."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from qc_engine.errors import Code, QCError
from qc_engine.qianniu import parse_qianniu
from qc_engine.transcript import Loaded, decode_line, json_error, parse_json, transcript_from_dict


def iter_json_lines(
    lines: Iterable[str | bytes], *, file: str | None, first_line: int = 1
) -> Iterator[Loaded]:
    """JSON Lines: a bad line is reported and skipped, the rest still load. Lines read as
    bytes are decoded one by one, so a line that is not UTF-8 is one bad line."""
    for number, raw in enumerate(lines, start=first_line):
        if isinstance(raw, bytes):
            try:
                line = decode_line(raw, file=file, line=number)
            except QCError as exc:
                yield Loaded(number, error=exc)
                continue
        else:
            line = raw
        if not line.strip():
            continue
        try:
            data = parse_json(line)
        except ValueError as exc:
            yield Loaded(number, error=QCError(Code.E100, json_error(exc), file=file, line=number))
            continue
        try:
            yield Loaded(number, transcript=transcript_from_dict(data, file=file, line=number))
        except QCError as exc:
            yield Loaded(number, error=exc)


def _is_json_line(line: str) -> bool:
    try:
        parse_json(line)
    except json.JSONDecodeError:
        return False
    except ValueError:
        return True  # JSON, but not what we take: the line's own error says why
    return True


def iter_text(text: str, *, file: str | None, agents: Iterable[str] = ()) -> Iterator[Loaded]:
    """Read any supported input held in memory: JSON, a JSON array, JSON Lines or Qianniu."""
    body = text.lstrip("\ufeff")
    stripped = body.lstrip(" \t\r\n")
    skipped_lines = body[: len(body) - len(stripped)].count("\n")
    first_line = stripped.split("\n", 1)[0]
    if stripped.startswith("{") and _is_json_line(first_line):
        yield from iter_json_lines(body.splitlines(), file=file)
        return
    if stripped.startswith(("[", "{")):
        try:
            data = parse_json(stripped)
        except json.JSONDecodeError as exc:
            # "[图片]…" fails at its first characters: that is chat text, not broken JSON.
            if not (stripped.startswith("[") and exc.lineno == 1 and exc.colno <= 2):
                line = exc.lineno + skipped_lines
                yield Loaded(line, error=QCError(Code.E100, json_error(exc), file=file, line=line))
                return
        except ValueError as exc:
            yield Loaded(None, error=QCError(Code.E100, json_error(exc), file=file))
            return
        else:
            items = data if isinstance(data, list) else [data]
            for index, item in enumerate(items):
                where = f"[{index}]" if isinstance(data, list) else None
                try:
                    yield Loaded(None, transcript=transcript_from_dict(item, file=file))
                except QCError as exc:
                    if where:
                        exc.field = f"{where}.{exc.field}" if exc.field else where
                    yield Loaded(None, error=exc)
            return
    yield from parse_qianniu(text, file=file, agents=agents)


def load_path(path: str | Path, *, agents: Iterable[str] = ()) -> Iterator[Loaded]:
    """Read a file (or '-' for stdin) of transcripts in any supported format."""

    name = str(path)
    if name == "-":
        binary = getattr(sys.stdin, "buffer", None)
        if binary is None:  # a text stream put in place of stdin
            yield from iter_text(sys.stdin.read(), file="<stdin>", agents=agents)
            return
        yield from _from_stream(binary, file="<stdin>", agents=agents)
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        yield Loaded(None, error=QCError(Code.E103, f"cannot open: {exc.strerror}", file=name))
        return
    with handle:
        yield from _from_stream(handle, file=name, agents=agents)


def _from_stream(stream: IO[bytes], *, file: str, agents: Iterable[str]) -> Iterator[Loaded]:
    """JSON Lines is streamed line by line, each line decoded alone (a line that is not
    UTF-8 is reported and skipped); other formats are read and decoded whole."""
    first = stream.readline()
    skipped = 0
    while first and not first.strip():
        skipped += 1
        first = stream.readline()
    head_bytes = first[3:] if first.startswith(b"\xef\xbb\xbf") else first
    try:
        head = head_bytes.decode("utf-8")
    except UnicodeDecodeError:
        head = ""
    if head.startswith("{") and _is_json_line(head):
        from itertools import chain

        yield from iter_json_lines(chain([head], stream), file=file, first_line=skipped + 1)
        return
    data = first + stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = skipped + data[: exc.start].count(b"\n") + 1
        yield Loaded(
            line,
            error=QCError(
                Code.E103,
                f"not UTF-8 text: byte 0x{data[exc.start]:02x} (the whole input is read "
                "as one JSON document or Qianniu export, so nothing of it was read)",
                file=file,
                line=line,
            ),
        )
        return
    yield from iter_text("\n" * skipped + text, file=file, agents=agents)
