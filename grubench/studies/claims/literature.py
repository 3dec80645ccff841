"""The published figures claim (e) is read beside. Only what was checked against the source
is stated; where a figure could not be checked here, the line says so rather than quote it."""

from __future__ import annotations

from grubench.outputs.sections import Block, table

ROWS = [
    [
        "adding (Hochreiter & Schmidhuber 1997; Arjovsky, Shah & Bengio 2016)",
        "trivial baseline: predict 1 whatever the input, MSE = Var(U + U') = 1/6 ≈ 0.167",
        "derived here (the task computes it from its data); the paper's per-T curves were "
        "not checked in this build",
    ],
    [
        "copy (Arjovsky, Shah & Bengio 2016)",
        "memoryless baseline: blanks, then a uniform guess of the 8 symbols, cross-entropy "
        "10·log 8 / (T + 20)",
        "baseline as grubench's copy task defines it; the paper's LSTM/uRNN curves were not "
        "checked in this build",
    ],
    [
        "aⁿbⁿ (Weiss, Goldberg & Yahav 2018, ACL, P18-2117)",
        "finite-precision LSTMs (and ReLU RNNs) can count, GRUs and squashing RNNs cannot; "
        "'the LSTM does indeed learn to effectively use the counting mechanism'",
        "abstract checked (aclanthology.org/P18-2117); the paper's exact generalisation "
        "ranges were not checked in this build",
    ],
]


def blocks() -> list[Block]:
    """The literature table for claims.md, under claim (e)."""
    return [
        Block("p", "Beside the literature:"),
        table(["task", "published figure or statement", "checked"], ROWS),
    ]
