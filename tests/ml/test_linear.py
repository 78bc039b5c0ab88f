"""The model runtime reproduces scikit-learn, loads only plain arrays, and fails clearly."""
from __future__ import annotations

import json

import numpy as np
import pytest

from qc_engine.errors import QCError
from qc_engine.ml.linear import LinearTextModel
from qc_engine.ml.train import fit

DOCS = [["a", "b", "ab"], ["b", "c"], ["c", "d", "cd"], ["a", "a", "d"], ["e", "b"],
        ["d", "e", "c"], ["a", "c"], ["b", "b", "e"], ["d", "a"], ["e", "c", "ab"]] * 3


def _sklearn(labels, C=1.0):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer=lambda f: f, sublinear_tf=True, min_df=1)
    X = vec.fit_transform(DOCS)
    return vec, LogisticRegression(C=C, max_iter=5000, random_state=0).fit(X, labels)


@pytest.mark.parametrize("classes", [["no", "yes"], ["x", "y", "z"]])
def test_runtime_matches_sklearn(classes, tmp_path):
    labels = [i % len(classes) for i in range(len(DOCS))]
    model = fit(DOCS, labels, classes, C=1.0, max_features=1000, min_df=1, meta={})
    model.save(tmp_path)
    loaded = LinearTextModel.load(tmp_path)
    vec, clf = _sklearn(labels)
    queries = [["a", "b"], ["c", "zzz"], ["e", "e", "d"], []]
    expected = clf.predict_proba(vec.transform(queries))
    assert np.allclose(loaded.predict_proba(queries), expected, atol=1e-5)


def test_explain_names_the_features_that_pushed(tmp_path):
    labels = [1 if "a" in d else 0 for d in DOCS]
    model = fit(DOCS, labels, ["no", "yes"], C=10.0, max_features=1000, min_df=1, meta={})
    reasons = model.explain(["a", "c"], "yes")
    assert reasons and reasons[0].feature == "a"
    assert all(r.weight > 0 for r in reasons)


def test_missing_model_names_the_file(tmp_path):
    with pytest.raises(QCError) as info:
        LinearTextModel.load(tmp_path / "nope")
    assert info.value.code == "E301" and info.value.file.endswith("model.npz")


@pytest.mark.parametrize("damage", ["garbage", "pickle", "json", "shape", "format"])
def test_corrupt_model_is_a_clear_error(damage, tmp_path):
    model = fit(DOCS, [i % 2 for i in range(len(DOCS))], ["no", "yes"], C=1.0,
                max_features=100, min_df=1, meta={})
    model.save(tmp_path)
    if damage == "garbage":
        (tmp_path / "model.npz").write_bytes(b"PK\x03\x04 not really a zip")
    elif damage == "pickle":
        np.savez(tmp_path / "model.npz", vocabulary=np.array([object()], dtype=object),
                 idf=np.ones(1), coef=np.ones((1, 1)), intercept=np.ones(1))
    elif damage == "json":
        (tmp_path / "model.json").write_text("{not json", encoding="utf-8")
    elif damage == "shape":
        np.savez(tmp_path / "model.npz", vocabulary=np.array(["a", "b"]), idf=np.ones(3),
                 coef=np.ones((1, 2)), intercept=np.ones(1))
    else:
        meta = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
        meta["format"] = "something-else"
        (tmp_path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(QCError) as info:
        LinearTextModel.load(tmp_path)
    assert info.value.code == "E301" and info.value.file
