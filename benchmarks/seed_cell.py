"""Our cell against torch's: a training step of nn.GRU, the seed GRU in eager mode, scripted
(TorchScript) and, with ``--compile``, through ``torch.compile``; compile times reported apart.

    .venv/bin/python benchmarks/seed_cell.py [--hidden 256 --seq-len 100 --batch 64] [--compile]

The steps run interleaved (order shuffled per round); times are medians with IQR and each
variant's ratio to nn.GRU is taken round by round.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from grubench.analysis.stats import summarise
from grubench.measure.clocks import interleaved_rounds, pick_clock
from grubench.models.model import SeqModel
from grubench.studies.speed.stats import paired_ratios


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor):  # noqa: ANN201
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(model(x)[0], y).backward()
        opt.step()

    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--seq-len", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--input", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--compile", action="store_true", help="also torch.compile (minutes)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    x = torch.randn(a.batch, a.seq_len, a.input)
    y = torch.randn(a.batch, 1)
    steps = {}
    for name, arch in [("nn.GRU", "gru"), ("gru-seed", "gru-seed")]:
        torch.manual_seed(0)
        steps[name] = train_step(SeqModel(arch, a.input, a.hidden, 1, 1, False), x, y)
    t0 = time.perf_counter()
    torch.manual_seed(0)
    jit = SeqModel("gru-seed-jit", a.input, a.hidden, 1, 1, False)
    steps["gru-seed-jit"] = train_step(jit, x, y)
    steps["gru-seed-jit"]()  # TorchScript profiles and optimises on its first runs
    steps["gru-seed-jit"]()
    print(f"TorchScript: scripting and two profiling steps (wall) {time.perf_counter() - t0:.2f} s")
    if a.compile:
        torch.manual_seed(0)
        model = SeqModel("gru-seed", a.input, a.hidden, 1, 1, False)
        model.core = torch.compile(model.core)
        steps["gru-seed compiled"] = train_step(model, x, y)
        t0 = time.perf_counter()
        steps["gru-seed compiled"]()
        print(f"torch.compile: first step, compiling (wall) {time.perf_counter() - t0:.1f} s")
    # one torch thread: its CPU time is the work, without the time other processes took
    clock = pick_clock("auto", "cpu", a.threads)
    times = interleaved_rounds(steps, a.rounds, clock)
    print(
        f"training step, hidden {a.hidden}, seq {a.seq_len}, batch {a.batch}, input {a.input}, "
        f"{a.threads} thread(s), {a.rounds} interleaved rounds, torch {torch.__version__}, "
        f"clock {clock}"
    )
    for k, t in times.items():
        s = summarise(t)
        r = summarise(paired_ratios(t, times["nn.GRU"]))
        print(
            f"{k:18} {s.median * 1e3:8.1f} ms [{s.q1 * 1e3:.1f}–{s.q3 * 1e3:.1f}]  "
            f"/nn.GRU {r.median:.3f} [{r.q1:.3f}–{r.q3:.3f}]"
        )


if __name__ == "__main__":
    main()
