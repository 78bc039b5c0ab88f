"""Making the real labelled set (models/data/real/): batches for the labellers, a check of
each labeller's file, and the merge of two independent passes.

    python tools/labelling.py batches OUT_DIR          # the batch files to label
    python tools/labelling.py check BATCH OUTPUT       # validate one labeller's file
    python tools/labelling.py merge                    # passes a + b -> disagreements_open
    python tools/labelling.py build                    # passes + resolutions -> labels.jsonl
    python tools/labelling.py show SESSION_ID          # one session as the labellers saw it

Guidelines: models/data/real/GUIDELINES.md. The split of each session (validation or test)
is fixed by `qc_engine.ml.realset.split_of_session`; labellers never see it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qc_engine.ml.realset import (  # noqa: E402
    AGENT_REAL_LABELS,
    CUSTOMER_LABELS,
    QUESTION_TYPES,
    REAL_DIR,
    dump_jsonl,
    real_sessions,
)

BATCH_SIZE = 55
ROLE_MARK = {"customer": "C", "agent": "A", "bot": "B", "system": "S"}


def batches(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    sessions = real_sessions()
    groups: list[list[dict]] = []
    for corpus in ("jddc", "ecd"):
        mine = [s for s in sessions if s["id"].startswith(corpus)]
        size = -(-len(mine) // -(-len(mine) // BATCH_SIZE))  # even batches
        groups += [mine[k : k + size] for k in range(0, len(mine), size)]
    for number, group in enumerate(groups):
        lines = []
        for session in group:
            lines.append(f"=== session {session['id']}")
            for index, message in enumerate(session["messages"]):
                text = message["text"].replace("\n", " / ")
                lines.append(f"[{index}] {ROLE_MARK[message['role']]}: {text}")
            lines.append("")
        (out_dir / f"batch_{number:02d}.txt").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(groups)} batches, {len(sessions)} sessions -> {out_dir}")


def _batch_sessions(batch: Path) -> dict[str, list[str]]:
    """Session id -> the role of each message, from a batch file."""
    sessions: dict[str, list[str]] = {}
    current: list[str] | None = None
    marks = {v: k for k, v in ROLE_MARK.items()}
    for line in batch.read_text(encoding="utf-8").splitlines():
        if line.startswith("=== session "):
            current = sessions.setdefault(line.split()[-1], [])
        elif line.startswith("[") and current is not None:
            mark = line.split("] ", 1)[1][0]
            current.append(marks[mark])
    return sessions


def check(batch: Path, output: Path) -> list[str]:
    """The problems of a labeller's output for a batch (empty: it is complete and valid)."""
    sessions = _batch_sessions(batch)
    problems: list[str] = []
    seen: set[tuple[str, int, str]] = set()
    for number, line in enumerate(output.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        sid, index, kind = row.get("s"), row.get("i"), row.get("kind")
        roles = sessions.get(sid)
        if roles is None or not isinstance(index, int) or not 0 <= index < len(roles):
            problems.append(f"line {number}: no message [{index}] in session {sid}")
            continue
        role = roles[index]
        if (sid, index, kind) in seen:
            problems.append(f"line {number}: {sid} [{index}] {kind} labelled twice")
        seen.add((sid, index, kind))
        if kind == "agent":
            labels = row.get("labels")
            if role != "agent":
                problems.append(f"line {number}: [{index}] is a {role} message, not agent")
            if not isinstance(labels, list) or not set(labels) <= set(AGENT_REAL_LABELS):
                problems.append(f"line {number}: labels must be a list of {AGENT_REAL_LABELS}")
        elif kind == "customer":
            if role != "customer":
                problems.append(f"line {number}: [{index}] is a {role} message, not customer")
            if row.get("label") not in CUSTOMER_LABELS:
                problems.append(f"line {number}: label must be one of {CUSTOMER_LABELS}")
        elif kind in ("question", "promise"):
            want = "customer" if kind == "question" else "agent"
            if role != want:
                problems.append(f"line {number}: a {kind} must be a {want} message")
            target = row.get("answered_by" if kind == "question" else "kept_by", "missing")
            if target == "missing":
                problems.append(
                    f"line {number}: needs {'answered_by' if kind == 'question' else 'kept_by'}"
                )
            elif target is not None and (
                not isinstance(target, int)
                or not index < target < len(roles)
                or roles[target] != "agent"
            ):
                problems.append(f"line {number}: {target} is not a later agent message")
            if kind == "question" and row.get("type") not in QUESTION_TYPES:
                problems.append(f"line {number}: type must be one of {QUESTION_TYPES}")
        else:
            problems.append(f"line {number}: kind must be agent, customer, question, promise")
    for sid, roles in sessions.items():
        for index, role in enumerate(roles):
            if role in ("agent", "customer") and (sid, index, role) not in seen:
                problems.append(f"{sid} [{index}] ({role}) has no label")
    return problems


def merge() -> None:
    """Pair pass a with pass b on the sessions both finished: each difference goes to
    disagreements_open.jsonl with both answers, for a third reading (resolutions.jsonl)."""
    a, b = _load_pass("a"), _load_pass("b")
    done = {key[0] for key in a} & {key[0] for key in b}
    keys = sorted(k for k in set(a) | set(b) if k[0] in done)
    open_rows = [
        {"s": key[0], "i": key[1], "kind": key[2], "a": a.get(key), "b": b.get(key)}
        for key in keys
        if _answer(a.get(key)) != _answer(b.get(key))
    ]
    path = REAL_DIR / "disagreements_open.jsonl"
    dump_jsonl(open_rows, path)
    print(
        f"{len(done)} sessions, {len(keys)} labelled items, {len(open_rows)} "
        f"disagreements -> {path}"
    )


def _load_pass(name: str) -> dict[tuple[str, int, str], dict]:
    table: dict[tuple[str, int, str], dict] = {}
    for path in sorted((REAL_DIR / "passes" / name).glob("batch_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                table[(row["s"], row["i"], row["kind"])] = row
    return table


def build() -> None:
    """labels.jsonl: every item both passes labelled (sessions both passes finished), with
    the agreed answer or, where they differed, the resolution of resolutions.jsonl; and
    disagreements.jsonl: every difference with both answers and its resolution."""
    from qc_engine.ml.realset import split_of_session

    a, b = _load_pass("a"), _load_pass("b")
    done = {key[0] for key in a} & {key[0] for key in b}
    resolutions = {}
    for path in sorted(REAL_DIR.glob("resolutions*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                resolutions[(row["s"], row["i"], row["kind"])] = row
    sessions = {s["id"]: s for s in real_sessions() if s["id"] in done}
    rows, disagreements, unresolved = [], [], 0
    for key in sorted(k for k in set(a) | set(b) if k[0] in done):
        first, second = a.get(key), b.get(key)
        if _answer(first) == _answer(second):
            final, resolution = first or second, None
        else:
            resolution = resolutions.get(key)
            if resolution is None:
                unresolved += 1
                continue
            disagreements.append(
                {
                    "s": key[0],
                    "i": key[1],
                    "kind": key[2],
                    "a": _answer(first),
                    "b": _answer(second),
                    "resolved": _answer(resolution)
                    if not resolution.get("drop")
                    else "not a " + key[2],
                    "why": resolution.get("why", ""),
                }
            )
            if resolution.get("drop"):
                continue
            final = resolution
        assert final is not None
        session, (sid, index, kind) = sessions[key[0]], key
        messages = session["messages"]
        context = (
            next((m["text"] for m in reversed(messages[:index]) if m["role"] == "customer"), "")
            if kind in ("agent", "promise")
            else next((m["text"] for m in reversed(messages[:index]) if m["role"] == "agent"), "")
        )
        answer = {
            "agent": lambda r: sorted(r.get("labels") or []),
            "customer": lambda r: r.get("label"),
            "question": lambda r: r.get("answered_by"),
            "promise": lambda r: r.get("kept_by"),
        }[kind](final)
        row = {
            "s": sid,
            "i": index,
            "kind": kind,
            "split": split_of_session(sid),
            "source": sid.split("-")[0],
            "text": messages[index]["text"],
            "context": context,
            "answer": answer,
        }
        if kind == "question":
            row["type"] = final.get("type") or (first or second or {}).get("type")
        row["why"] = final.get("why", "")
        row["passes"] = {"a": _answer(first), "b": _answer(second)}
        if resolution is not None:
            row["resolved"] = True
        rows.append(row)
    dump_jsonl(rows, REAL_DIR / "labels.jsonl")
    dump_jsonl(disagreements, REAL_DIR / "disagreements.jsonl")
    print(
        f"{len(done)} sessions, {len(rows)} labelled items, {len(disagreements)} "
        f"disagreements resolved, {unresolved} unresolved (left out)"
    )


def _answer(row: dict | None) -> object:
    if row is None:
        return None
    kind = row["kind"]
    if kind == "agent":
        return tuple(sorted(row.get("labels") or []))
    if kind == "customer":
        return row.get("label")
    if kind == "question":
        return row.get("answered_by") is None
    return row.get("kept_by") is None


def main(argv: list[str]) -> int:
    if argv[:1] == ["batches"] and len(argv) == 2:
        batches(Path(argv[1]))
    elif argv[:1] == ["check"] and len(argv) == 3:
        problems = check(Path(argv[1]), Path(argv[2]))
        for problem in problems[:50]:
            print(problem)
        print(f"{len(problems)} problem(s)" if problems else "ok: complete and valid")
        return 1 if problems else 0
    elif argv == ["merge"]:
        merge()
    elif argv == ["build"]:
        build()
    elif argv[:1] == ["show"] and len(argv) == 2:
        session = next((s for s in real_sessions() if s["id"] == argv[1]), None)
        if session is None:
            print(f"no session {argv[1]}")
            return 1
        for index, message in enumerate(session["messages"]):
            print(f"[{index}] {ROLE_MARK[message['role']]}: {message['text']}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
