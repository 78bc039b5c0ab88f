"""Experiment (not shipped): can a reply-relevance model over shallow features tell an
answered customer question from an unanswered one on real chats?

    python tools/relevance_experiment.py

Pairs each labelled question of the real validation split (models/data/real) with the next
agent messages (up to the one that answers it, at most 5): positive when that message is
the answer. Features: the question's type (时间/价格/原因/方式/是否 by keywords) crossed with
what the reply holds (a time, an amount, a yes/no word, a place, a link or page, a hold, a
stock line, a question back, a way or a reason), the distance, the bigram overlap, and the
reply's character 1-2-grams; logistic regression, 5 folds by session. A question counts as
unanswered when no candidate reaches the threshold. Prints precision, recall and F1 of
"unanswered" at a few thresholds (docs/quality.md quotes them).
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from collections import defaultdict

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from qc_engine.ml.realset import deanonymise, labelled_items, real_sessions

items = [i for i in labelled_items() if i.split == "validation"]
ses = {s["id"]: s for s in real_sessions()}
Q = [i for i in items if i.kind == "question"]
promises = {(i.session, i.index) for i in items if i.kind == "promise"}
TIME = re.compile(
    r"\d+\s*(天|号|日|点|小时|分钟|个工作日|周|月)|今天|明天|后天|今晚|上午|下午|晚上|周[一二三四五六日末]|马上|立即|尽快|很快|稍后|工作日|时效|预计|左右"
)
MONEY = re.compile(r"\d+(\.\d+)?\s*(元|块)|价格|金额|费用|运费|差价|¥|价")
NUM = re.compile(r"\d")
YESNO = re.compile(
    r"^(是的|是|对|对的|可以|能|不能|不可以|不行|有|没有|会|不会|不是|需要|不需要|不用|要|行|好的|嗯|恩|支持|不支持)"
)
YESNO_ANY = re.compile(
    r"可以|不可以|能的|不能|不行|是的|不是|没有|有的|会的|不会|需要|不需要|不用|支持|不支持|无法|没办法"
)
ADDR = re.compile(r"站点|地址|仓|网点|自提|区|市|省|路|驿站|快递柜")
LINK = re.compile(r"链接|图片|截图|照片|http|页面|点击|入口|路径|进入|我的订单|APP|app")
HOLD = re.compile(
    r"稍等|正在为您查询|帮您查询|核实|请您耐心等待|我问下|我问一下|我查一下|帮您看|帮您问|马上为您"
)
STOCK = re.compile(r"还有其他|其他还可以帮|可以帮到您|很高兴为您|感谢您的|祝您|欢迎")
ASK = re.compile(r"[?？]$|吗[?？]?$|呢[?？]$|请问")
WAY = re.compile(r"您可以|可以在|操作|申请|点击|进入|提交|联系|拨打|路径|步骤|需要您")
WHY = re.compile(r"因为|由于|原因|是因为|所以|导致")
QT = [
    ("时间", re.compile(r"什么时候|多久|几天|几号|何时|多长时间|啥时候|时间|今天|明天|几点")),
    ("价格", re.compile(r"多少钱|价格|价|运费|费用|钱")),
    ("原因", re.compile(r"为什么|为啥|怎么回事|原因")),
    ("方式", re.compile(r"怎么|如何|哪里|在哪")),
    ("是否", re.compile(r"吗|能不能|可不可以|是不是|有没有|会不会|可以|能否|么")),
]


def qtype(q):
    for n, r in QT:
        if r.search(q):
            return n
    return "其他"


def feats(q, r, dist, nth):
    t = qtype(q)
    f = [f"qt={t}", f"d={min(dist, 4)}", f"n={min(nth, 3)}"]
    flags = {
        "time": TIME.search(r),
        "money": MONEY.search(r),
        "num": NUM.search(r),
        "yn": YESNO.search(r),
        "yna": YESNO_ANY.search(r),
        "addr": ADDR.search(r),
        "link": LINK.search(r),
        "hold": HOLD.search(r),
        "stock": STOCK.search(r),
        "ask": ASK.search(r),
        "way": WAY.search(r),
        "why": WHY.search(r),
    }
    for k, v in flags.items():
        if v:
            f += [k, f"{t}&{k}"]
    L = len(r)
    f.append(f"len={min(L // 10, 6)}")
    qb = {q[i : i + 2] for i in range(len(q) - 1)}
    rb = {r[i : i + 2] for i in range(len(r) - 1)}
    ov = len(qb & rb)
    f.append(f"ov={min(ov, 5)}")
    if hold_only(r):
        f.append("hold_only")
    return f


def hold_only(r):
    return bool(HOLD.search(r)) and len(r) < 25


rows = []
ys = []
grp = []
qid = []
rtext = []
for qi, q in enumerate(Q):
    m = ses[q.session]["messages"]
    qt = deanonymise(m[q.index]["text"])
    nth = 0
    for j in range(q.index + 1, len(m)):
        if m[j]["role"] != "agent":
            continue
        nth += 1
        if nth > 5:
            break
        if q.answer is not None and j > q.answer:
            break
        r = deanonymise(m[j]["text"])
        rows.append(feats(qt, r, j - q.index, nth))
        ys.append(int(q.answer == j))
        grp.append(q.session)
        qid.append(qi)
        rtext.append(r)
ys = np.array(ys)
qid = np.array(qid)
H = FeatureHasher(2**16, input_type="string")
X1 = H.transform(rows)
out = np.zeros(len(ys))
for tr, te in GroupKFold(5).split(X1, ys, grp):
    v = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    A = v.fit_transform([rtext[i] for i in tr])
    B = v.transform([rtext[i] for i in te])
    Xa = hstack([X1[tr], A]).tocsr()
    Xb = hstack([X1[te], B]).tocsr()
    c = LogisticRegression(C=1, max_iter=3000).fit(Xa, ys[tr])
    out[te] = c.predict_proba(Xb)[:, 1]
truth = np.array([q.answer is None for q in Q])
best = defaultdict(float)
for k, p in zip(qid, out, strict=False):
    best[k] = max(best[k], p)
score = np.array([best.get(k, 0.0) for k in range(len(Q))])
print("pairs", len(ys), "pos", ys.sum(), "questions", len(Q), "unanswered", truth.sum())
for t in (0.2, 0.3, 0.4, 0.5, 0.6):
    pred = score < t
    tp = (pred & truth).sum()
    P = tp / max(pred.sum(), 1)
    R = tp / truth.sum()
    F = 2 * P * R / (P + R) if P + R else 0
    print(t, "flag", pred.sum(), "P", round(P, 3), "R", round(R, 3), "F1", round(F, 3))
