"""aⁿbⁿ as Weiss, Goldberg & Yahav 2018 trained it: a next-symbol predictor on positive strings,
accepting a string by their rule, tested far past the training range.

At each position the network predicts the *set* of symbols that may come next (one sigmoid per
symbol of {a, b, end}): after the start, {a, end}; inside the a's, {a, b}; inside the b's, {b}
until they match the a's, then {end}. A string is accepted when every symbol it has is in the
set predicted before it and, after its last symbol, end is predicted; a positive string must
also have every predicted set exactly right. The test metric is the largest n such that every
aᵐbᵐ with m ≤ n is accepted and its nearest negatives (aᵐbᵐ⁺¹, aᵐ⁺¹bᵐ) are rejected, checked
up to ``max_n_test`` (1000 by default, as the paper reports).

Deviations from the paper, recorded in every result's citation: the hidden size and matching
come from the suite; training stops on the protocol's step budget and patience rather than at
a perfect training score; the paper's code (tech-srl/counting_dimensions) could not be read
here, so its optimiser and schedule are not copied.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from grubench.tasks.base import Param, Split, TaskData, TaskDef, generator, step_mask
from grubench.tasks.music import nll  # BCE summed over the symbols, averaged over real steps

START, A, B = 0, 1, 2  # input symbols (one-hot, 3 channels)
NEXT = ("a", "b", "end")  # output sigmoids: may the next symbol be a, b, or the end?


def string(n_a: int, n_b: int) -> list[int]:
    return [START] + [A] * n_a + [B] * n_b


def allowed(n_a: int, n_b: int) -> Tensor:
    """``[len, 3]`` the sets a perfect recogniser of {aⁿbⁿ} predicts after each prefix of
    aᵖbᵠ: {a, end} at the start, {a, b} inside the a's, {b} until the b's match, then {end};
    past that (a negative's extra b) nothing may follow."""
    rows = [[1.0, 0.0, 1.0]]
    rows += [[1.0, 1.0, 0.0]] * n_a
    for j in range(1, n_b + 1):
        rows.append([0.0, 1.0, 0.0] if j < n_a else [0.0, 0.0, 1.0] if j == n_a else [0.0] * 3)
    return torch.tensor(rows)


def _batch(pairs: list[tuple[int, int]]) -> Split:
    """Strings aᵖbᵠ as padded one-hot inputs, their true sets as targets, and lengths."""
    lengths = torch.tensor([1 + a + b for a, b in pairs])
    T = int(lengths.max())
    x = torch.zeros(len(pairs), T, 3)
    y = torch.zeros(len(pairs), T, 3)
    for k, (a, b) in enumerate(pairs):
        s = torch.tensor(string(a, b))
        x[k, : len(s)] = F.one_hot(s, 3).float()
        y[k, : len(s)] = allowed(a, b)
    return Split(x, y, lengths)


def _positives(count: int, max_n: int, g: torch.Generator) -> Split:
    ns = torch.randint(0, max_n + 1, (count,), generator=g).tolist()
    return _batch([(n, n) for n in ns])


def verdicts(out: Tensor, split: Split) -> tuple[Tensor, Tensor]:
    """Per string (accepted by the rule, every predicted set exact)."""
    pred = out > 0
    T = out.shape[1]
    real = step_mask(split.lengths, T)
    x = split.x.argmax(-1)
    # The symbol after position t must be in the set predicted at t; after the last, "end".
    nxt = torch.full_like(x, -1)
    nxt[:, :-1] = x[:, 1:]
    last = split.lengths - 1
    nxt[torch.arange(len(x)), last] = 3  # the end
    idx = {A: 0, B: 1, 3: 2}
    ok = torch.ones_like(x, dtype=torch.bool)
    for sym, col in idx.items():
        at = (nxt == sym) & real
        ok &= ~at | pred[..., col]
    accepted = ok.all(1)
    exact = ((pred == (split.y > 0.5)).all(-1) | ~real).all(1)
    return accepted, exact


def largest_n(out: Tensor, split: Split, pairs: list[tuple[int, int]]) -> int:
    """The largest n with every aᵐbᵐ (m ≤ n) accepted exactly and its nearest negatives
    rejected; -1 when not even the empty string is."""
    accepted, exact = verdicts(out, split)
    good: dict[int, bool] = {}
    for (a, b), acc, ex in zip(pairs, accepted.tolist(), exact.tolist(), strict=True):
        n = min(a, b)
        right = (acc and ex) if a == b else not acc
        good[n] = good.get(n, True) and right
    best = -1
    for n in sorted(good):
        if not good[n]:
            break
        best = n
    return best


def probe_pairs(max_n: int) -> list[tuple[int, int]]:
    """aⁿbⁿ for n = 0..max_n and the nearest negatives aⁿbⁿ⁺¹ and aⁿ⁺¹bⁿ."""
    out = []
    for n in range(max_n + 1):
        out += [(n, n), (n, n + 1), (n + 1, n)]
    return out


def _evaluate(out: Tensor, split: Split) -> dict[str, float]:
    pairs = [(int(a), int(b)) for a, b in (split.x[:, :, 1:].sum(1)).tolist()]
    accepted, exact = verdicts(out, split)
    positive = torch.tensor([a == b for a, b in pairs])
    right = torch.where(positive, accepted & exact, ~accepted)
    metrics = {
        "accuracy": float(right.float().mean()),
        "bce": float(nll(out, split.y, split.lengths)),
    }
    if not bool(positive.all()):  # the test split: negatives present, n counted
        metrics["max_n"] = float(largest_n(out, split, pairs))
    return metrics


def _build(p: dict[str, Any], seed: int) -> TaskData:
    N = p["max_n"]
    train = _positives(p["n_train"], N, generator(seed, 0))
    # Validation: every positive of the training range once, with its nearest negatives.
    val = _batch(probe_pairs(N))
    test = _batch(probe_pairs(p["max_n_test"]))
    # Trivial recogniser: predicts the set most often right at each position in training
    # (inside the a's: {a, b}), accepting at most the empty string.
    trivial = torch.zeros(len(test), test.x.shape[1], 3)
    trivial[..., :2] = 1.0  # {a, b} everywhere: never predicts the end
    val_trivial = torch.zeros(len(val), val.x.shape[1], 3)
    val_trivial[..., :2] = 1.0
    base = _evaluate(trivial * 20 - 10, test)
    return TaskData(
        train,
        val,
        test,
        3,
        3,
        True,
        base["max_n"],
        "always {a, b}: never predicts the end, so it accepts nothing",
        val_baseline=_evaluate(val_trivial * 20 - 10, val)["accuracy"],
    )


ANBN_LM = TaskDef(
    name="anbn-lm",
    family="synthetic",
    summary="predict the next-symbol sets of a^n b^n (n ≤ N) and accept by Weiss et al.'s rule; "
    "test metric: largest n accepted, negatives rejected",
    citation=(
        "Weiss, Goldberg & Yahav 2018 (ACL): a next-symbol predictor trained on positive a^n b^n, "
        "n ≤ 100, accepting by its predictions; their LSTM counts to n = 1000 and beyond, their "
        "GRU does not. Deviations: hidden size and matching from the suite, training on the "
        "protocol's step budget and patience, their code not read here"
    ),
    metric="max_n",
    direction="max",
    params={
        "max_n": Param(100, "largest n in training (the paper's 100)"),
        "max_n_test": Param(1000, "largest n tested (the paper reports 1000)"),
        "n_train": Param(2000, "training strings"),
    },
    build=_build,
    loss=nll,
    evaluate=_evaluate,
    val_metric="accuracy",
    val_direction="max",
    min_delta=1e-3,
    learned_margin=0.25,
)
