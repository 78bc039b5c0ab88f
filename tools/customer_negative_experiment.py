"""Experiment (not shipped): how far a model made for real chat turns gets on
`customer_negative`, measured out of session (5 folds by session) on the real labelled
validation turns (models/data/real, 2,905 turns, 164 negative). The test split is not read.

Designs compared (logistic regression, class-balanced):
- `char`: TF-IDF character 1-3-grams of the real turns only;
- `cue`: ten families of cues written from the validation turns (chasing marks ??/。。。,
  urgency 急/快点, "where are you" 人呢/机器, still-not 还没/怎么还, waited days 都四天了/
  等了好久, indignant why 凭什么/到底, bad words 坑/骗/服了/算了, rhetoric 不是…吗/有什么用,
  an exclamation, a question) and the turn's place (length, position, a customer turn
  right after another, a cue in the customer's turn before);
- `char+cue`, and `char+cue+ext`: plus the probability (binned, and as a logit) of a model
  fit on the other labelled sentiment text only (../shared/data/emotion/, the written
  customer turns, online_shopping_10_cats reviews), which stands in for the shipped
  emotion model (trained on the real validation turns too, so in-sample here).

    python tools/customer_negative_experiment.py

Measured 2026-12-07 (docs/quality.md; 31 s): AUC 0.90 / 0.87 / 0.93 / 0.93, average
precision 0.38 / 0.39 / 0.56 / 0.57; at precision >= 0.85 the best reaches recall 0.19, at
0.70 recall 0.26, at 0.60 recall 0.45. The shipped emotion model, the same
way: precision 0.60 at recall 0.20 (qc_engine/models/customer/card.md).
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GroupKFold

from qc_engine.ml import data
from qc_engine.ml.realset import deanonymise, labelled_items, real_sessions

CUES = {
    "chasing": r"[?？]{2,}|。。。|！{2,}|!{2,}",
    "urgent": r"急|快点|尽快|赶紧|马上|催",
    "where": r"人呢|在吗|说话|没人理|机器",
    "still": r"还没|还不|还是没|怎么还|到现在|一直没|都没",
    "waited": r"都.{0,4}[天周月号点]了|等了|好几天|[几多]天了|这么久|那么久|这么慢|好久",
    "why": r"凭什么|为什么|为啥|怎么能|怎么可以|怎么会|什么鬼|什么情况|到底",
    "bad": r"太差|真差|差劲|慢了|太慢|坑|骗|忽悠|套路|扯|麻烦|失望|不满|无奈|吃不消|"
    r"不能接受|接受不了|服了|醉|晕|崩溃|唉|算了",
    "rhetoric": r"不是.{0,8}吗|难道|有什么用|还能.{0,6}吗|总不会|你们.{0,6}都这么",
    "exclaim": r"[!！]",
    "question": r"[?？吗呢]",
}
PREVIOUS_BAD = "|".join(CUES[k] for k in ("bad", "still", "chasing"))


def cue_row(messages: list[dict], index: int, text: str) -> list[float]:
    before = messages[:index]
    customer_before = [m for m in before if m["role"] == "customer"]
    row = [1.0 if re.search(p, text) else 0.0 for p in CUES.values()]
    row += [
        min(len(text), 60) / 60,
        min(len(before), 20) / 20,
        min(len(customer_before), 10) / 10,
        1.0 if before and before[-1]["role"] == "customer" else 0.0,
        1.0
        if customer_before and re.search(PREVIOUS_BAD, deanonymise(customer_before[-1]["text"]))
        else 0.0,
    ]
    return row


def main() -> None:
    items = [i for i in labelled_items() if i.kind == "customer" and i.split == "validation"]
    sessions = {s["id"]: s["messages"] for s in real_sessions()}
    y = np.array([i.answer != "calm" for i in items], dtype=int)
    groups = [i.session for i in items]
    texts = [deanonymise(i.text) for i in items]
    cues = csr_matrix(
        np.array(
            [cue_row(sessions[i.session], i.index, t) for i, t in zip(items, texts, strict=True)]
        )
    )
    print(f"{len(items)} real validation turns, {y.sum()} negative")

    other = data.emotion_turns() + data.customer_turns()
    reviews = data.reviews("online_shopping_10_cats.csv")
    ext_texts = [t.text for t in other] + [text for text, _ in reviews]
    ext_y = [t.negative for t in other] + [1 - label for _, label in reviews]
    vec = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=300_000
    )
    ext_model = LogisticRegression(C=3, max_iter=2000).fit(vec.fit_transform(ext_texts), ext_y)
    p_ext = ext_model.predict_proba(vec.transform(texts))[:, 1]
    print(f"ext model alone: AUC {roc_auc_score(y, p_ext):.3f}")
    bins = np.eye(6)[np.digitize(p_ext, [0.3, 0.5, 0.7, 0.85, 0.95])]
    ext = csr_matrix(np.c_[bins, np.log(p_ext / (1 - p_ext + 1e-9) + 1e-9) / 5])

    def chars(fit: np.ndarray, held: np.ndarray):
        v = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
        return v.fit_transform([texts[i] for i in fit]), v.transform([texts[i] for i in held])

    designs = {
        "char": lambda f, h: chars(f, h),
        "cue": lambda f, h: (cues[f], cues[h]),
        "char+cue": lambda f, h: tuple(
            hstack([c, cues[s] * 2]).tocsr() for c, s in zip(chars(f, h), (f, h), strict=True)
        ),
        "char+cue+ext": lambda f, h: tuple(
            hstack([c, cues[s] * 2, ext[s] * 2]).tocsr()
            for c, s in zip(chars(f, h), (f, h), strict=True)
        ),
    }
    for name, make in designs.items():
        oof = np.zeros(len(items))
        for fit_rows, held in GroupKFold(5).split(texts, y, groups):
            x_fit, x_held = make(fit_rows, held)
            model = LogisticRegression(C=3, class_weight="balanced", max_iter=3000)
            oof[held] = model.fit(x_fit, y[fit_rows]).predict_proba(x_held)[:, 1]
        order = np.argsort(-oof)
        hits = np.cumsum(y[order])
        precision, recall = hits / np.arange(1, len(y) + 1), hits / y.sum()
        best = {p: float(recall[5:][precision[5:] >= p].max(initial=0.0)) for p in (0.85, 0.7, 0.6)}
        print(
            f"{name:<14} AUC {roc_auc_score(y, oof):.3f}  "
            f"AP {average_precision_score(y, oof):.3f}  "
            + "  ".join(f"R at P>={p}: {r:.2f}" for p, r in best.items())
        )


if __name__ == "__main__":
    main()
