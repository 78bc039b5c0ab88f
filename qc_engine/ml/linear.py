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
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qc_engine.errors import Code, QCError

FORMAT = "qc-linear-text/1"


@dataclass(frozen=True)
class GramFamily:
    """The character n-grams of one text of an item, `low` to `high` characters long, each
    a feature named `prefix` + the n-gram (e.g. "t:" for the message, "c:" for its
    context)."""

    prefix: str
    low: int
    high: int

    def features(self, text: str, out: list[str]) -> None:
        """Append this family's features of `text` to `out` (what `GramTable.find` finds,
        one by one: the reference, used for training)."""
        prefix, n = self.prefix, len(text)
        for size in range(self.low, self.high + 1):
            for start in range(n - size + 1):
                out.append(prefix + text[start : start + size])


class GramTable:
    """One family's n-grams of a model's vocabulary, for finding them in many texts at once
    in numpy instead of one dictionary lookup per n-gram in Python.

    Every character of the family's vocabulary n-grams gets a small id (1..K; any other
    character 0), so an n-gram of at most `high` characters packs into one 64-bit key
    (`bits` per character) and the vocabulary becomes a sorted key array. The texts of a
    batch are joined by NUL (id 0), turned into an id array, and every position's n-gram
    keys are built with shifts; an n-gram holding a 0 (a text boundary, or a character
    the vocabulary never saw) cannot be a feature and is dropped; the rest are looked up
    with one binary search.
    """

    def __init__(self, vocabulary: np.ndarray | list[str], family: GramFamily) -> None:
        vocabulary = np.asarray(vocabulary, dtype=np.str_)
        self.family = family
        width, high = len(family.prefix), family.high
        # The vocabulary's n-grams of this family, chosen in numpy (a model holds hundreds
        # of thousands of features: a Python loop over them was most of a cold start).
        lengths = np.char.str_len(vocabulary) - width
        keep = (lengths >= family.low) & (lengths <= high)
        if width:
            keep &= np.char.startswith(vocabulary, family.prefix)
        chosen = np.flatnonzero(keep)
        # Each n-gram as `high` code points after the prefix, padded with 0: the array's
        # own UTF-32 code units, read in place. An n-gram holding NUL cannot be packed
        # (0 pads): such features are left out (no text the normaliser makes holds one).
        stride = vocabulary.dtype.itemsize // 4
        padded = np.zeros((len(chosen), width + high), dtype=np.uint32)
        units = vocabulary[chosen].view(np.uint32).reshape(len(chosen), stride)
        padded[:, : min(stride, width + high)] = units[:, : width + high]
        codes = padded[:, width:]
        whole = (codes != 0).sum(axis=1) == lengths[chosen]
        chosen, codes = chosen[whole], codes[whole]
        self.size = len(chosen)
        self._index: dict[str, int] | None = None  # for _find_slowly, built on first use
        chars = np.unique(codes[codes != 0])
        self.bits = max(1, len(chars).bit_length())
        # Too many distinct characters to pack: fall back to Python lookups (still right).
        self.packed = self.bits * high <= 64
        # What `_find_slowly` needs, kept only when it will run (megabytes for a big model).
        self._codes: np.ndarray = _EMPTY if self.packed else codes
        self._chosen: np.ndarray = _EMPTY if self.packed else chosen
        self.ids = np.zeros(0x110000, dtype=np.uint16 if len(chars) < 0xFFFF else np.uint32)
        self.ids[chars] = np.arange(1, len(chars) + 1)
        keys = np.zeros(len(chosen), dtype=np.uint64)
        if self.packed:
            digits = self.ids[codes].astype(np.uint64)
            for j in range(high):
                keys |= digits[:, j] << np.uint64(self.bits * (high - 1 - j))
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.columns = chosen.astype(np.int64)[order]

    def find(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every vocabulary n-gram occurrence in the texts (row = the
        text's position in the list)."""
        if not texts or not self.size:
            return _EMPTY, _EMPTY
        if not self.packed:
            return self._find_slowly(texts)
        joined = "\x00".join(texts)
        length = len(joined)
        low, high, bits = self.family.low, self.family.high, self.bits
        # The ids, then high-1 zeros: every position has an n-gram of every size (one
        # running past the end holds a 0 and is dropped like one crossing a boundary).
        ids = np.zeros(length + high - 1, dtype=np.uint64)
        ids[:length] = self.ids[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)]
        # keys[s - 1, i]: the n-gram of s characters at i, left-aligned in `high` digits.
        keys: np.ndarray = np.empty((high, length), dtype=np.uint64)
        last: np.ndarray = np.empty((high, length), dtype=np.uint64)
        np.left_shift(ids[:length], np.uint64(bits * (high - 1)), out=keys[0])
        last[0] = ids[:length]
        for size in range(2, high + 1):
            last[size - 1] = ids[size - 1 : size - 1 + length]
            np.bitwise_or(
                keys[size - 2],
                last[size - 1] << np.uint64(bits * (high - size)),
                out=keys[size - 1],
            )
        # A key whose last character is 0 would equal a shorter n-gram's key (or hold a
        # text boundary or an unseen character): not a feature. A 0 inside a key makes a
        # pattern no vocabulary key has (all their digits are non-zero, then zeros).
        keys, last = keys[low - 1 :].ravel(), last[low - 1 :].ravel()
        where = np.flatnonzero(last)
        wanted = keys[where]
        at = np.searchsorted(self.keys, wanted)
        np.minimum(at, len(self.keys) - 1, out=at)
        hit = self.keys[at] == wanted
        where = where[hit] % length
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        row_at = np.repeat(np.arange(len(texts), dtype=np.int64), lengths + 1)
        return row_at[where], self.columns[at[hit]]

    def _find_slowly(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if self._index is None:
            self._index = {
                "".join(map(chr, row[row != 0])): int(column)
                for row, column in zip(self._codes, self._chosen, strict=True)
            }
        low, high, lookup = self.family.low, self.family.high, self._index.get
        rows, cols = [], []
        for row, text in enumerate(texts):
            for size in range(low, high + 1):
                for start in range(len(text) - size + 1):
                    column = lookup(text[start : start + size])
                    if column is not None:
                        rows.append(row)
                        cols.append(column)
        return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


_EMPTY = np.zeros(0, dtype=np.int64)


class Prediction:
    """Probabilities of a batch (`proba`, one row per item) and, for explaining a row,
    each row's features and TF-IDF values as the model weighed them."""

    def __init__(self, model: LinearTextModel) -> None:
        self.model = model
        self.proba = np.empty(0)
        self.columns = _EMPTY
        self.values = np.zeros(0)
        self.bounds: np.ndarray | None = None

    def explain(self, row: int, class_name: str, top: int = 3) -> list[Contribution]:
        """The features of item `row` that pushed most towards `class_name`."""
        if self.bounds is None:
            return []
        start, end = self.bounds[row], self.bounds[row + 1]
        if start == end:
            return []
        return self.model.contributions(
            self.columns[start:end], self.values[start:end], class_name, top
        )


@dataclass
class Contribution:
    feature: str
    weight: float


class LinearTextModel:
    def __init__(
        self,
        *,
        classes: list[str],
        vocabulary: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        meta: dict[str, Any],
    ) -> None:
        self.classes = classes
        self.vocabulary = np.asarray(vocabulary, dtype=np.str_)
        self.idf = idf.astype(np.float64)
        # One row per feature: its weight for each class (binary models store one row).
        self.weights = coef.T.astype(np.float64, copy=True)
        self.intercept = intercept.astype(np.float64)
        self.meta = meta
        self.binary = coef.shape[0] == 1
        self._tables: dict[GramFamily, GramTable] = {}
        self._columns: dict[str, int] = {}

    @cached_property
    def index(self) -> dict[str, int]:
        """Feature -> column, built on first use (scoring finds n-grams in numpy and looks
        up the few other features with `column`)."""
        return {str(feature): i for i, feature in enumerate(self.vocabulary)}

    def column(self, feature: str) -> int:
        """The column of one feature, or -1; remembered (a handful of distinct features
        outside the n-gram families are looked up while scoring)."""
        found = self._columns.get(feature)
        if found is None:
            hits = np.flatnonzero(self.vocabulary == feature)
            found = self._columns[feature] = int(hits[0]) if hits.size else -1
        return found

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
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> LinearTextModel:
        arrays_path, meta_path = directory / "model.npz", directory / "model.json"
        for path in (arrays_path, meta_path):
            if not path.is_file():
                raise QCError(
                    Code.E301, "model file not found (train it with `qc train`)", file=str(path)
                )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise QCError(
                Code.E301, f"model metadata is corrupt: {exc}", file=str(meta_path)
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise QCError(Code.E301, f"not a {FORMAT} model", file=str(meta_path))
        try:
            with np.load(arrays_path, allow_pickle=False) as data:
                vocabulary = data["vocabulary"]
                idf, coef, intercept = data["idf"], data["coef"], data["intercept"]
        except Exception as exc:  # zip, npy and key errors all mean the same to the user
            raise QCError(
                Code.E301, f"model arrays are corrupt or unreadable: {exc}", file=str(arrays_path)
            ) from None
        classes = meta.pop("classes", None)
        meta.pop("format", None)
        rows = 1 if len(classes or []) == 2 else len(classes or [])
        if (
            not classes
            or coef.ndim != 2
            or coef.shape != (rows, len(vocabulary))
            or idf.shape != (len(vocabulary),)
            or intercept.shape != (rows,)
        ):
            raise QCError(
                Code.E301, "model arrays do not match its metadata", file=str(arrays_path)
            )
        return cls(
            classes=classes,
            vocabulary=vocabulary,
            idf=idf,
            coef=coef,
            intercept=intercept,
            meta=meta,
        )

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
        """Class probabilities for a batch of feature lists (one row per item): one
        dictionary lookup per feature, the rest for the whole batch at once in numpy."""
        lookup = self.index.get
        found = np.array([lookup(f, -1) for features in batch for f in features], dtype=np.int64)
        rows = np.repeat(np.arange(len(batch), dtype=np.int64), [len(f) for f in batch])
        known = found >= 0
        return self.proba_of(len(batch), rows[known], found[known])

    def predict_grams(
        self, families: list[tuple[GramFamily, list[str]]], extras: list[list[str]]
    ) -> Prediction:
        """Class probabilities for a batch given as texts: for each family of character
        n-grams the texts of every row (n-grams found in numpy, see GramTable), plus a
        short list of other features per row (looked up one by one). The same
        probabilities as `predict_proba` of the full feature lists; the prediction also
        explains any row without computing its features again."""
        n = len(extras)
        columns = [self.column(f) for features in extras for f in features]
        all_rows = [np.repeat(np.arange(n, dtype=np.int64), [len(f) for f in extras])]
        all_cols = [np.array(columns, dtype=np.int64)]
        for family, texts in families:
            rows, cols = self.gram_table(family).find(texts)
            all_rows.append(rows)
            all_cols.append(cols)
        rows, cols = np.concatenate(all_rows), np.concatenate(all_cols)
        known = cols >= 0
        prediction = Prediction(self)
        prediction.proba = self.proba_of(n, rows[known], cols[known], keep=prediction)
        return prediction

    def gram_table(self, family: GramFamily) -> GramTable:
        table = self._tables.get(family)
        if table is None:
            table = self._tables[family] = GramTable(self.vocabulary, family)
        return table

    def proba_of(
        self, n: int, rows: np.ndarray, cols: np.ndarray, keep: Prediction | None = None
    ) -> np.ndarray:
        """Probabilities of `n` items from their features' occurrences (an item's row and
        a feature's column per occurrence; repeated occurrences are its term frequency).
        `keep` receives each item's features and their TF-IDF values, for explaining."""
        if n == 0:
            return np.empty((0, len(self.classes)))
        scores = np.empty((n, len(self.intercept)))
        scores[:] = self.intercept
        if len(rows):
            size = len(self.vocabulary)
            # Sorted by row, then column: each (row, column) once with its count.
            keys, tf = np.unique(rows * size + cols, return_counts=True)
            row_of, col_of = np.divmod(keys, size)
            values = (1.0 + np.log(tf)) * self.idf[col_of]
            starts = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]])
            present = row_of[starts]
            norms = np.sqrt(np.add.reduceat(values * values, starts))
            weighted = self.weights[col_of] * values[:, None]
            scores[present] += np.add.reduceat(weighted, starts, axis=0) / norms[:, None]
            if keep is not None:
                # Rows are sorted: row r's entries are bounds[r]:bounds[r + 1].
                keep.bounds = np.searchsorted(row_of, np.arange(n + 1))
                keep.columns = col_of
                keep.values = values / np.repeat(norms, np.diff(np.r_[starts, len(values)]))
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
        return self.contributions(idx, values, class_name, top)

    def contributions(
        self, idx: np.ndarray, values: np.ndarray, class_name: str, top: int
    ) -> list[Contribution]:
        """Of features `idx` with TF-IDF `values`, the `top` that pushed most towards
        `class_name`, largest first (only those that pushed towards it)."""
        k = self.classes.index(class_name)
        if self.binary:
            column = self.weights[idx, 0] * (1 if k == 1 else -1)
        else:
            column = self.weights[idx, k]
        contributions = values * column
        # Largest first; ties (features always seen together) by vocabulary order.
        order = np.lexsort((idx, -contributions))[:top]
        return [
            Contribution(str(self.vocabulary[idx[i]]), float(contributions[i]))
            for i in order
            if contributions[i] > 0
        ]
