"""Euclidean 1-nearest-neighbour against the majority class on every classification set aeon
ships, on the archive's own train/test split: the bar an ad-hoc GRU/LSTM run is set against.

Run from the repository root: ``.venv/bin/python docs/findings/2026-12-03-ucr-adhoc/one_nn.py``.
Series of different lengths are resampled (linear interpolation) to the set's longest, each
channel apart, then flattened.
"""

import numpy as np

from grubench.tasks.ucr import _load, available


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
    acc = (np.array(ytr)[dist.argmin(1)] == np.array(yte)).mean()
    labels, counts = np.unique(ytr, return_counts=True)
    trivial = (np.array(yte) == labels[counts.argmax()]).mean()
    learns = "learns" if acc > trivial * 1.1 else "does not learn"
    print(f"{name:24s} 1-NN {acc:.3f}  majority {trivial:.3f}  {learns}")
