"""Making the real labelled set (models/data/real/): batches for the labellers, a check of
each labeller's file, and the merge of two independent passes.

    python tools/labelling.py batches OUT_DIR          # the batch files to label
    python tools/labelling.py check BATCH OUTPUT       # validate one labeller's file
    python tools/labelling.py merge                    # passes a + b -> agreed + disagreements

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
        groups += [mine[k:k + size] for k in range(0, len(mine), size)]
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
                problems.append(f"line {number}: needs "
                                f"{'answered_by' if kind == 'question' else 'kept_by'}")
            elif target is not None and (not isinstance(target, int) or not
                                         index < target < len(roles)
                                         or roles[target] != "agent"):
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
    """Pair pass a with pass b line by line: what both say is agreed; each difference goes
    to disagreements.jsonl with both answers, for a third reading."""
    passes = {name: {} for name in ("a", "b")}
    for name, table in passes.items():
        for path in sorted((REAL_DIR / "passes" / name).glob("batch_*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    table[(row["s"], row["i"], row["kind"])] = row
    keys = sorted(set(passes["a"]) | set(passes["b"]))
    disagreements = []
    for key in keys:
        a, b = passes["a"].get(key), passes["b"].get(key)
        if _answer(a) != _answer(b):
            disagreements.append({"s": key[0], "i": key[1], "kind": key[2], "a": a, "b": b})
    path = REAL_DIR / "disagreements_open.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in disagreements),
                    encoding="utf-8")
    print(f"{len(keys)} labelled items, {len(disagreements)} disagreements -> {path}")


def _answer(row: dict | None) -> object:
    if row is None:
        return None
    kind = row["kind"]
    if kind == "agent":
        return tuple(sorted(row.get("labels") or []))
    if kind == "customer":
        return row.get("label")
    if kind == "question":
        return (row.get("answered_by") is None, row.get("type"))
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
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
