"""Your own data: ``file:PATH`` answers "GRU or LSTM?" for sequences in a file.

Formats (docs/your-data.md has a worked example of each):
- ``.npz``: ``X`` (N, T, F) or (N, T) numbers; ``y`` (N,) integer or text labels
  (classification), (N,) or (N, K) floats (regression) or (N, T, K) (a target per step);
  optional ``lengths`` (N,) for series of different lengths, ``X_test``/``y_test`` (and
  ``lengths_test``) or a ``split`` array ("train"/"test", or 0/1) for a given test split.
- ``.ts``: the aeon/sktime format, classification or regression, through aeon's own loader.
- ``.tsv``/``.csv``: the UCR archive's layout, one series a row, label first (NaN pads a
  shorter series).

A ``.ts``/``.tsv``/``.csv`` file named ``*_TRAIN.*`` with a ``*_TEST.*`` beside it has its test
split given, as the archives ship them; a UCR/UEA ``.ts`` pair so loaded gives exactly what
``ucr:NAME`` gives. Otherwise the test split is carved from the file (stratified for
classification), with a fixed seed, as validation is carved from training.

The kind is inferred (integer or text labels: classification; float targets: regression; a
target per step: forecasting) and can be set: ``file:PATH?kind=regression``, or ``kind = …``
in a suite entry (``name = "file"``, ``path = …`` relative to the suite file). Metric, loss and
trivial baseline follow from it: accuracy against the majority class, MSE (targets standardised
on training) against the training mean, or MSE against persistence (each step predicted as the
previous step's target). Normalisation is fitted on the training split's real steps only.

Every problem with the file is refused when the run is planned, one line each, before a results
folder exists. A run records the file's SHA-256; resuming after the file changed is refused.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grubench.errors import UserError
from grubench.tasks import ucr
from grubench.tasks.base import (
    Param,
    Split,
    TaskData,
    TaskDef,
    mse_evaluate,
    mse_loss,
    require,
    subset_seed,
    val_seed,
)

FORMATS = (".npz", ".ts", ".tsv", ".csv")
KINDS = ("classification", "regression", "forecast")
NPZ_KEYS = ("X", "y", "lengths", "X_test", "y_test", "lengths_test", "split")
SPLIT_SEED = ucr.SPLIT_SEED


@dataclass(frozen=True)
class Part:
    """Series (``[T_i, F]`` float32 each) and their targets: labels (text) for classification,
    ``[K]`` floats for regression, ``[T_i, K]`` floats for forecasting."""

    series: list[np.ndarray]
    targets: list[Any]

    def __len__(self) -> int:
        return len(self.series)


@dataclass(frozen=True)
class Loaded:
    """A user's file as read and checked: its parts, the kind inferred, and provenance."""

    path: Path
    sha256: str
    kind: str
    train: Part
    test: Part | None  # None: carve it from ``train``
    classes: tuple[str, ...]  # classification: the label order (a .ts header's, else sorted)
    # The test split came from an archive's own file: a .ts pair builds exactly as ucr:NAME.
    archive_pair: bool = False


def _fail(path: Path, problem: str) -> UserError:
    return UserError(f"file '{path}': {problem}")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def parse_name(member: str) -> tuple[Path, str | None]:
    """``PATH`` or ``PATH?kind=KIND`` as (absolute path, kind or None)."""
    text, _, query = member.partition("?")
    kind = None
    if query:
        key, _, value = query.partition("=")
        if key != "kind" or value not in KINDS:
            raise UserError(
                f"task 'file:{member}': after '?' only kind=KIND is understood "
                f"(kinds: {', '.join(KINDS)})"
            )
        kind = value
    if not text:
        raise UserError("task 'file:' needs a path, e.g. file:data/gestures.npz")
    return Path(text).expanduser().resolve(), kind


def task_name(path: str | Path, kind: str | None = None, base: Path | None = None) -> str:
    """The task name of a file, its path made absolute (against ``base``, the suite file's
    folder, when relative) so that a resume from another folder finds the same file."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        p = (base or Path.cwd()) / p
    return f"file:{p.resolve()}" + (f"?kind={kind}" if kind else "")


def absolute(name: str) -> str:
    """A ``file:PATH[?kind=KIND]`` task name given on the command line, its path made absolute
    against the current folder."""
    path, sep, query = name.removeprefix("file:").partition("?")
    return task_name(path) + sep + query


# --- reading --------------------------------------------------------------------------------


def read(path: Path, kind: str | None = None) -> Loaded:
    """Read and check ``path`` (cached while the file is unchanged)."""
    if not path.exists():
        raise _fail(path, "does not exist")
    if path.is_dir():
        raise _fail(path, "is a directory, not a data file")
    st = path.stat()
    return _read(path, kind, st.st_mtime_ns, st.st_size)


@cache
def _read(path: Path, kind: str | None, mtime_ns: int, size: int) -> Loaded:
    if size == 0:
        raise _fail(path, "is empty")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise _fail(
            path, f"unsupported format '{suffix or path.name}' (formats: {', '.join(FORMATS)})"
        )
    digest = sha256(path)
    if suffix == ".npz":
        train, test, classes, pair = _read_npz(path, kind)
    elif suffix == ".ts":
        train, test, classes, pair = _read_ts(path, kind)
    else:
        train, test, classes, pair = _read_table(path, kind)
    found = kind or _infer(train)
    loaded = Loaded(path, digest, found, train, test, classes, pair)
    _check(loaded)
    return loaded


def _read_npz(path: Path, kind: str | None) -> tuple[Part, Part | None, tuple[str, ...], bool]:
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as e:  # not a zip, truncated: numpy raises assorted types
        raise _fail(path, f"is not a readable .npz ({type(e).__name__}: {e})") from None
    with archive:
        unknown = sorted(set(archive.files) - set(NPZ_KEYS))
        if unknown:
            raise _fail(path, f"unknown array '{unknown[0]}' (known: {', '.join(NPZ_KEYS)})")
        for key in ("X", "y"):
            if key not in archive.files:
                raise _fail(
                    path,
                    f"has no array '{key}' (an .npz needs X and y; optional: "
                    "lengths, X_test, y_test, lengths_test, split)",
                )
        arrays = {k: _array(path, archive, k) for k in archive.files}
    if ("X_test" in arrays) != ("y_test" in arrays):
        given = "X_test" if "X_test" in arrays else "y_test"
        raise _fail(path, f"has {given} without {'y_test' if given == 'X_test' else 'X_test'}")
    if "split" in arrays and "X_test" in arrays:
        raise _fail(path, "has both a split array and X_test/y_test: give one test split")
    train = _part(path, arrays["X"], arrays["y"], arrays.get("lengths"), "")
    test = None
    if "X_test" in arrays:
        test = _part(path, arrays["X_test"], arrays["y_test"], arrays.get("lengths_test"), "_test")
    elif "split" in arrays:
        train, test = _by_split(path, train, arrays["split"])
    return train, test, (), False


def _array(path: Path, archive: Any, key: str) -> np.ndarray:
    try:
        a = archive[key]
    except ValueError as e:  # numpy refuses pickled (object) arrays without allow_pickle
        if "allow_pickle" in str(e):
            raise _fail(
                path,
                f"array '{key}' holds Python objects; save numbers (float32, int64) or "
                "fixed-width text labels",
            ) from None
        raise _fail(path, f"array '{key}' cannot be read: {e}") from None
    if a.dtype == object:
        raise _fail(path, f"array '{key}' holds Python objects; save numbers or text labels")
    return a


def _part(path: Path, X: np.ndarray, y: np.ndarray, lengths: np.ndarray | None, sfx: str) -> Part:
    if X.size == 0:
        raise _fail(path, f"X{sfx} is empty")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise _fail(path, f"X{sfx} must hold real numbers, got dtype {X.dtype}")
    if X.ndim == 2:
        X = X[:, :, None]
    if X.ndim != 3:
        raise _fail(path, f"X{sfx} must be (N, T, F) or (N, T), got shape {X.shape}")
    n, t = X.shape[:2]
    if len(y) != n:
        raise _fail(path, f"y{sfx} has {len(y)} rows but X{sfx} has {n}")
    if lengths is None:
        lens = np.full(n, t)
    else:
        if lengths.shape != (n,) or not np.issubdtype(lengths.dtype, np.integer):
            raise _fail(
                path, f"lengths{sfx} must be {n} integers, got {lengths.dtype} {lengths.shape}"
            )
        bad = np.flatnonzero((lengths < 1) | (lengths > t))
        if len(bad):
            raise _fail(path, f"lengths{sfx}[{bad[0]}] = {lengths[bad[0]]} is outside 1..{t}")
        lens = lengths
    series = [np.asarray(X[i, : lens[i]], dtype=np.float32) for i in range(n)]
    if y.ndim == 3:
        if y.shape[:2] != (n, t):
            raise _fail(path, f"y{sfx} per step must be (N, T, K) = ({n}, {t}, K), got {y.shape}")
        targets: list[Any] = [np.asarray(y[i, : lens[i]], dtype=np.float32) for i in range(n)]
    elif y.ndim in (1, 2):
        targets = list(y)
    else:
        raise _fail(path, f"y{sfx} must be (N,), (N, K) or (N, T, K), got shape {y.shape}")
    return Part(series, targets)


def _by_split(path: Path, part: Part, split: np.ndarray) -> tuple[Part, Part]:
    if split.shape != (len(part),):
        raise _fail(path, f"split must have one entry per series ({len(part)}), got {split.shape}")
    words = np.asarray(split).astype(str)
    allowed = {"train", "test", "0", "1"}
    bad = np.flatnonzero(~np.isin(words, list(allowed)))
    if len(bad):
        raise _fail(path, f"split[{bad[0]}] is {words[bad[0]]!r}; use 'train'/'test' (or 0/1)")
    is_test = np.isin(words, ["test", "1"])
    if is_test.all() or not is_test.any():
        raise _fail(path, "split must put some series in train and some in test")

    def pick(mask: np.ndarray) -> Part:
        idx = np.flatnonzero(mask)
        return Part([part.series[i] for i in idx], [part.targets[i] for i in idx])

    return pick(~is_test), pick(is_test)


def _pair(path: Path) -> Path | None:
    """The archive's test file beside a ``*_TRAIN.*`` file."""
    stem = path.stem
    if not stem.upper().endswith("_TRAIN"):
        return None
    other = path.with_name(
        stem[: -len("TRAIN")] + ("TEST" if stem.endswith("TRAIN") else "test") + path.suffix
    )
    return other if other.is_file() else None


def _read_ts(path: Path, kind: str | None) -> tuple[Part, Part | None, tuple[str, ...], bool]:
    require("aeon", f"file '{path}' (.ts)")
    series, labels, classes, raw = ucr.load_ts(path, f"file '{path}'")
    regression = not ucr._header(path).get("classlabel", "").lower().startswith("true")
    train = Part(series, _ts_targets(labels, raw, regression))
    test, pair = None, _pair(path)
    if pair is not None:
        te_series, te_labels, _, te_raw = ucr.load_ts(pair, f"file '{pair}'")
        test = Part(te_series, _ts_targets(te_labels, te_raw, regression))
    return train, test, tuple(classes), pair is not None


def _ts_targets(labels: list[str], raw: np.ndarray, regression: bool) -> list[Any]:
    if regression:
        return [np.atleast_1d(np.asarray(v, dtype=np.float32)) for v in raw]
    return labels


def _read_table(path: Path, kind: str | None) -> tuple[Part, Part | None, tuple[str, ...], bool]:
    train = _table(path)
    pair = _pair(path)
    return train, None if pair is None else _table(pair), (), pair is not None


def _table(path: Path) -> Part:
    import pandas as pd

    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        df = pd.read_csv(path, sep=sep, header=None)
    except Exception as e:  # empty, ragged, undecodable: pandas raises assorted types
        raise _fail(path, f"cannot be read as the UCR layout (label, then values): {e}") from None
    if df.shape[1] < 2:
        raise _fail(path, "needs a label and at least one value per row (UCR layout)")
    try:
        values = df.iloc[:, 1:].to_numpy(dtype=np.float32)
    except ValueError:
        row = next(
            i for i, r in enumerate(df.iloc[:, 1:].itertuples(index=False)) if not _numeric(r)
        )
        raise _fail(path, f"row {row + 1} holds a value that is not a number") from None
    labels = df.iloc[:, 0]
    series = []
    for i, row in enumerate(values):
        # UCR pads a shorter series with NaN at its end; a NaN inside it is a hole.
        real = np.flatnonzero(~np.isnan(row))
        if len(real) == 0:
            raise _fail(path, f"row {i + 1} has no values")
        end = real[-1] + 1
        series.append(row[:end, None])
    text = [_label(v) for v in labels]
    return Part(series, text)


def _numeric(row: Any) -> bool:
    try:
        np.asarray(row, dtype=np.float32)
    except ValueError:
        return False
    return True


def _label(v: Any) -> str:
    """A table's label as text: 1.0 and 1 are the same class."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _infer(part: Part) -> str:
    first = part.targets[0]
    if isinstance(first, np.ndarray) and first.ndim == 2:
        return "forecast"
    kinds = {np.asarray(t).dtype.kind for t in part.targets}
    if kinds <= {"i", "u", "b", "U", "S"} or all(isinstance(t, str) for t in part.targets):
        return "classification"
    return "regression"


def _check(d: Loaded) -> None:
    path = d.path
    if d.kind == "forecast" and not (
        isinstance(d.train.targets[0], np.ndarray) and d.train.targets[0].ndim == 2
    ):
        raise _fail(path, "kind forecast needs y with a target per step, shape (N, T, K)")
    if d.kind == "regression" and isinstance(d.train.targets[0], np.ndarray):
        if d.train.targets[0].ndim == 2:
            raise _fail(path, "kind regression needs one target row per series; y has one per "
                        "step (that is kind forecast)")  # fmt: skip
    for name, part in (("train", d.train), ("test", d.test)):
        if part is None:
            continue
        _finite(path, part.series, "X" if name == "train" else "X_test")
        if d.kind in ("regression", "forecast"):
            try:
                ys = [np.asarray(t, dtype=np.float32) for t in part.targets]
            except (TypeError, ValueError):
                raise _fail(path, f"kind {d.kind} needs numeric targets; y holds text") from None
            _finite(path, ys, "y" if name == "train" else "y_test")
    if d.kind == "classification":
        labels = [str(t) if not isinstance(t, np.ndarray) else None for t in d.train.targets]
        if any(v is None for v in labels):
            raise _fail(
                path, "classification needs one label per series; y has several values a row"
            )
        counts: dict[str, int] = {}
        for v in labels:
            counts[v] = counts.get(v, 0) + 1
        if len(counts) < 2:
            raise _fail(path, f"y has a single class ({next(iter(counts))!r}): nothing to classify")
        if d.test is None:  # the test split is carved per class: each class needs a member
            need = per_class_need(PARAMS["test_fraction"].default)
            small = sorted((n, c) for c, n in counts.items() if n < need)
            if small:
                n, c = small[0]
                raise _fail(
                    path,
                    f"class {c!r} has {n} member{'s' if n != 1 else ''}; carving a test split "
                    f"needs at least {need} per class (or give X_test/y_test)",
                )


def per_class_need(fraction: float) -> int:
    """The fewest members a class needs for a stratified carve (ucr.carve) of ``fraction`` to
    give it one held-out member and keep one for training."""
    n = 2
    while round(fraction * n) < 1:
        n += 1
    return n


def _finite(path: Path, arrays: list[np.ndarray], key: str) -> None:
    bad = [(i, np.argwhere(~np.isfinite(a))) for i, a in enumerate(arrays)]
    bad = [(i, w) for i, w in bad if len(w)]
    if not bad:
        return
    total = sum(len(w) for _, w in bad)
    i, where = bad[0]
    first = (i, *(int(v) for v in where[0]))
    raise _fail(
        path,
        f"{key} holds {total} NaN or infinite value{'s' if total != 1 else ''} (first at {first})",
    )


# --- building -------------------------------------------------------------------------------


def _split_indices(d: Loaded, p: dict[str, Any], seed: int) -> tuple[Part, Part]:
    """(pool, test): the given test split, or one carved from the file with a fixed seed."""
    if d.test is not None:
        return d.train, d.test
    strata = _strata(d, d.train)
    pool, test = ucr.carve(strata, p["test_fraction"], 1.0)

    def pick(idx: np.ndarray) -> Part:
        return Part([d.train.series[i] for i in idx], [d.train.targets[i] for i in idx])

    return pick(pool), pick(test)


def _strata(d: Loaded, part: Part) -> np.ndarray:
    if d.kind != "classification":
        return np.zeros(len(part), dtype=np.int64)  # one stratum: a random split
    index = {c: i for i, c in enumerate(sorted(set(map(str, part.targets))))}
    return np.array([index[str(t)] for t in part.targets])


def build(d: Loaded, p: dict[str, Any], seed: int) -> TaskData:
    """The TaskData of a checked file: splits, normalisation on training steps, padding."""
    if p.get("sha256") and p["sha256"] != d.sha256:
        raise _fail(
            d.path,
            f"changed since the run started (SHA-256 now {d.sha256[:12]}…, "
            f"the run has {p['sha256'][:12]}…)",
        )
    info = {"source": f"user file {d.path}", "sha256": d.sha256, "kind": d.kind}
    pool, test = _split_indices(d, p, seed)
    if d.kind == "classification":
        classes = list(d.classes) or sorted(
            {str(t) for t in d.train.targets}
            | {str(t) for t in (d.test.targets if d.test else [])},
            key=_label_key,
        )
        return ucr.classify(
            pool.series,
            [str(t) for t in pool.targets],
            classes,
            test.series,
            [str(t) for t in test.targets],
            p,
            seed,
            info,
        )
    return _numeric_build(d, pool, test, p, seed, info)


def _label_key(label: str) -> tuple[int, float, str]:
    """Numeric labels in numeric order (2 before 10), then text ones."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, math.inf, label)


def _numeric_build(
    d: Loaded, pool: Part, test: Part, p: dict[str, Any], seed: int, info: dict[str, Any]
) -> TaskData:
    drawn = val_seed(p, seed)
    tr_idx, va_idx = ucr.carve(
        np.zeros(len(pool), dtype=np.int64),
        p["val_fraction"],
        p["train_fraction"],
        subset_seed(p, seed, folds=True),
        drawn,
    )
    train = Part([pool.series[i] for i in tr_idx], [pool.targets[i] for i in tr_idx])
    val = Part([pool.series[i] for i in va_idx], [pool.targets[i] for i in va_idx])
    steps = np.concatenate(train.series)
    mean, std = steps.mean(0), steps.std(0)
    std[std < 1e-8] = 1.0
    per_step = d.kind == "forecast"
    patch = p.get("patch", 1)  # a forecast has no such parameter (FORECAST_PARAMS)
    ys = [
        np.asarray(t, dtype=np.float32).reshape(len(t) if per_step else 1, -1)
        for t in train.targets
    ]
    flat = np.concatenate(ys)
    y_mean, y_std = flat.mean(0), flat.std(0)
    y_std[y_std < 1e-8] = 1.0

    def split(part: Part) -> Split:
        x, lengths = ucr.patched(*ucr._pad([(s - mean) / std for s in part.series]), patch)
        if per_step:
            y, _ = ucr._pad(
                [(np.asarray(t, dtype=np.float32) - y_mean) / y_std for t in part.targets]
            )
        else:
            y = torch.from_numpy(
                np.stack(
                    [
                        (np.asarray(t, dtype=np.float32).reshape(-1) - y_mean) / y_std
                        for t in part.targets
                    ]
                )
            )
        return Split(x, y, lengths)

    tr, va, te = split(train), split(val), split(test)
    baseline = _baseline(te, per_step)
    lengths = [len(s) for s in pool.series + test.series]
    return TaskData(
        tr,
        va,
        te,
        int(steps.shape[1]) * patch,
        int(flat.shape[1]),
        per_step,
        baseline,
        "persistence: each step's target as the previous one's"
        if per_step
        else "the training mean",
        {
            **info,
            "targets": int(flat.shape[1]),
            "channels": int(steps.shape[1]),
            "length_min": min(lengths),
            "length_max": max(lengths),
            "patch": patch,
            "cell_steps": math.ceil(max(lengths) / patch),
            "n_train": len(train),
            "n_val": len(val),
            "n_test": len(test),
            "val_shared": drawn is None,
            "target_scale": "standardised on the training split",
        },
        val_baseline=_baseline(va, per_step),
    )


def _baseline(split: Split, per_step: bool) -> float:
    """MSE of the trivial predictor on standardised targets: the training mean (0) for one
    target a series; persistence (the previous step's target, 0 at the first) per step."""
    if not per_step:
        return float(torch.mean(split.y**2))
    prev = torch.cat([torch.zeros_like(split.y[:, :1]), split.y[:, :-1]], dim=1)
    return float(
        mse_loss(
            prev,
            split.y,
            split.lengths
            if split.lengths is not None
            else torch.full((len(split),), split.y.shape[1]),
        )
    )


PARAMS = {
    **ucr.PARAMS,
    "test_fraction": Param(
        0.25, "fraction held out for test when the file gives no test split", (0.0, 0.5)
    ),
    "sha256": Param("", "the file's SHA-256, pinned when a run starts; a changed file is refused"),
}


# A forecast reads out every step, so its steps cannot be fed in patches: the parameter is not
# there to set, and a suite that sets it is refused while the run is planned.
FORECAST_PARAMS = {k: v for k, v in PARAMS.items() if k != "patch"}


def longest(member: str) -> int | None:
    """The longest series of file task ``member``, or None for a forecast (which reads out
    every step, so it is never patched)."""
    d = read(*parse_name(member))
    if d.kind == "forecast":
        return None
    parts = (d.train, d.test) if d.test else (d.train,)
    return max(len(s) for part in parts for s in part.series)


def file_task(member: str) -> TaskDef:
    """Your own sequences from a file (.npz, .ts, .tsv, .csv): file:PATH, or file:PATH?kind=KIND
    with KIND classification, regression or forecast."""
    path, kind = parse_name(member)
    d = read(path, kind)
    if d.kind == "classification":  # as a UCR/UEA set is scored
        scoring = dict(
            summary=f"classify the series of {path.name}; accuracy",
            metric="accuracy",
            direction="max",
            loss=ucr.cross_entropy,
            evaluate=ucr.evaluate,
            learned_margin=0.05,  # accuracy points above the majority class, as for UCR/UEA
            min_delta=1e-3,
        )
    else:
        what = "forecast every step of" if d.kind == "forecast" else "regress the targets of"
        scoring = dict(
            summary=f"{what} {path.name}; MSE on standardised targets",
            metric="mse",
            direction="min",
            loss=mse_loss,
            evaluate=mse_evaluate,
            min_delta=1e-4,
        )
    return TaskDef(
        name=f"file:{member}",
        family="file",
        citation=f"user data, SHA-256 {d.sha256}",
        params=FORECAST_PARAMS if d.kind == "forecast" else PARAMS,
        build=lambda p, seed: build(read(path, kind), p, seed),
        preload=("aeon.datasets",) if path.suffix.lower() == ".ts" else (),
        **scoring,
    )
