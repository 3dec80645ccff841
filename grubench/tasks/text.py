"""Character-level language modelling on text that ships with Python itself; bits per character.

``charlm:pydoc`` reads CPython's ``pydoc_data.topics``: the language reference and library
topics that ``help()`` shows (about 465k characters of English technical prose in 3.11). It is
in every CPython installation, so nothing is downloaded; its SHA-256 is recorded with each
result because it changes between Python releases.
"""

from __future__ import annotations

import hashlib
import math
import platform
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from grubench.errors import UnavailableTask, UserError
from grubench.tasks.base import Param, Split, TaskData, TaskDef


def _pydoc_topics() -> str:
    from pydoc_data.topics import topics

    return "".join(topics[k] for k in sorted(topics))  # sorted: the dict's order is not a spec


CORPORA: dict[str, tuple[Callable[[], str], str]] = {
    "pydoc": (_pydoc_topics, f"CPython {platform.python_version()} pydoc_data.topics"),
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stream(codes: Tensor, vocab: int) -> Split:
    """One contiguous stream: one-hot inputs ``[1, N-1, V]`` and next-character targets."""
    return Split(F.one_hot(codes[:-1], vocab).float().unsqueeze(0), codes[1:].unsqueeze(0))


def build(name: str, p: dict[str, Any]) -> TaskData:
    """The first ``chars`` characters, split 90/5/5 in order (train, validation, test)."""
    load, source = CORPORA[name]
    full = load()
    text = full[: p["chars"]]
    alphabet = sorted(set(text))
    index = {c: i for i, c in enumerate(alphabet)}
    codes = torch.tensor([index[c] for c in text], dtype=torch.long)
    n = len(codes)
    a, b = int(0.9 * n), int(0.95 * n)
    if min(a, b - a, n - b) <= p["bptt"]:
        raise UserError(f"charlm:{name}: {n} characters are too few for bptt={p['bptt']}")
    V = len(alphabet)
    train, val, test = stream(codes[:a], V), stream(codes[a:b], V), stream(codes[b:], V)
    # Unigram baseline: training character frequencies (add-one smoothed), scored on test.
    counts = torch.bincount(train.y[0], minlength=V).float() + 1.0
    logp = torch.log(counts / counts.sum())
    baseline = float(-logp[test.y[0]].mean()) / math.log(2)
    return TaskData(
        train,
        val,
        test,
        V,
        V,
        True,
        baseline,
        "unigram character frequencies of the training text",
        {
            "source": source,
            "corpus_sha256": sha256(full),
            "corpus_chars": len(full),
            "used_sha256": sha256(text),
            "used_chars": n,
            "alphabet": V,
            "split_chars": [a, b - a, n - b],
        },
        bptt=p["bptt"],
    )


def _loss(out: Tensor, y: Tensor, lengths: Tensor | None) -> Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def _evaluate(out: Tensor, split: Split) -> dict[str, float]:
    ce = float(_loss(out, split.y, None))
    return {"bpc": ce / math.log(2), "ce": ce}


PARAMS = {
    "chars": Param(500_000, "use at most the first N characters of the corpus"),
    "bptt": Param(100, "truncated back-propagation window (steps)"),
}


def charlm(name: str) -> TaskDef:
    """Character-level LM on a corpus shipped with Python, e.g. charlm:pydoc; bits/char."""
    if name not in CORPORA:
        raise UnavailableTask(f"unknown charlm corpus '{name}' (known: {', '.join(CORPORA)})")
    return TaskDef(
        name=f"charlm:{name}",
        family="charlm",
        summary=f"next character of {CORPORA[name][1]}; bits per character",
        citation="char-level LM with truncated BPTT, e.g. Graves 2013; Karpathy et al. 2015",
        metric="bpc",
        direction="min",
        params=PARAMS,
        build=lambda p, seed: build(name, p),
        loss=_loss,
        evaluate=_evaluate,
        min_delta=0.005,  # bits per character
        plateau_fraction=0.05,  # a fifth of a bit below a 4-5 bit unigram baseline
    )


def corpora() -> list[str]:
    return list(CORPORA)
