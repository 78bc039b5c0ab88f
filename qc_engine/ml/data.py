"""Training data: where it lives, how it is read, and the fixed held-out splits."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from dataclasses import dataclass

from qc_engine.errors import Code, QCError
from qc_engine.ml.sources import DATA_DIR, read_jsonl, shared_data_dir

AGENT_LABELS = ("none", "shirking", "impatient", "rude", "perfunctory", "risky_promise")
PROBLEM_LABELS = AGENT_LABELS[1:]


def split_of(key: str, *, seed: str, test: int = 20, validation: int = 15) -> str:
    """A fixed split from a hash of the example: stable when examples are added, never
    reshuffled by a new run. Percentages of test and validation; the rest is train."""
    bucket = int(hashlib.sha256(f"{seed}|{key}".encode()).hexdigest()[:8], 16) % 100
    if bucket < test:
        return "test"
    if bucket < test + validation:
        return "validation"
    return "train"


@dataclass
class AgentExample:
    context: str
    text: str
    label: str
    source: str
    split: str

    @property
    def key(self) -> str:
        return f"{self.context}\t{self.text}"


def agent_examples(*, seed: str = "agent-v1") -> list[AgentExample]:
    """The hand-labelled agent replies plus real ECD agent replies as `none` (the trainer
    leaves out those listed in ecd_not_none.tsv)."""
    examples: list[AgentExample] = []
    folder = DATA_DIR / "agent_speech"
    for path in sorted(folder.glob("*.jsonl")):
        for number, row in read_jsonl(path):
            label = row.get("label")
            if label not in AGENT_LABELS or not isinstance(row.get("text"), str):
                raise QCError(
                    Code.E101,
                    f"expected a label in {AGENT_LABELS} and a text",
                    file=str(path),
                    line=number,
                )
            context = row.get("context") or ""
            examples.append(AgentExample(context, row["text"], label, f"written:{path.name}", ""))
    examples.extend(ecd_agent_examples())
    seen: set[str] = set()
    unique = []
    for example in examples:
        if example.key in seen:
            continue
        seen.add(example.key)
        example.split = split_of(example.key, seed=seed)
        unique.append(example)
    # The real JD replies train only: the written test split keeps measuring the written
    # distribution, and real precision is measured on the labelled real sessions.
    for example in jddc_agent_examples():
        if example.key in seen:
            continue
        seen.add(example.key)
        example.split = split_of(example.key, seed=seed, test=0)
        unique.append(example)
    return unique


def ecd_agent_examples() -> list[AgentExample]:
    path = shared_data_dir() / "ecd" / "ecd_sample_dialogues.jsonl"
    if not path.is_file():
        raise QCError(
            Code.E103,
            "the real chats are missing: the agent model's `none` class "
            "comes from them (set QC_SHARED_DATA)",
            file=str(path),
        )
    out = []
    for _, row in read_jsonl(path):
        messages = row.get("messages", [])
        for i, message in enumerate(messages):
            if message.get("role") != "agent":
                continue
            context = next(
                (m["text"] for m in reversed(messages[:i]) if m.get("role") == "customer"), ""
            )
            out.append(AgentExample(context, message["text"], "none", "ecd", ""))
        for reply in row.get("other_agent_replies", []):
            out.append(AgentExample("", reply, "none", "ecd:other_agent_replies", ""))
    return out


def jddc_agent_examples() -> list[AgentExample]:
    """The 10,260 real JD agent replies of `jddc_agent_replies.txt` (other sessions than the
    labelled ones) as `none`, read with stand-ins for JD's placeholders, without context
    (the source gives none), for training only: a reply whose text is also a message of a
    labelled test session is left out, so no test item is trained on."""
    from qc_engine.ml.realset import deanonymise, iter_sessions_by_split

    path = shared_data_dir() / "jddc" / "jddc_agent_replies.txt"
    if not path.is_file():
        raise QCError(
            Code.E103,
            "the real JD replies are missing: the agent model's `none` "
            "class comes from them (set QC_SHARED_DATA)",
            file=str(path),
        )
    held_out = {
        deanonymise(m["text"]) for s in iter_sessions_by_split("test") for m in s["messages"]
    }
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = deanonymise(line.strip())
        if text and text not in held_out:
            out.append(AgentExample("", text, "none", "jddc:agent_replies", ""))
    return out


def ecd_not_none() -> set[str]:
    """Texts of real ECD agent replies reviewed as problems: never `none` examples."""
    path = DATA_DIR / "agent_speech" / "ecd_not_none.tsv"
    texts = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            texts.add(line.split("\t", 3)[3])
    return texts


@dataclass
class CustomerExample:
    text: str
    negative: int
    complaint: int | None
    source: str
    split: str


_CLAUSE = re.compile(r"(?<=[，,。！!？?；;~～\s])")


def _clause_runs(text: str, low: int, high: int) -> list[str]:
    """The runs of consecutive whole clauses of `low`-`high` characters, in order (a run
    can repeat)."""
    parts = [p for p in _CLAUSE.split(text) if p.strip()]
    runs = []
    for i in range(len(parts)):
        piece = ""
        for j in range(i, len(parts)):
            piece += parts[j]
            if len(piece) > high:
                break
            if len(piece) >= low:
                runs.append(piece.strip())
    return runs


def clause_cut(text: str, rng: random.Random, low: int = 6, high: int = 25) -> str:
    """A chat-length piece of a review: consecutive whole clauses of `low`-`high`
    characters (chat turns are whole utterances), else the first `high` characters."""
    candidates = _clause_runs(text, low, high)
    if candidates:
        return rng.choice(candidates)
    return text[: rng.randint(low, high)]


def clause_pieces(text: str, low: int = 6, high: int = 25) -> list[str]:
    """Every piece `clause_cut` can return for `text`, each once, in order: the runs of
    consecutive whole clauses of `low`-`high` characters, else the prefixes it falls back
    to. Training on all of them (each weighed by its share) shows the model the whole
    distribution that `clause_cut` samples one piece from."""
    pieces = _clause_runs(text, low, high) or [text[:size] for size in range(low, high + 1)]
    return list(dict.fromkeys(pieces))


def random_cut(text: str, rng: random.Random, low: int = 6, high: int = 25) -> str:
    """A chat-length slice at a random offset (may cut words and clauses)."""
    size = rng.randint(low, high)
    start = rng.randint(0, max(0, len(text) - size))
    return text[start : start + size]


def reviews(name: str) -> list[tuple[str, int]]:
    path = shared_data_dir() / "sentiment" / name
    if not path.is_file():
        raise QCError(
            Code.E103, "the labelled reviews are missing (set QC_SHARED_DATA)", file=str(path)
        )
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [
            (row["review"], int(row["label"]))
            for row in csv.DictReader(handle)
            if row.get("review")
        ]


def customer_turns(*, seed: str = "customer-v1") -> list[CustomerExample]:
    """The hand-written customer chat turns of every models/data/customer/*.jsonl (written,
    and the hard negatives with their upset counterparts: written_calm, written_doubt),
    split by a seeded hash of the text."""
    out = []
    seen: set[str] = set()
    for path in sorted((DATA_DIR / "customer").glob("*.jsonl")):
        for number, row in read_jsonl(path):
            if (
                not isinstance(row.get("text"), str)
                or row.get("negative") not in (0, 1)
                or row.get("complaint_risk") not in (0, 1)
            ):
                raise QCError(
                    Code.E101,
                    "expected text, negative (0/1) and complaint_risk (0/1)",
                    file=str(path),
                    line=number,
                )
            if row["text"] in seen:
                continue
            seen.add(row["text"])
            out.append(
                CustomerExample(
                    row["text"],
                    row["negative"],
                    row["complaint_risk"],
                    "written",
                    split_of(row["text"], seed=seed),
                )
            )
    return out


# The chat-turn emotion sets of ../shared/data/emotion/, mapped to the customer model's
# `negative` (angry, upset, anxious or dissatisfied): 1, calm or pleased: 0; emotions that
# say neither (surprise, fear, CPED's astonished and negative-other) are left out.
CPED_NEGATIVE = {
    "anger": 1,
    "disgust": 1,
    "worried": 1,
    "depress": 1,
    "sadness": 1,
    "neutral": 0,
    "happy": 0,
    "relaxed": 0,
    "positive-other": 0,
    "grateful": 0,
}
SMP_NEGATIVE = {"angry": 1, "sad": 1, "neutral": 0, "happy": 0}


def emotion_turns() -> list[CustomerExample]:
    """Labelled short turns from ../shared/data/emotion/: the hand-labelled chat sentiment
    set (human-computer chat, positive/negative, jieba spaces removed), SMP2020-EWECT Weibo
    posts and CPED TV-series utterances by emotion (CPED_NEGATIVE, SMP_NEGATIVE). None of
    them is e-commerce chat; they teach the emotion model what a plain, neutral turn is,
    which reviews (only praise or complaint) cannot. Training only."""
    folder = shared_data_dir() / "emotion"
    if not folder.is_dir():
        raise QCError(
            Code.E103, "the emotion sets are missing (set QC_SHARED_DATA)", file=str(folder)
        )
    out: list[CustomerExample] = []
    with open(folder / "chat_sentiment_XS_test.txt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("text") or "").replace(" ", "")
            if text and row.get("labels") in ("positive", "negative"):
                out.append(
                    CustomerExample(
                        text,
                        int(row["labels"] == "negative"),
                        None,
                        "emotion:chat_sentiment",
                        "train",
                    )
                )
    for name in ("smp2020_ewect_usual_eval_labeled.json", "smp2020_ewect_usual_test_labeled.json"):
        for row in json.loads((folder / name).read_text(encoding="utf-8")):
            label = SMP_NEGATIVE.get(row.get("label"))
            if label is not None and row.get("content"):
                out.append(CustomerExample(row["content"], label, None, "emotion:smp2020", "train"))
    for name in ("cped_valid_split.csv", "cped_test_split.csv"):
        with open(folder / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                label = CPED_NEGATIVE.get(row.get("emotion") or "")
                if label is not None and row.get("utterance"):
                    out.append(
                        CustomerExample(row["utterance"], label, None, "emotion:cped", "train")
                    )
    return out
