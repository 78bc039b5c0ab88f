"""`qc eval`: every accuracy figure of the engine on the real labelled set
(models/data/real/labels.jsonl), so anyone can rerun what the cards and docs/quality.md
quote. The engine reads each labelled session whole (rules and models, the default
checklist, JD's placeholders read with stand-ins), and its flags are compared with the
labels message by message.

What it measures, on one split (validation by default; the test split is for the figures
quoted as held out and is never used to choose anything):
- the agent-speech model alone, per class, on every labelled agent message;
- the engine's flags per category on agent messages: precision of rule flags and of
  model-only flags, recall, flags per 100 agent messages; every model-only flag listed;
- customer_negative and complaint_risk on customer messages (engine flags, and the customer
  model alone);
- unanswered_question on the labelled questions and broken_promise on the labelled promises
  (positive: unanswered / broken; a flag on a message that is not a labelled question or
  promise counts as a false alarm);
- the agent model's macro-F1 on the written test split (models/data/agent_speech).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qc_engine.ml.data import PROBLEM_LABELS as MODEL_CLASSES
from qc_engine.ml.realset import (
    AGENT_REAL_LABELS,
    LabelledItem,
    deanonymise,
    labelled_items,
    real_sessions,
)
from qc_engine.normalize import Normalizer


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, truth: bool, flagged: bool) -> None:
        if flagged and truth:
            self.tp += 1
        elif flagged:
            self.fp += 1
        elif truth:
            self.fn += 1

    def figures(self) -> dict[str, Any]:
        flagged, positives = self.tp + self.fp, self.tp + self.fn
        precision = self.tp / flagged if flagged else None
        recall = self.tp / positives if positives else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision and recall
            else (0.0 if flagged or positives else None)
        )
        return {
            "precision": _round(precision),
            "recall": _round(recall),
            "f1": _round(f1),
            "flagged": flagged,
            "positives": positives,
            "tp": self.tp,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class Report:
    split: str
    sessions: int = 0
    agent_messages: int = 0
    customer_messages: int = 0
    model: dict[str, Any] = field(default_factory=dict)
    agent_flags: dict[str, Any] = field(default_factory=dict)
    model_only: list[dict[str, Any]] = field(default_factory=list)
    customer: dict[str, Any] = field(default_factory=dict)
    questions: dict[str, Any] = field(default_factory=dict)
    promises: dict[str, Any] = field(default_factory=dict)
    written_macro_f1: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def labelled_sessions(items: Sequence[LabelledItem], split: str) -> list[dict[str, Any]]:
    """The real sessions of `split` that have labels, read with stand-ins for JD's
    placeholders."""
    wanted = {item.session for item in items if item.split == split}
    out = []
    for session in real_sessions():
        if session["id"] in wanted:
            out.append(
                {
                    "id": session["id"],
                    "channel": session.get("channel", "jd"),
                    "messages": [
                        {"role": m["role"], "text": deanonymise(m["text"])}
                        for m in session["messages"]
                    ],
                }
            )
    return out


def evaluate(
    *,
    split: str = "validation",
    limit: int | None = None,
    engine: Any = None,
    items: Sequence[LabelledItem] | None = None,
    sessions: list[dict[str, Any]] | None = None,
    written: bool = True,
    log: Callable[[str], None] = lambda _: None,
) -> Report:
    """The figures of one split. `items` and `sessions` default to the labelled set and
    its real sessions (tests pass their own)."""
    from qc_engine.engine import Engine
    from qc_engine.transcript import transcript_from_dict

    items = [
        item for item in (items if items is not None else labelled_items()) if item.split == split
    ]
    if sessions is None:
        sessions = labelled_sessions(items, split)
    if limit is not None:
        sessions = sessions[:limit]
    kept = {s["id"] for s in sessions}
    items = [item for item in items if item.session in kept]
    by_key = {(item.session, item.index, item.kind): item for item in items}
    engine = (engine or Engine.from_dir()).with_models(True)
    log(f"scoring {len(sessions)} {split} sessions")
    transcripts = [transcript_from_dict(s) for s in sessions]
    results = engine.score_batch(transcripts, checklist="default")
    report = Report(split=split, sessions=len(sessions))

    flags: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for transcript, result in zip(transcripts, results, strict=True):
        for flag in result.flags:
            flags[(transcript.id, flag.message_index)].append(flag)

    agent_items = [i for i in items if i.kind == "agent"]
    customer_items = [i for i in items if i.kind == "customer"]
    report.agent_messages, report.customer_messages = len(agent_items), len(customer_items)
    report.model = _model_alone(agent_items, sessions, engine.normalizer)

    # Engine flags on agent messages, per labelled category.
    per_rule: dict[str, Counts] = defaultdict(Counts)
    per_model: dict[str, Counts] = defaultdict(Counts)
    per_any: dict[str, Counts] = defaultdict(Counts)
    counts: Counter[str] = Counter()
    for item in agent_items:
        here = flags.get((item.session, item.index), [])
        for flag in here:
            counts[f"{flag.category}:{flag.source}"] += 1
        for category in AGENT_REAL_LABELS:
            mine = [f for f in here if f.category == category]
            truth = category in item.answer
            per_rule[category].add(truth, any(f.source == "rule" for f in mine))
            per_model[category].add(truth, any(f.source == "model" for f in mine))
            per_any[category].add(truth, bool(mine))
        for flag in here:
            if flag.source == "model":
                report.model_only.append(
                    {
                        "session": item.session,
                        "index": item.index,
                        "category": flag.category,
                        "confidence": round(flag.confidence, 2),
                        "text": item.text,
                        "context": item.context,
                        "verdict": "correct" if flag.category in item.answer else "false",
                        "labels": list(item.answer),
                    }
                )
    hundred = 100 / max(len(agent_items), 1)
    report.agent_flags = {
        category: {
            "rule": per_rule[category].figures(),
            "model_only": per_model[category].figures(),
            "any": per_any[category].figures(),
        }
        for category in AGENT_REAL_LABELS
    }
    report.agent_flags["_per_100_agent_messages"] = {
        key: round(n * hundred, 3) for key, n in sorted(counts.items())
    }
    report.agent_flags["_model_only_per_100"] = round(len(report.model_only) * hundred, 3)

    # Customer signals.
    signals = {"customer_negative": Counts(), "complaint_risk": Counts()}
    for item in customer_items:
        found = {f.category for f in flags.get((item.session, item.index), [])}
        signals["customer_negative"].add(
            item.answer in ("negative", "complaint_risk"), "customer_negative" in found
        )
        signals["complaint_risk"].add(item.answer == "complaint_risk", "complaint_risk" in found)
    report.customer = {name: c.figures() for name, c in signals.items()}
    report.customer["_model_alone"] = _customer_model_alone(customer_items, engine.normalizer)

    report.questions = _structure(flags, by_key, "question", "unanswered_question")
    report.promises = _structure(flags, by_key, "promise", "broken_promise")
    if written:
        report.written_macro_f1 = written_test_macro_f1(engine.normalizer)
    return report


def _structure(
    flags: dict[tuple[str, int], list[Any]],
    by_key: dict[tuple[str, int, str], LabelledItem],
    kind: str,
    category: str,
) -> dict[str, Any]:
    """A chat-level check against its labelled items: positive = unanswered / broken."""
    counts = Counts()
    labelled = {(s, i) for (s, i, k) in by_key if k == kind}
    by_type: dict[str, Counts] = defaultdict(Counts)
    for (session, index, k), item in by_key.items():
        if k != kind:
            continue
        flagged = any(f.category == category for f in flags.get((session, index), []))
        counts.add(item.answer is None, flagged)
        if item.qtype:
            by_type[item.qtype].add(item.answer is None, flagged)
    elsewhere = sum(
        1
        for (session, index), here in flags.items()
        if (session, index) not in labelled and any(f.category == category for f in here)
    )
    counts.fp += elsewhere
    out = counts.figures() | {"labelled": len(labelled), "flags_elsewhere": elsewhere}
    if by_type:
        out["by_type"] = {t: c.figures() for t, c in sorted(by_type.items())}
    return out


def _agent_pairs(
    items: Sequence[LabelledItem], sessions: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """(message, the customer message before it) of each item, read as the checker reads."""
    texts = {s["id"]: s["messages"] for s in sessions}
    pairs = []
    for item in items:
        messages = texts[item.session]
        context = next(
            (m["text"] for m in reversed(messages[: item.index]) if m["role"] == "customer"), ""
        )
        pairs.append((messages[item.index]["text"], context))
    return pairs


def _model_alone(
    items: Sequence[LabelledItem], sessions: list[dict[str, Any]], normalizer: Normalizer
) -> dict[str, Any]:
    """The agent-speech model's own decision on every labelled agent message."""
    from qc_engine.ml.features import agent_proba
    from qc_engine.ml.fitting import decide
    from qc_engine.ml.runtime import load_model

    if not items:
        return {}
    model = load_model("agent_speech")
    pairs = [
        (normalizer.normalize(text), normalizer.normalize(context) if context else None)
        for text, context in _agent_pairs(items, sessions)
    ]
    proba = agent_proba(model, pairs).proba
    decided = decide(proba, model.classes, model.meta["thresholds"])
    out: dict[str, Any] = {}
    for name in MODEL_CLASSES:
        counts = Counts()
        for item, label in zip(items, decided, strict=True):
            counts.add(name in item.answer, label == name)
        out[name] = counts.figures()
    out["_flags_per_100"] = round(100 * sum(d != "none" for d in decided) / len(items), 3)
    return out


def _customer_model_alone(items: Sequence[LabelledItem], normalizer: Normalizer) -> dict[str, Any]:
    from qc_engine.ml.features import customer_proba
    from qc_engine.ml.runtime import load_model

    if not items:
        return {}
    texts = [normalizer.normalize(deanonymise(item.text)) for item in items]
    out = {}
    for name, folder, truth in (
        (
            "customer_negative",
            "customer/emotion",
            lambda i: i.answer in ("negative", "complaint_risk"),
        ),
        ("complaint_risk", "customer/complaint", lambda i: i.answer == "complaint_risk"),
    ):
        model = load_model(folder)
        proba = customer_proba(model, texts).proba
        column = model.classes.index(model.meta.get("positive", model.classes[-1]))
        threshold = model.meta.get("threshold", 0.5)
        counts = Counts()
        for item, score in zip(items, proba[:, column], strict=True):
            counts.add(truth(item), bool(score >= threshold))
        out[name] = counts.figures() | {"threshold": threshold}
    return out


def written_test_macro_f1(normalizer: Normalizer) -> float:
    """The shipped agent model's macro-F1 over the five problem classes on the written
    test split (models/data/agent_speech), as its card computes it."""
    import numpy as np

    from qc_engine.ml import data
    from qc_engine.ml.features import agent_features
    from qc_engine.ml.fitting import decide, prf
    from qc_engine.ml.runtime import load_model

    model = load_model("agent_speech")
    test = [e for e in data.agent_examples() if e.split == "test"]
    feats = [
        agent_features(
            normalizer.normalize(e.text), normalizer.normalize(e.context) if e.context else None
        )
        for e in test
    ]
    decided = decide(model.predict_proba(feats), model.classes, model.meta["thresholds"])
    f1s = [
        prf(np.array([e.label == name for e in test]), np.array([d == name for d in decided]))["f1"]
        for name in MODEL_CLASSES
    ]
    return round(float(np.mean(f1s)), 4)


def format_report(report: Report, *, list_model_flags: bool = True) -> str:
    """The report as text, one table per section."""
    lines = [
        f"qc eval: {report.split} split, {report.sessions} real sessions, "
        f"{report.agent_messages} agent and {report.customer_messages} customer messages"
    ]

    def fig(f: dict[str, Any]) -> str:
        def show(v: Any) -> str:
            return "-" if v is None else f"{v:.3f}"

        return (
            f"P {show(f['precision'])}  R {show(f['recall'])}  F1 {show(f['f1'])}  "
            f"(flagged {f['flagged']}, positives {f['positives']})"
        )

    lines.append("\nagent-speech model alone (every labelled agent message):")
    for name in MODEL_CLASSES:
        if name in report.model:
            lines.append(f"  {name:<18} {fig(report.model[name])}")
    if report.model:
        lines.append(f"  model flags per 100 agent messages: {report.model['_flags_per_100']}")
    lines.append("\nengine flags on agent messages (default checklist, rules + models):")
    for name in AGENT_REAL_LABELS:
        f = report.agent_flags.get(name)
        if f is None:
            continue
        lines.append(f"  {name:<18} rule  {fig(f['rule'])}")
        lines.append(f"  {'':<18} model {fig(f['model_only'])}")
    lines.append(
        f"  model-only flags per 100 agent messages: "
        f"{report.agent_flags.get('_model_only_per_100')}"
    )
    per100 = report.agent_flags.get("_per_100_agent_messages", {})
    if per100:
        lines.append(
            "  flags per 100 agent messages, by category:source: "
            + ", ".join(f"{k} {v}" for k, v in per100.items())
        )
    if list_model_flags and report.model_only:
        lines.append("\nmodel-only flags (verdict from the labels):")
        for f in report.model_only:
            lines.append(
                f"  {f['session']}[{f['index']}] {f['category']} {f['confidence']} "
                f"{f['verdict']}: {f['text'][:60]}"
            )
    lines.append("\ncustomer signals (engine flags on labelled customer messages):")
    for name in ("customer_negative", "complaint_risk"):
        if name in report.customer:
            lines.append(f"  {name:<18} {fig(report.customer[name])}")
    for name, f in report.customer.get("_model_alone", {}).items():
        lines.append(f"  {name:<18} model alone {fig(f)}")
    for title, section in (
        ("unanswered_question on labelled questions", report.questions),
        ("broken_promise on labelled promises", report.promises),
    ):
        if section:
            lines.append(f"\n{title} (positive: unanswered / broken):")
            lines.append(
                f"  {fig(section)}; {section['labelled']} labelled, "
                f"{section['flags_elsewhere']} flags on other messages"
            )
            for qtype, f in section.get("by_type", {}).items():
                lines.append(f"    {qtype:<8} {fig(f)}")
    if report.written_macro_f1 is not None:
        lines.append(
            f"\nagent model on the written test split: macro-F1 {report.written_macro_f1:.4f}"
        )
    return "\n".join(lines)
