"""Experiment (not shipped): the reply-relevance model the issue names, trained on the real
JDDC question-reply pairs (self-supervised: a customer message with the agent reply that
followed it, against a reply from another session and a non-adjacent reply of the same
session), on the validation sessions only; then "unanswered" = no candidate reply reaches
a relevance threshold, measured out of fold by session on the labelled validation
questions. Features: hashed (question word, reply word) pairs and the reply's words.

    python tools/relevance_selfsupervised_experiment.py

Measured 2026-12-07: 7,371 pairs; on 1,048 JD validation questions (100 unanswered) the
AUC of "unanswered" against the best candidate's relevance is 0.38 (below chance: agents
answer on topic even when they do not answer), F1 at most 0.16. docs/quality.md.
"""

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import rjieba
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from qc_engine.ml.realset import deanonymise, labelled_items, real_sessions, split_of_session
from qc_engine.ml.sources import shared_data_dir

rng = random.Random(0)


def toks(t):
    return [w for w in rjieba.cut(t) if w.strip() and not re.fullmatch(r"[\W_]+", w)][:12]


def pair_feats(q, r):
    qt, rt = toks(q), toks(r)
    f = [f"{a}|{b}" for a in qt for b in rt]
    f += ["r:" + b for b in rt]
    return f


with open(shared_data_dir() / "jddc" / "jddc_agent_replies.txt", encoding="utf-8") as replies:
    pool = [deanonymise(line.strip()) for line in replies if line.strip()]
val = [
    s
    for s in real_sessions()
    if s["id"].startswith("jddc") and split_of_session(s["id"]) == "validation"
]
X, y, g = [], [], []
for s in val:
    m = [deanonymise(x["text"]) for x in s["messages"]]
    roles = [x["role"] for x in s["messages"]]
    agents = [i for i, r in enumerate(roles) if r == "agent"]
    for i in range(len(m) - 1):
        if roles[i] == "customer" and roles[i + 1] == "agent":
            X.append(pair_feats(m[i], m[i + 1]))
            y.append(1)
            g.append(s["id"])
            X.append(pair_feats(m[i], rng.choice(pool)))
            y.append(0)
            g.append(s["id"])
            others = [j for j in agents if abs(j - (i + 1)) > 2]
            if others:
                X.append(pair_feats(m[i], m[rng.choice(others)]))
                y.append(0)
                g.append(s["id"])
H = FeatureHasher(2**20, input_type="string")
XH = H.transform(X)
y = np.array(y)
print("pairs", len(y), "positives", y.sum())
# Relevance of each labelled question's candidate replies, out of fold by session
items = [
    i
    for i in labelled_items()
    if i.split == "validation" and i.kind == "question" and i.session.startswith("jddc")
]
ses = {s["id"]: s for s in val}
folds = {sid: k for k, sid in enumerate(sorted(ses))}
K = 5
best = {}
sess_ids = np.array(g)
for k in range(K):
    train = np.array([folds[sid] % K != k for sid in sess_ids])
    clf = LogisticRegression(C=1, max_iter=2000).fit(XH[train], y[train])
    for qi, q in enumerate(items):
        if folds[q.session] % K != k:
            continue
        m = [deanonymise(x["text"]) for x in ses[q.session]["messages"]]
        roles = [x["role"] for x in ses[q.session]["messages"]]
        cands = [j for j in range(q.index + 1, len(m)) if roles[j] == "agent"][:5]
        if q.answer is not None:
            cands = [j for j in cands if j <= q.answer]
        if not cands:
            best[qi] = 0.0
            continue
        p = clf.predict_proba(H.transform([pair_feats(m[q.index], m[j]) for j in cands]))[:, 1]
        best[qi] = float(p.max())
truth = np.array([q.answer is None for q in items])
score = np.array([best[i] for i in range(len(items))])

print(
    "questions",
    len(items),
    "unanswered",
    truth.sum(),
    "AUC(unanswered vs 1-maxrel)",
    round(roc_auc_score(truth, -score), 3),
)
for t in (0.5, 0.6, 0.7, 0.8, 0.9):
    pred = score < t
    tp = (pred & truth).sum()
    P = tp / max(pred.sum(), 1)
    R = tp / truth.sum()
    print(
        t,
        "flag",
        pred.sum(),
        "P",
        round(P, 3),
        "R",
        round(R, 3),
        "F1",
        round(2 * P * R / (P + R), 3) if P + R else 0,
    )
