"""`qc train agent`: the agent-speech model (shirking, impatient, rude, perfunctory,
risky_promise or none) from the labelled replies in models/data/agent_speech/ and the real
ECD agent replies, and its card."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qc_engine.ml import data
from qc_engine.ml.features import agent_features
from qc_engine.ml.fitting import (
    Metrics,
    choose_threshold,
    decide,
    fit,
    out_of_fold,
    prf,
    size_on_disk,
    table,
)
from qc_engine.ml.realset import session_fold
from qc_engine.normalize import Normalizer

# Thresholds are chosen on out-of-fold predictions: the train and validation splits are cut
# into FOLDS stratified parts, and each part is predicted by a model fit on the others, so
# every example is judged by a model that never saw it. Per class that is ~350-550 problem
# examples instead of the validation split's 60-110, where one error moved precision by two
# points and the thresholds moved with every data addition. The final model is then fit on
# train and validation together. Precision 0.92 out of fold (the target is 0.90): treating
# the validation split as a test, thresholds chosen this way on train alone gave every class
# at least 0.93 on it (0.90 gave impatient 0.90 exactly, 0.93 cost 0.02 macro-F1).
FOLDS = 5
OUT_OF_FOLD_PRECISION = 0.92
# Then, per class, the threshold is raised until the model's flags on the real labelled
# validation replies (models/data/real, at the real base rate: under 1 % problems) reach
# REAL_PRECISION, or its false flags there are at most REAL_FALSE_PER_100 per 100 replies:
# a threshold that holds on written data, where 40 % are problems, lets through several
# false flags per 100 real replies. The budget (five classes: at most 0.5 false flags per
# 100 replies in all, the target for model-only flags) keeps a class whose real
# positives are too few to measure precision from being switched off by one odd reply.
REAL_PRECISION = 0.90
REAL_FALSE_PER_100 = 0.1
REAL_FOLDS = 5
C = 10.0
MAX_FEATURES = 60000


def train_agent(*, out_dir: Path, normalizer: Normalizer, log: Callable[[str], None]) -> dict:
    started = time.perf_counter()
    examples = data.agent_examples()
    # ECD replies reviewed as problems (docs/quality.md) are not clean `none` examples.
    flagged = data.ecd_not_none()
    dropped = [e for e in examples if e.source.startswith("ecd") and e.text in flagged]
    examples = [e for e in examples if not (e.source.startswith("ecd") and e.text in flagged)]
    classes = list(data.AGENT_LABELS)

    def featurise(example: data.AgentExample) -> list[str]:
        context = normalizer.normalize(example.context) if example.context else None
        return agent_features(normalizer.normalize(example.text), context)

    parts = {
        name: [e for e in examples if e.split == name] for name in ("train", "validation", "test")
    }
    feats = {name: [featurise(e) for e in rows] for name, rows in parts.items()}
    labels = {
        name: np.array([classes.index(e.label) for e in rows]) for name, rows in parts.items()
    }
    log(f"agent: {len(examples)} examples ({', '.join(f'{k} {len(v)}' for k, v in parts.items())})")
    fit_feats = feats["train"] + feats["validation"]
    fit_labels = np.concatenate([labels["train"], labels["validation"]])

    def fit_predict(fit_rows: np.ndarray, held_out: np.ndarray) -> np.ndarray:
        model = fit(
            [fit_feats[i] for i in fit_rows],
            fit_labels[fit_rows],
            classes,
            C=C,
            max_features=MAX_FEATURES,
            meta={},
        )
        return model.predict_proba([fit_feats[i] for i in held_out])

    predicted_out = out_of_fold(fit_labels, FOLDS, fit_predict)
    thresholds: dict[str, float] = {}
    chosen: dict[str, dict[str, Any]] = {}
    for k, name in enumerate(classes):
        if name == "none":
            continue
        t, p, r = choose_threshold(predicted_out[:, k], fit_labels == k, OUT_OF_FOLD_PRECISION)
        thresholds[name] = t
        chosen[name] = {
            "threshold": t,
            "out_of_fold_precision": round(p, 4),
            "out_of_fold_recall": round(r, 4),
        }
    # The real validation replies (models/data/real) are trained on too: they are the only
    # real replies read in context. Their predictions for the thresholds come from models
    # that did not see their session (REAL_FOLDS folds by session), so the thresholds are
    # still chosen on replies the model never saw; the test split is never read.
    real = real_validation_replies()
    real_feats = [featurise(e) for e, _ in real]
    real_labels = np.array([classes.index(_model_label(labels_)) for _, labels_ in real], dtype=int)
    real_fold = np.array([session_fold(e.source, REAL_FOLDS) for e, _ in real], dtype=int)
    real_p = np.zeros((len(real), len(classes)))
    for fold in range(REAL_FOLDS):
        keep, held = real_fold != fold, real_fold == fold
        if not held.any():
            continue
        model = fit(
            fit_feats + [f for f, k in zip(real_feats, keep, strict=True) if k],
            np.concatenate([fit_labels, real_labels[keep]]),
            classes,
            C=C,
            max_features=MAX_FEATURES,
            meta={},
        )
        real_p[held] = model.predict_proba([f for f, h in zip(real_feats, held, strict=True) if h])
    for k, name in enumerate(classes):
        if name in thresholds and len(real):
            t, real_precision, n = raise_for_real(
                real_p[:, k], np.array([name in labels_ for _, labels_ in real]), thresholds[name]
            )
            chosen[name] |= {
                "real_threshold": t,
                "real_validation_precision": real_precision,
                "real_validation_flags": n,
            }
            thresholds[name] = t
    model = fit(
        fit_feats + real_feats,
        np.concatenate([fit_labels, real_labels]),
        classes,
        C=C,
        max_features=MAX_FEATURES,
        meta={
            "name": "agent_speech",
            "features": "agent_features",
            "trained_on": "train and validation splits, real validation replies",
            "thresholds_chosen": f"out of {FOLDS} folds, precision "
            f"{OUT_OF_FOLD_PRECISION}, then raised on "
            f"{len(real)} real validation replies out of "
            f"{REAL_FOLDS} session folds (precision "
            f"{REAL_PRECISION} or at most "
            f"{REAL_FALSE_PER_100} false flags per 100)",
        },
    )
    model.meta["thresholds"] = thresholds
    test_p = model.predict_proba(feats["test"])
    predicted = decide(test_p, classes, thresholds)
    truth = [classes[i] for i in labels["test"]]
    metrics = Metrics(labels=classes)
    for name in data.PROBLEM_LABELS:
        metrics.per_class[name] = prf(
            np.array([t == name for t in truth]), np.array([p == name for p in predicted])
        )
    metrics.confusion = [
        [
            sum(1 for t, p in zip(truth, predicted, strict=True) if t == a and p == b)
            for b in classes
        ]
        for a in classes
    ]
    macro_f1 = float(np.mean([m["f1"] for m in metrics.per_class.values()]))
    model.meta["test_macro_f1"] = round(macro_f1, 4)
    model.save(out_dir)
    summary = {
        "examples": len(examples),
        "dropped_ecd": len(dropped),
        "sizes": {k: dict(Counter(e.label for e in v)) for k, v in parts.items()},
        "sources": dict(Counter(e.source for e in examples)),
        "real_replies": len(real),
        "real_problems": int((real_labels != 0).sum()),
        "thresholds": chosen,
        "test": metrics.per_class,
        "macro_f1": round(macro_f1, 4),
        "confusion": metrics.confusion,
        "classes": classes,
        "vocabulary": len(model.vocabulary),
        "seconds": round(time.perf_counter() - started, 1),
    }
    _write_agent_card(out_dir, summary)
    return summary


def real_validation_replies() -> list[tuple[data.AgentExample, tuple[str, ...]]]:
    """Every labelled agent reply of the real validation split (models/data/real) but the
    ECD chats' (the model trains on those), read with the customer message before it and
    stand-ins for JD's placeholders, with its labels."""
    from qc_engine.ml.realset import deanonymise, labelled_items

    return [
        (
            data.AgentExample(
                deanonymise(item.context),
                deanonymise(item.text),
                "none",
                f"real:{item.session}",
                "validation",
            ),
            item.answer,
        )
        for item in labelled_items()
        if item.kind == "agent"
        and item.split == "validation"
        and not item.session.startswith("ecd")
    ]


def _model_label(labels: tuple[str, ...]) -> str:
    """The model class of a real reply's labels: its first problem class the model knows
    (categories the model does not learn, such as off_platform, are `none` to it)."""
    return next((label for label in labels if label in data.PROBLEM_LABELS), "none")


def raise_for_real(
    scores: np.ndarray, truth: np.ndarray, start: float
) -> tuple[float, float | None, int]:
    """The lowest threshold of the grid from `start` at which the flags on the real
    validation replies reach REAL_PRECISION or their false flags are within
    REAL_FALSE_PER_100. Returns (threshold, precision or None without flags, flags)."""
    from qc_engine.ml.fitting import GRID

    budget = REAL_FALSE_PER_100 * len(scores) / 100
    for threshold in [t for t in GRID if t >= start] + [1.0]:
        picked = scores >= threshold
        flagged = int(picked.sum())
        if not flagged:
            return threshold, None, 0
        precision = float(truth[picked].mean())
        if precision >= REAL_PRECISION or flagged - int(truth[picked].sum()) <= budget:
            return threshold, round(precision, 4), flagged
    return 1.0, None, 0


def _write_agent_card(out_dir: Path, s: dict) -> None:
    classes = s["classes"]
    per = s["test"]
    ok_f1 = s["macro_f1"] >= 0.85
    ok_p = all(m["precision"] >= 0.90 for m in per.values())
    sizes = s["sizes"]
    confusion = table(
        [[classes[i], *row] for i, row in enumerate(s["confusion"])],
        ["truth / predicted", *classes],
    )
    text = f"""# Model card: agent_speech

Classifies each agent message, read with the customer message before it, as one of
`shirking`, `impatient`, `rude`, `perfunctory`, `risky_promise` or none. Used by the checker
`model.agent_speech`; rules catch the fixed phrases, this model the other wordings.

Rebuilt by `qc train agent` (this card is rewritten by it): {s["seconds"]} s on this machine.

## Model
TF-IDF (sublinear tf, L2) over character 1-4-grams of the normalised message, character
1-2-grams of the customer message before it, emoji kinds and shape features (short reply,
question before it), then multinomial logistic regression (C=10). {s["vocabulary"]:,}
features. Stored as plain arrays (`model.npz`, no pickle) and JSON (`model.json`):
{size_on_disk(out_dir)}.

## Data
- Hand-written, labelled agent replies in `models/data/agent_speech/*.jsonl` (each line says
  its label, context and why), written the many ways real agents talk, with hard negatives.
- Real agent replies from the E-commerce Dialogue Corpus sample
  (`../shared/data/ecd/`, Zhang et al., COLING 2018) as `none`: {s["sources"].get("ecd", 0)}
  replies in context and {s["sources"].get("ecd:other_agent_replies", 0)} without. {
        s["dropped_ecd"]
    }
  ECD replies reviewed as problems (`models/data/agent_speech/ecd_not_none.tsv`, see
  docs/quality.md) were left out.
- Real JD agent replies (`../shared/data/jddc/jddc_agent_replies.txt`, JDDC 2019, from other
  sessions than the labelled ones) as `none`: {
        s["sources"].get("jddc:agent_replies", 0):,}, read with
  stand-ins for JD's placeholders, without context; none whose text is a message of a
  labelled test session. Not reviewed one by one: the labelled real set finds problems in
  about 1 % of real replies, so a few are noise in `none`.
- The real labelled validation replies (`models/data/real/`, JD sessions, labelled twice:
  GUIDELINES.md there): {s["real_replies"]:,} replies in context, with their labels
  (categories the model does not learn count as `none`).
- Splits of the written data are fixed by a hash of each example (seeded; stable when
  examples are added): test 20 %, validation 15 %, train the rest; the JD replies train
  only. The written test split is never used for training or for choosing thresholds, and
  the real test sessions are never read by `qc train`.

{
        table(
            [
                [name] + [sizes[part].get(name, 0) for part in ("train", "validation", "test")]
                for name in classes
            ],
            ["label", "train", "validation", "test"],
        )
    }

## Thresholds (chosen out of fold, then on real replies at the real base rate)
The written train and validation splits (with the JD replies) are cut into {FOLDS} stratified
folds; each fold is predicted by a model fit on the other four, so every example is judged by
a model that never saw it. Per class, the lowest threshold (at least 0.30: a weaker call is
not worth a reviewer's time) at which those out-of-fold predictions reach precision
{OUT_OF_FOLD_PRECISION} is the first choice. On real chats problems are rare (about 1 % of
replies, against 40 % in the written data), so each threshold is then raised until the
flags on the real validation replies reach precision {REAL_PRECISION}, or their false flags
are at most {REAL_FALSE_PER_100} per 100 replies (five classes: at most 0.5 in all, the
target for model-only flags); those predictions come from models fit without the reply's
session ({REAL_FOLDS} folds by session). The shipped model is then fit on everything.

{
        table(
            [
                [
                    n,
                    v["threshold"],
                    v["out_of_fold_precision"],
                    v["out_of_fold_recall"],
                    v.get("real_threshold", "-"),
                    v.get("real_validation_flags", "-"),
                    v.get("real_validation_precision", "-"),
                ]
                for n, v in s["thresholds"].items()
            ],
            [
                "class",
                "out-of-fold threshold",
                "out-of-fold precision",
                "out-of-fold recall",
                "shipped threshold",
                "real validation flags",
                "their precision",
            ],
        )
    }

## Results on the held-out written test split
A message gets the likeliest problem class whose probability reaches its threshold, else
none. This measures the written distribution (how well the model learnt the wordings
written for it); its precision on real chats, at their base rate, is measured on the held-out
real test sessions by `qc eval --split test` and quoted in docs/quality.md.

{
        table(
            [[n, m["precision"], m["recall"], m["f1"], m["support"]] for n, m in per.items()],
            ["class", "precision", "recall", "F1", "support"],
        )
    }

Macro-F1 over the five problem classes: **{s["macro_f1"]}** (target 0.85:
{"met" if ok_f1 else "NOT met"}). Precision at least 0.90 for every class:
{"met" if ok_p else "NOT met"}.

Confusion matrix (rows: truth, columns: prediction):

{confusion}

## Limits
- Most problem examples are written by hand (by people imitating agents), not observed:
  real problems are too rare ({s["real_problems"]} in the {
        s["real_replies"]:,} real validation replies) to learn from.
  On real chats the thresholds above hold precision by flagging little: recall on real
  problems is low (docs/quality.md). In production, reviewers' confirm/dismiss verdicts
  measure it further (the weekly report's QC-system section).
- `perfunctory` needs to know whether a short reply answers the question ("3台的",
  "最快是明天" do; "差不多", "会到的" may not): character n-grams cannot tell, so its real
  threshold is high, and the bundled checklists leave perfunctory to the rule.
- Linear over character n-grams: sarcasm that needs world knowledge, or a problem spread over
  several messages, is beyond it.
"""
    (out_dir / "card.md").write_text(text, encoding="utf-8")
