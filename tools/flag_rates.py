"""Flags per 100 real messages on the JD sessions, as the checklists choose them (what a user
of `qc score` gets), before and after a change.

    python tools/flag_rates.py export jd.jsonl           # the 819 JD sessions, placeholders
                                                         # read with stand-ins, as transcripts
    qc score jd.jsonl > new.jsonl                        # (and, in a checkout of the older
                                                         #  commit, > old.jsonl)
    python tools/flag_rates.py rates jd.jsonl old.jsonl new.jsonl

`rates` prints, per split of the real labelled set (validation: tuned on; test: held out)
and for all, each (role, category, source) with its flags and flags per 100 messages of
that role, old and new; then every agent flag of the new results but greeting and closing,
with its labels from models/data/real (docs/quality.md quotes both).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qc_engine.ml.realset import (
    deanonymise,
    labelled_items,
    real_sessions,
    split_of_session,
)

SERVICE_ROUTINE = {"missing_greeting", "missing_closing"}  # 1 point, below the review queue


def export(out: Path) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for session in real_sessions():
            if session["id"].startswith("jddc"):
                handle.write(
                    json.dumps(
                        {
                            "id": session["id"],
                            "channel": "jd",
                            "messages": [
                                {"role": m["role"], "text": deanonymise(m["text"])}
                                for m in session["messages"]
                            ],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )


def _results(path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, path.open(encoding="utf-8"))}


def rates(sessions_path: Path, old_path: Path, new_path: Path) -> None:
    sessions = _results(sessions_path)
    old, new = _results(old_path), _results(new_path)
    for split in ("validation", "test", "all"):
        ids = [i for i in sessions if split == "all" or split_of_session(i) == split]
        per_role = Counter(m["role"] for i in ids for m in sessions[i]["messages"])

        def count(results: dict[str, dict], ids: list[str] = ids) -> Counter:
            return Counter(
                (sessions[i]["messages"][f["message_index"]]["role"], f["category"], f["source"])
                for i in ids
                for f in results[i]["flags"]
            )

        before, after = count(old), count(new)
        print(
            f"== {split}: {len(ids)} sessions, {per_role['agent']} agent and "
            f"{per_role['customer']} customer messages"
        )
        for key in sorted(set(before) | set(after)):
            base = per_role[key[0]]
            print(
                f"  {key[0]:<8} {key[1]:<20} {key[2]:<5} old {before[key]:>4} "
                f"({100 * before[key] / base:.2f}/100)  new {after[key]:>4} "
                f"({100 * after[key] / base:.2f}/100)"
            )
    labels = {(i.session, i.index): i.answer for i in labelled_items() if i.kind == "agent"}
    print("\nevery agent flag of the new results but greeting and closing:")
    for sid in sorted(new):
        for flag in new[sid]["flags"]:
            message = sessions[sid]["messages"][flag["message_index"]]
            if message["role"] != "agent" or flag["category"] in SERVICE_ROUTINE:
                continue
            print(
                f"  {split_of_session(sid):<10} {sid}[{flag['message_index']}] "
                f"{flag['category']} ({flag['source']}, {flag['confidence']:.2f}) labels "
                f"{list(labels.get((sid, flag['message_index']), ()))}: "
                f"{message['text'][:60]}"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"] and len(sys.argv) == 3:
        export(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["rates"] and len(sys.argv) == 5:
        rates(*map(Path, sys.argv[2:]))
    else:
        print(__doc__)
        raise SystemExit(2)
