"""Euclidean 1-nearest-neighbour against the majority class on every classification set aeon
ships, on the archive's own train/test split: the bar an ad-hoc GRU/LSTM run is set against.

Run from the repository root: ``.venv/bin/python docs/findings/2026-12-03-ucr-adhoc/one_nn.py``.
Series of different lengths are resampled (linear interpolation) to the set's longest, each
channel apart, then flattened.

Whether 1-NN *learns* a set is judged two ways: the point estimate beating the majority class
by 10% of it (what the 2026-12-03 page used), and grubench's one learned rule with the same
margin (0.05) applied to 1-NN as to a trained arch: the worse end of its accuracy's interval,
the test split's sampling error counted (Agresti–Coull on the split's size), must clear the
majority class by the margin. The exact binomial p of "1-NN beats majority + margin" is printed
beside it.
"""

import numpy as np
import scipy.stats as st

from grubench.analysis.learned import learned
from grubench.tasks.ucr import _load, available

MARGIN = 0.05  # the UCR tasks' learned_margin


def features(series: list[np.ndarray], length: int) -> np.ndarray:
    out = []
    for x in series:
        x = np.asarray(x, dtype=np.float64)  # [T, C]
        t, tt = np.linspace(0, 1, len(x)), np.linspace(0, 1, length)
        out.append(np.concatenate([np.interp(tt, t, x[:, c]) for c in range(x.shape[1])]))
    return np.stack(out)


for name in available():
    xtr, ytr, _ = _load(name, "TRAIN")
    xte, yte, _ = _load(name, "TEST")
    length = max(len(x) for x in xtr + xte)
    train, test = features(xtr, length), features(xte, length)
    dist = ((test[:, None, :] - train[None, :, :]) ** 2).sum(-1)
    right = np.array(ytr)[dist.argmin(1)] == np.array(yte)
    acc, n = right.mean(), len(yte)
    labels, counts = np.unique(ytr, return_counts=True)
    trivial = (np.array(yte) == labels[counts.argmax()]).mean()
    learns = "learns" if acc > trivial * 1.1 else "does not learn"
    rule = "learns" if learned([acc], trivial, "max", None, MARGIN, items=n) else "not shown"
    p = st.binomtest(int(right.sum()), n, trivial + MARGIN, alternative="greater").pvalue
    print(
        f"{name:24s} 1-NN {acc:.3f} ({right.sum()}/{n})  majority {trivial:.3f}  {learns}  "
        f"by the rule: {rule} (binomial p = {p:.2g})"
    )
