"""Runtime of a linear text classifier stored as plain arrays (numpy .npz without pickles)
and JSON, so loading a model file can never run code.

The computation reproduces scikit-learn's TfidfVectorizer(sublinear_tf=True, norm="l2")
followed by LogisticRegression: tf -> 1 + log(tf), times idf, L2-normalised, dot the
coefficients, plus the intercept, then softmax (several classes) or the logistic function
(two). A test checks it against scikit-learn's own predict_proba.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qc_engine.errors import QCError

FORMAT = "qc-linear-text/1"


@dataclass
class Contribution:
    feature: str
    weight: float


class LinearTextModel:
    def __init__(self, *, classes: list[str], vocabulary: list[str], idf: np.ndarray,
                 coef: np.ndarray, intercept: np.ndarray, meta: dict[str, Any]) -> None:
        self.classes = classes
        self.index = {feature: i for i, feature in enumerate(vocabulary)}
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float64)
        # One row per feature: its weight for each class (binary models store one row).
        self.weights = coef.T.astype(np.float64, copy=True)
        self.intercept = intercept.astype(np.float64)
        self.meta = meta
        self.binary = coef.shape[0] == 1

    # -- persistence ---------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / "model.npz",
            vocabulary=np.array(self.vocabulary, dtype=np.str_),
            idf=self.idf.astype(np.float32),
            coef=self.weights.T.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
        )
        meta = {"format": FORMAT, "classes": self.classes, **self.meta}
        (directory / "model.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LinearTextModel:
        arrays_path, meta_path = directory / "model.npz", directory / "model.json"
        for path in (arrays_path, meta_path):
            if not path.is_file():
                raise QCError("E301", "model file not found (train it with `qc train`)",
                              file=str(path))
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise QCError("E301", f"model metadata is corrupt: {exc}", file=str(meta_path)) \
                from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise QCError("E301", f"not a {FORMAT} model", file=str(meta_path))
        try:
            with np.load(arrays_path, allow_pickle=False) as data:
                vocabulary = [str(v) for v in data["vocabulary"]]
                idf, coef, intercept = data["idf"], data["coef"], data["intercept"]
        except Exception as exc:  # zip, npy and key errors all mean the same to the user
            raise QCError("E301", f"model arrays are corrupt or unreadable: {exc}",
                          file=str(arrays_path)) from None
        classes = meta.pop("classes", None)
        meta.pop("format", None)
        rows = 1 if len(classes or []) == 2 else len(classes or [])
        if (not classes or coef.ndim != 2 or coef.shape != (rows, len(vocabulary))
                or idf.shape != (len(vocabulary),) or intercept.shape != (rows,)):
            raise QCError("E301", "model arrays do not match its metadata",
                          file=str(arrays_path))
        return cls(classes=classes, vocabulary=vocabulary, idf=idf, coef=coef,
                   intercept=intercept, meta=meta)

    # -- inference -----------------------------------------------------------------------

    def _vector(self, features: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        counts = Counter(f for f in features if f in self.index)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0), []
        names = list(counts)
        idx = np.fromiter((self.index[f] for f in names), dtype=np.int64, count=len(names))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(names))
        values = (1.0 + np.log(tf)) * self.idf[idx]
        values /= math.sqrt(float(values @ values)) or 1.0
        return idx, values, names

    def predict_proba(self, batch: list[list[str]]) -> np.ndarray:
        """Class probabilities for a batch of feature lists (one row per item), computed
        for the whole batch at once: one dictionary lookup per feature in Python, the rest
        in numpy."""
        n = len(batch)
        if n == 0:
            return np.empty((0, len(self.classes)))
        lookup = self.index.get
        found = np.array([lookup(f, -1) for features in batch for f in features],
                         dtype=np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), [len(f) for f in batch])
        known = found >= 0
        scores = np.tile(self.intercept, (n, 1))
        if known.any():
            size = len(self.vocabulary)
            keys, tf = np.unique(rows[known] * size + found[known], return_counts=True)
            row_of, col_of = keys // size, keys % size
            values = (1.0 + np.log(tf)) * self.idf[col_of]
            norms = np.sqrt(np.bincount(row_of, weights=values * values, minlength=n))
            values /= np.where(norms > 0, norms, 1.0)[row_of]
            weights = self.weights[col_of] * values[:, None]
            for k in range(weights.shape[1]):
                scores[:, k] += np.bincount(row_of, weights=weights[:, k], minlength=n)
        if self.binary:
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p, p])
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def explain(self, features: list[str], class_name: str, top: int = 3) -> list[Contribution]:
        """The features that pushed most towards `class_name`, largest first."""
        idx, values, names = self._vector(features)
        if not names:
            return []
        k = self.classes.index(class_name)
        if self.binary:
            column = self.weights[idx, 0] * (1 if k == 1 else -1)
        else:
            column = self.weights[idx, k]
        contributions = values * column
        order = np.argsort(-contributions)[:top]
        return [Contribution(names[i], float(contributions[i])) for i in order
                if contributions[i] > 0]
