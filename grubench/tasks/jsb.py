"""JSB Chorales as Boulanger-Lewandowski, Bengio & Vincent 2012 split them: 229/76/77 four-part
chorales, quarter-note frames, MIDI 21–108. The data set behind the JSB rows of Chung et al. 2014
and Bai, Kolter & Koltun 2018; ``chorales`` (music21's corpus, a hash split) is not it.

Nothing is downloaded at run time. ``grubench data fetch jsb`` downloads the public copy below
into the cache and checks its pinned SHA-256, the way torchvision fetches its data sets;
``--from FILE`` imports a local copy (how the tests and CI use ``../shared/data``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from grubench.errors import UnavailableTask, UserError
from grubench.tasks.base import SUBSET, Param, TaskData, TaskDef
from grubench.tasks.music import KEYS, LOW, _evaluate, cache_dir, from_rolls, nll

FILE = "jsb-chorales-quarter.json"
SHA256 = "2db9329f1881a1d3f49703ec556bf1d6f84b4f6c1d702c156536e93cf31e1c91"
SIZE = 407_200
# czhuang/JSB-Chorales-dataset at a fixed commit: a conversion of the pickle published with the
# ICML 2012 paper.
URL = (
    "https://raw.githubusercontent.com/czhuang/JSB-Chorales-dataset/"
    f"9a7f733ddb4ed91f48da64ac7f0f621c34aadd4d/{FILE}"
)
SPLITS = {"train": 229, "valid": 76, "test": 77}


def data_path() -> Path:
    return cache_dir() / "data" / FILE


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(source: str | None = None) -> Path:
    """Put the data in the cache from ``source`` (a file, or a URL; default the public copy),
    refusing anything whose SHA-256 is not the pinned one. Returns where it went."""
    where = source or URL
    try:
        if "://" in where:
            with urllib.request.urlopen(where, timeout=60) as r:  # noqa: S310 (file/https)
                data = r.read()
        else:
            data = Path(where).expanduser().read_bytes()
    except (OSError, urllib.error.URLError, ValueError) as e:
        reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or e
        raise UserError(f"cannot read JSB Chorales from '{where}': {reason}") from None
    got = _digest(data)
    if got != SHA256:
        raise UserError(
            f"'{where}' is not the pinned JSB Chorales file: SHA-256 {got[:16]}…, "
            f"expected {SHA256[:16]}… ({len(data)} bytes, expected {SIZE})"
        )
    path = data_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json")  # atomic: never half a file
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _missing() -> str:
    return (
        f"JSB Chorales are not in the cache ({data_path()}): run `grubench data fetch jsb` "
        f"(downloads {URL}) or `grubench data fetch jsb --from FILE` with a local copy"
    )


def load() -> dict[str, list[np.ndarray]]:
    """The three splits as lists of ``[frames, 88]`` binary rolls, from the checked cache."""
    path = data_path()
    if not path.is_file():
        raise UnavailableTask(_missing())
    data = path.read_bytes()
    if _digest(data) != SHA256:
        raise UserError(f"{path} is damaged (SHA-256 differs from the pinned one): fetch it again")
    raw = json.loads(data)
    return {k: [_roll(piece) for piece in raw[k]] for k in SPLITS}


def _roll(piece: list[list[float]]) -> np.ndarray:
    roll = np.zeros((len(piece), KEYS), dtype=np.uint8)
    for t, frame in enumerate(piece):
        for note in frame:
            if LOW <= int(note) < LOW + KEYS:
                roll[t, int(note) - LOW] = 1
    return roll


def _build(p: dict[str, Any], seed: int) -> TaskData:
    parts = {k: [r for r in v if len(r) >= 2] for k, v in load().items()}
    info = {"source": f"Boulanger-Lewandowski et al. 2012 via {URL}", "sha256": SHA256}
    return from_rolls(parts["train"], parts["valid"], parts["test"], p, seed, info)


JSB = TaskDef(
    name="jsb",
    family="music",
    summary="next 88-key frame of JSB Chorales, the published 229/76/77 split; NLL/frame",
    citation=(
        "Boulanger-Lewandowski, Bengio & Vincent 2012 (the data and split); Chung et al. 2014 "
        "and Bai, Kolter & Koltun 2018 report GRU and LSTM on it. Differs from `chorales` "
        "(music21's 407 files, all parts merged, a hash split)"
    ),
    metric="nll",
    direction="min",
    params={
        "train_fraction": Param(1.0, "fraction of training chorales kept", (0.0, 1.0)),
        "subset": Param(
            "fixed", "training subset: 'fixed' (nested, all seeds) or 'seed'", choices=SUBSET
        ),
    },
    build=_build,
    loss=nll,
    evaluate=_evaluate,
    learned_margin=0.5,  # nats per frame below the independent-key baseline
    min_delta=0.01,  # nats per frame
    plateau_fraction=0.05,
)
