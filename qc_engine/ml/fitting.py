"""Fitting and choosing: the shared steps of training both models (fit a linear text model,
predict out of fold, choose a threshold for a precision, score, tabulate)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qc_engine.ml.linear import LinearTextModel

TARGET_PRECISION = 0.90
# The precision a threshold must reach where it is chosen (the emotion model's validation
# turns, the complaint model's out-of-fold predictions): above the 0.90 target, so that it
# holds on new data (on a few hundred examples one error moves precision by a point or two).
THRESHOLD_PRECISION = 0.93
# The thresholds tried, lowest first. The floor is deliberate: a model flag needs at least
# 0.30. Tried from 0.10: shirking and risky_promise went to 0.26-0.29 (out-of-fold precision
# still 0.92), and on the benchmark mix a greeting ("我是客服晴天，很高兴为您服务") and a
# product reassurance came out as flags: weak calls that cost a reviewer's time.
GRID = [round(x, 2) for x in np.arange(0.30, 0.995, 0.01)]


def fit(
    documents: Sequence[Any],
    labels: Sequence[int] | np.ndarray,
    classes: list[str],
    *,
    C: float,
    max_features: int,
    min_df: int = 2,
    meta: dict[str, Any],
    weights: Sequence[float] | None = None,
    analyzer: Callable[[Any], list[str]] | None = None,
    solver: str = "lbfgs",
) -> LinearTextModel:
    """TF-IDF (sublinear, L2) over the documents' features, then logistic regression.
    A document is its feature list, or anything `analyzer` turns into one (computed as
    the vectorizer goes, so a large corpus never holds every list at once). `solver`:
    scikit-learn's; "liblinear" solves to convergence where lbfgs at its default
    tolerance stops early on large weighted corpora."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    # What TfidfVectorizer(max_features=...) does, but with ties at the cut broken the same
    # way everywhere (alphabetically, by a stable sort): its own sort is numpy's unstable
    # one, whose order for equal counts depends on the CPU's vector instructions, so the
    # same data gave another vocabulary on another machine.
    counter = CountVectorizer(analyzer=analyzer or _identity, min_df=min_df, dtype=np.float64)
    counts = counter.fit_transform(documents)
    names = counter.get_feature_names_out()  # alphabetical
    if counts.shape[1] > max_features:
        totals = np.asarray(counts.sum(axis=0)).ravel()
        keep = np.sort(np.argsort(-totals, kind="stable")[:max_features])
        counts, names = counts[:, keep], names[keep]
    tfidf = TfidfTransformer(sublinear_tf=True)
    features = tfidf.fit_transform(counts)
    classifier = LogisticRegression(C=C, solver=solver, max_iter=5000, random_state=0)
    # One BLAS thread: a multi-threaded BLAS sums in an order that depends on the thread
    # count, so the same data would give other coefficients (in the last bits) on a machine
    # with more or fewer cores, and `qc train` would not rebuild the shipped arrays.
    with threadpool_limits(limits=1):
        classifier.fit(
            features,
            np.asarray(labels),
            sample_weight=None if weights is None else np.asarray(weights),
        )
    assert list(classifier.classes_) == list(range(len(classes)))
    return LinearTextModel(
        classes=classes,
        vocabulary=[str(v) for v in names],
        idf=tfidf.idf_,
        coef=classifier.coef_,
        intercept=classifier.intercept_,
        meta=meta,
    )


def out_of_fold(
    labels: np.ndarray, folds: int, fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """Each example's prediction by a model that never saw it: the examples are cut into
    `folds` seeded, stratified parts, and `fit_predict(fit_rows, held_out)` fits a model on
    the rows of the other parts and returns its predictions for the held-out rows. For
    choosing thresholds on all the data instead of one small validation split."""
    from sklearn.model_selection import StratifiedKFold

    out: np.ndarray | None = None
    parts = StratifiedKFold(folds, shuffle=True, random_state=0)
    for fit_rows, held_out in parts.split(np.zeros(len(labels)), labels):
        predicted = fit_predict(fit_rows, held_out)
        if out is None:
            out = np.zeros((len(labels), *predicted.shape[1:]))
        out[held_out] = predicted
    assert out is not None
    return out


def _identity(features: list[str]) -> list[str]:
    return features


def choose_threshold(
    scores: np.ndarray, truth: np.ndarray, target: float = THRESHOLD_PRECISION
) -> tuple[float, float, float]:
    """The lowest threshold of GRID (so never below its 0.30 floor) whose precision reaches
    `target` (most recall at that precision); if none does, the one with the best precision.
    Returns (threshold, precision, recall)."""
    best: tuple[float, float, float] | None = None
    fallback = (0.99, 0.0, 0.0)
    positives = max(int(truth.sum()), 1)
    for threshold in GRID:
        picked = scores >= threshold
        if not picked.any():
            continue
        precision = float(truth[picked].mean())
        recall = float(truth[picked].sum()) / positives
        if precision >= target and best is None:
            best = (threshold, precision, recall)
        if precision > fallback[1]:
            fallback = (threshold, precision, recall)
    return best or fallback


@dataclass
class Metrics:
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: list[list[int]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def prf(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    tp = int((truth & predicted).sum())
    precision = tp / max(int(predicted.sum()), 1)
    recall = tp / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": int(truth.sum()),
    }


def decide(
    probabilities: np.ndarray, classes: list[str], thresholds: dict[str, float]
) -> list[str]:
    """The runtime decision: the likeliest problem class above its threshold, else none."""
    out = []
    for row in probabilities:
        best, best_p = "none", 0.0
        for k, name in enumerate(classes):
            if name in thresholds and row[k] >= thresholds[name] and row[k] > best_p:
                best, best_p = name, float(row[k])
        out.append(best)
    return out


def table(rows: list[list[Any]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def size_on_disk(directory: Path) -> str:
    size = sum(p.stat().st_size for p in directory.glob("model.*"))
    return f"{size / 1e6:.1f} MB"


def met(value: float, target: float) -> str:
    return "met" if value >= target else "**NOT met**"
