"""The model runtime reproduces scikit-learn, loads only plain arrays, and fails clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qc_engine.errors import QCError
from qc_engine.ml.fitting import fit
from qc_engine.ml.linear import LinearTextModel

DOCS = [
    ["a", "b", "ab"],
    ["b", "c"],
    ["c", "d", "cd"],
    ["a", "a", "d"],
    ["e", "b"],
    ["d", "e", "c"],
    ["a", "c"],
    ["b", "b", "e"],
    ["d", "a"],
    ["e", "c", "ab"],
] * 3


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
    model = fit(
        DOCS,
        [i % 2 for i in range(len(DOCS))],
        ["no", "yes"],
        C=1.0,
        max_features=100,
        min_df=1,
        meta={},
    )
    model.save(tmp_path)
    if damage == "garbage":
        (tmp_path / "model.npz").write_bytes(b"PK\x03\x04 not really a zip")
    elif damage == "pickle":
        np.savez(
            tmp_path / "model.npz",
            vocabulary=np.array([object()], dtype=object),
            idf=np.ones(1),
            coef=np.ones((1, 1)),
            intercept=np.ones(1),
        )
    elif damage == "json":
        (tmp_path / "model.json").write_text("{not json", encoding="utf-8")
    elif damage == "shape":
        np.savez(
            tmp_path / "model.npz",
            vocabulary=np.array(["a", "b"]),
            idf=np.ones(3),
            coef=np.ones((1, 2)),
            intercept=np.ones(1),
        )
    else:
        meta = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
        meta["format"] = "something-else"
        (tmp_path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(QCError) as info:
        LinearTextModel.load(tmp_path)
    assert info.value.code == "E301" and info.value.file


# -- the vectorised n-gram path gives what the feature lists give -------------------------


def _texts() -> list[str]:
    """Real agent and customer turns, plus edge cases: empty, one character, emoji and
    characters beyond the BMP, NUL, characters no model has seen, long text."""
    from qc_engine.ml.sources import shared_data_dir

    texts = []
    path = shared_data_dir() / "ecd" / "ecd_sample_dialogues.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines()[:60]:
        texts.extend(m["text"] for m in json.loads(line)["messages"])
    return [
        *texts,
        "",
        "哦",
        "亲",
        "?",
        "好的😀亲𠀀",
        "a\x00b",
        "䶵䶶䶷",
        "发货" * 200,
        "说了多少遍了，自己看详情页！！",
        "不会的",
        "12315投诉",
    ]


def test_gram_path_matches_feature_lists():
    from qc_engine.engine import default_checklist_dir
    from qc_engine.ml.features import agent_features, agent_proba, customer_features, customer_proba
    from qc_engine.ml.runtime import load_model
    from qc_engine.normalize import load_normalizer

    normalizer = load_normalizer(default_checklist_dir() / "lexicons")
    norm = [normalizer.normalize(t) for t in _texts()]
    pairs = [(norm[i], norm[i - 1] if i % 3 else None) for i in range(len(norm))]
    agent = load_model("agent_speech")
    features = [agent_features(m, c) for m, c in pairs]
    prediction = agent_proba(agent, pairs)
    assert np.allclose(prediction.proba, agent.predict_proba(features), rtol=0, atol=1e-12)
    for row in range(len(pairs)):  # the batch explains a row as its feature list does
        for name in agent.classes:
            assert _same(prediction.explain(row, name, 5), agent.explain(features[row], name, 5))
    for name in ("customer/emotion", "customer/complaint"):
        model = load_model(name)
        features = [customer_features(m) for m in norm]
        prediction = customer_proba(model, norm)
        assert np.allclose(prediction.proba, model.predict_proba(features), rtol=0, atol=1e-12)
        for row in range(len(norm)):
            assert _same(
                prediction.explain(row, model.classes[1], 5),
                model.explain(features[row], model.classes[1], 5),
            )
    assert len(agent_proba(agent, []).proba) == 0


def _same(a, b) -> bool:
    return [c.feature for c in a] == [c.feature for c in b] and np.allclose(
        [c.weight for c in a], [c.weight for c in b], rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("chars", [3, 300, 70_000])
def test_gram_table_packs_or_falls_back(chars):
    """Few distinct characters pack many bits per key; too many to pack for the family's
    longest n-gram falls back to Python lookups: the same occurrences either way."""
    from qc_engine.ml.linear import GramFamily, GramTable

    alphabet = [chr(0x4E00 + i) for i in range(chars)]
    vocabulary = list(
        dict.fromkeys(
            [f"t:{alphabet[i % chars]}{alphabet[(i * 7 + 1) % chars]}" for i in range(50)]
            + [f"t:{a}" for a in alphabet]
            + ["x:zz"]
        )
    )
    table = GramTable(vocabulary, GramFamily("t:", 1, 4))
    assert table.packed == (chars < 65535)
    texts = ["".join(alphabet[(j * 7 + k) % chars] for k in range(9)) for j in range(30)]
    rows, cols = table.find(texts)
    found = sorted(zip(rows.tolist(), cols.tolist(), strict=False))
    index = {v: i for i, v in enumerate(vocabulary)}
    expected = []
    for row, text in enumerate(texts):
        for size in range(1, 5):
            for start in range(len(text) - size + 1):
                if "t:" + text[start : start + size] in index:
                    expected.append((row, index["t:" + text[start : start + size]]))
    assert found == sorted(expected)
