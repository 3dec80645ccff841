"""UCR/UEA time-series classification from the datasets aeon ships inside its package.

Only files under ``aeon/datasets/data`` are read (never aeon's downloading loaders), so a run
works offline. The archive's own train/test split is kept; validation is carved from train,
stratified, with a fixed seed (the same for every trial seed, so seeds vary only the model).
"""

from __future__ import annotations

import importlib.util
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from grubench.errors import UnavailableTask, UserError
from grubench.tasks.base import (
    FOLD,
    SUBSET,
    Param,
    Split,
    TaskData,
    TaskDef,
    require,
    subset_seed,
    val_seed,
)

SPLITS = ("TRAIN", "TEST")  # the archive's own files of a set
SPLIT_SEED = 20140101  # fixed: validation carving and train subsampling ignore the trial seed
CITATION = "Dau et al. 2019 (UCR archive); Bagnall et al. 2018 (UEA archive); aeon toolkit"


def data_dir() -> Path | None:
    """aeon's bundled data folder, found without importing aeon (which is slow to import)."""
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def _header(path: Path) -> dict[str, str]:
    """The ``@key value`` lines of a .ts file, lower-cased keys, up to ``@data``."""
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.lower().startswith("@data"):
                break
            if line.startswith("@"):
                key, _, value = line[1:].partition(" ")
                out[key.lower()] = value.strip()
    return out


@cache
def available() -> tuple[str, ...]:
    """Classification datasets shipped with aeon: NAME/NAME_TRAIN.ts and _TEST.ts present."""
    root = data_dir()
    if root is None or not root.is_dir():
        return ()
    names = []
    for d in sorted(root.iterdir()):
        train, test = d / f"{d.name}_TRAIN.ts", d / f"{d.name}_TEST.ts"
        if train.is_file() and test.is_file():
            if _header(train).get("classlabel", "").lower().startswith("true"):
                names.append(d.name)
    return tuple(names)


def _load(name: str, split: str) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Series as ``[T_i, C]`` arrays, their labels, and the archive's class list."""
    path = data_dir() / name / f"{name}_{split}.ts"
    return load_ts(path, f"UCR/UEA dataset '{name}' ({split})")[:3]


def load_ts(path: Path, what: str) -> tuple[list[np.ndarray], list[str], list[str], np.ndarray]:
    """A .ts file through aeon's own loader: series as ``[T_i, C]`` float32 arrays, labels as
    text, the header's class list (empty for regression) and the raw targets."""
    from aeon.datasets import load_from_ts_file

    try:
        X, y, meta = load_from_ts_file(str(path), return_meta_data=True)
    except Exception as e:  # aeon raises assorted types for malformed files
        raise UserError(f"aeon cannot load {what}: {e}") from None
    series = [np.asarray(x, dtype=np.float32).T for x in X]
    classes = [str(c) for c in meta.get("class_values") or []]
    return series, [str(v) for v in y], classes, np.asarray(y)


def _pad(series: list[np.ndarray]) -> tuple[Tensor, Tensor | None]:
    """Zero-padded ``[N, T_max, C]`` and true lengths (None when all lengths are equal)."""
    lengths = [len(s) for s in series]
    x = np.zeros((len(series), max(lengths), series[0].shape[1]), dtype=np.float32)
    for i, s in enumerate(series):
        x[i, : len(s)] = s
    same = len(set(lengths)) == 1
    return torch.from_numpy(x), None if same else torch.tensor(lengths)


def patched(x: Tensor, lengths: Tensor | None, patch: int) -> tuple[Tensor, Tensor | None]:
    """``[N, T, C]`` as ``[N, ceil(T / patch), patch·C]``: each run of ``patch`` consecutive
    steps becomes one input vector (zeros fill the last run), and true lengths are counted in
    runs. A cell then takes ``patch`` times fewer steps over the same series (the segment-wise
    iterations of SegRNN, Lin et al. 2023, arXiv 2308.11200, whose segments pass a learned
    projection first; here the cell's input weights are that projection); the features of a run
    keep their time order, step by step, channels within a step."""
    if patch == 1:
        return x, lengths
    n, t, c = x.shape
    pad = -t % patch
    if pad:
        x = torch.cat([x, x.new_zeros(n, pad, c)], dim=1)
    x = x.reshape(n, (t + pad) // patch, patch * c)
    return x, None if lengths is None else (lengths + patch - 1) // patch


def auto_patch(length: int, cell_steps: int) -> int:
    """The smallest patch that feeds a series of ``length`` steps in at most ``cell_steps``."""
    return max(1, math.ceil(length / cell_steps))


def longest(name: str) -> int:
    """The longest series of UCR/UEA set ``name``, train and test: from the files' headers where
    both declare one equal length (an ad-hoc run plans without importing aeon, 2.8 s), else
    from the series aeon loads."""
    headers = [_header(data_dir() / name / f"{name}_{split}.ts") for split in SPLITS]
    declared = {h.get("serieslength") if h.get("equallength") == "true" else None for h in headers}
    length = declared.pop() if len(declared) == 1 else None
    if length is not None and length.isdigit():
        return int(length)
    return max(len(s) for split in SPLITS for s in _load(name, split)[0])


def carve(
    labels: np.ndarray,
    val_fraction: float,
    train_fraction: float,
    subset_seed: int | None = None,
    val_seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, val) indices into the archive's train split, fixed seed.

    Each class keeps at least one training example; a smaller ``train_fraction`` keeps a subset
    of what a larger one keeps (one fixed permutation per class), so a size sweep is nested.
    With ``subset_seed`` the training subset is drawn afresh from that seed (validation stays
    fixed), so a result is not one lucky or unlucky subset. With ``val_seed`` the validation
    split is drawn from that seed too, so every seed is judged on other series."""
    rng = np.random.default_rng(SPLIT_SEED if val_seed is None else [SPLIT_SEED, val_seed, 1])
    draw = None if subset_seed is None else np.random.default_rng([SPLIT_SEED, subset_seed])
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = min(round(val_fraction * len(idx)), len(idx) - 1)
        rest = idx[n_val:] if draw is None else draw.permutation(idx[n_val:])
        val.extend(idx[:n_val])
        train.extend(rest[: max(1, math.ceil(train_fraction * len(rest)))])
    return np.sort(np.array(train, dtype=np.int64)), np.sort(np.array(val, dtype=np.int64))


def build(name: str, p: dict[str, Any], seed: int = 0) -> TaskData:
    """Load, carve validation, subsample train, normalise on train only, pad."""
    tr_series, tr_labels, classes = _load(name, "TRAIN")
    te_series, te_labels, _ = _load(name, "TEST")
    source = f"aeon {_aeon_version()} bundled data: {name}"
    return classify(
        tr_series, tr_labels, classes, te_series, te_labels, p, seed, {"source": source}
    )


def classify(
    tr_series: list[np.ndarray],
    tr_labels: list[str],
    classes: list[str],
    te_series: list[np.ndarray],
    te_labels: list[str],
    p: dict[str, Any],
    seed: int,
    info: dict[str, Any],
) -> TaskData:
    """Classification data from series and text labels, as every UCR/UEA set (and a user's own
    file, grubench.tasks.files) is built: classes in ``classes`` order, then any the list lacks;
    validation carved from train, stratified, fixed seed; normalised on training steps only;
    padded after normalising."""
    index = {c: i for i, c in enumerate(classes)}
    for lab in set(tr_labels) | set(te_labels):
        index.setdefault(lab, len(index))  # a label the header forgot still gets a class
    y_all = np.array([index[v] for v in tr_labels])
    drawn = val_seed(p, seed)
    tr_idx, va_idx = carve(
        y_all, p["val_fraction"], p["train_fraction"], subset_seed(p, seed, folds=True), drawn
    )
    train = [tr_series[i] for i in tr_idx]
    steps = np.concatenate(train)  # every real time step of the training series
    mean, std = steps.mean(0), steps.std(0)
    std[std < 1e-8] = 1.0  # a constant channel stays constant rather than dividing by zero

    patch = p.get("patch", 1)

    def split(series: list[np.ndarray], labels: np.ndarray) -> Split:
        x, lengths = _pad([(s - mean) / std for s in series])  # padded after normalising
        x, lengths = patched(x, lengths, patch)
        return Split(x, torch.as_tensor(labels, dtype=torch.long), lengths)

    y_te = np.array([index[v] for v in te_labels])
    train_s = split(train, y_all[tr_idx])
    val_s = split([tr_series[i] for i in va_idx], y_all[va_idx])
    test_s = split(te_series, y_te)
    majority = int(np.bincount(y_all[tr_idx], minlength=len(index)).argmax())
    lengths = [len(s) for s in tr_series + te_series]
    return TaskData(
        train_s,
        val_s,
        test_s,
        tr_series[0].shape[1] * patch,
        len(index),
        False,
        float(np.mean(y_te == majority)),
        "majority class of the training split",
        {
            **info,
            "classes": len(index),
            "channels": int(tr_series[0].shape[1]),
            "length_min": min(lengths),
            "length_max": max(lengths),
            "patch": patch,
            "cell_steps": math.ceil(max(lengths) / patch),  # recurrent steps, the longest series
            "n_train": len(tr_idx),
            "n_val": len(va_idx),
            "n_test": len(te_series),
            # Every seed judged on the same validation series, or each on its own draw.
            "val_shared": drawn is None,
        },
    )


def _aeon_version() -> str:
    from importlib.metadata import version

    return version("aeon")


def cross_entropy(out: Tensor, y: Tensor, lengths: Tensor | None) -> Tensor:
    return F.cross_entropy(out, y)


def evaluate(out: Tensor, split: Split) -> dict[str, float]:
    return {
        "accuracy": float((out.argmax(-1) == split.y).float().mean()),
        "ce": float(cross_entropy(out, split.y, None)),
    }


PARAMS = {
    "train_fraction": Param(1.0, "fraction of the training split kept (stratified)", (0.0, 1.0)),
    "val_fraction": Param(0.2, "fraction of the training split held out", (0.0, 0.5)),
    "patch": Param(
        1,
        "consecutive time steps fed to the cell as one input (patch × channels features): a "
        "long series in fewer recurrent steps; an ad-hoc run sets it so the longest series "
        "takes at most 32",
    ),
    "subset": Param(
        "fixed",
        "training subset: 'fixed' (nested, all seeds), 'seed' (per seed) or 'fold' (training "
        "and validation split drawn per seed, for sets too small for one validation split)",
        choices=(*SUBSET, FOLD),
    ),
}


def ucr(name: str) -> TaskDef:
    """UCR/UEA classification from aeon's bundled files, e.g. ucr:GunPoint; accuracy."""
    require("aeon", f"ucr:{name}")
    found = available()
    if name not in found:
        where = "aeon is not installed" if data_dir() is None else f"found: {', '.join(found)}"
        raise UnavailableTask(
            f"UCR/UEA dataset '{name}' is not available offline in aeon's bundled data ({where})"
        )
    return TaskDef(
        name=f"ucr:{name}",
        family="ucr",
        summary=f"classify {name} series from aeon's bundled copy; accuracy",
        citation=CITATION,
        metric="accuracy",
        direction="max",
        params=PARAMS,
        build=lambda p, seed: build(name, p, seed),
        loss=cross_entropy,
        evaluate=evaluate,
        learned_margin=0.05,  # accuracy points above the majority class
        min_delta=1e-3,  # validation accuracy: any series more counts
        preload=("aeon.datasets",),
    )
