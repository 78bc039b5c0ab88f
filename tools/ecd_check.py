"""Run one checker over the real ECD chats and print every hit.

Usage: python tools/ecd_check.py SLUG"""

import sys

from qc_engine.chat import Chat
from qc_engine.checkers import REGISTRY
from qc_engine.checkers.examples import build_checker
from qc_engine.engine import default_checklist_dir
from qc_engine.inputs import load_path

cls = REGISTRY[sys.argv[1]]
checker, res = build_checker(cls, {}, lexicon_dir=default_checklist_dir() / "lexicons")
n = msgs = 0
for item in load_path("../shared/data/ecd/ecd_sample_dialogues.jsonl"):
    t = item.transcript
    extra = t.extra.get("other_agent_replies", [])
    for hit in checker.check(Chat(t, res)):
        n += 1
        print(
            t.id,
            hit.message_index,
            t.messages[hit.message_index].role,
            t.messages[hit.message_index].text,
            "=>",
            hit.evidence,
        )
    msgs += len(t.messages)
print(f"{n} hits over {msgs} messages")
