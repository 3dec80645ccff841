"""Harness overhead: ``grubench run``'s epoch loop against a bare PyTorch loop doing the same
steps (same data, batches, loss, clipping, Adam) in the same process, epochs interleaved.

    .venv/bin/python benchmarks/harness_overhead.py [--rounds 15] [--hidden 32] [--threads 1]

Prints seconds per epoch of both, and their paired ratio (median and IQR); target ≤ 1.05.
"""

from __future__ import annotations

import argparse
import copy

import torch
from torch import nn

from grubench.analysis.stats import summarise
from grubench.config import Budget, Train, Trial
from grubench.measure.clocks import interleaved_rounds, pick_clock
from grubench.models.model import SeqModel
from grubench.studies.speed.stats import paired_ratios
from grubench.tasks import get_task, resolve_params
from grubench.tasks.base import generator
from grubench.trial.train import _train_epoch

TASK = {"length": 30, "n_train": 1000, "n_val": 200, "n_test": 500}  # tasks/smoke.toml


def bare_epoch(model, opt, x, y, batch, order) -> None:  # noqa: ANN001
    """What one would write by hand: shuffle, slice, forward, MSE, backward, clip, step."""
    perm = torch.randperm(x.shape[0], generator=order)
    for i in range(0, x.shape[0], batch):
        idx = perm[i : i + batch]
        out, _ = model(x[idx])
        loss = nn.functional.mse_loss(out, y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()


def compare(arch: str, hidden: int, rounds: int, clock: str) -> dict[str, float]:
    task = get_task("adding")
    data = task.build(resolve_params(task, dict(TASK)), 0)
    trial = Trial("adding", tuple(TASK.items()), arch, 0, hidden, 1, "hidden", Budget(), Train())
    torch.manual_seed(0)
    model = SeqModel(arch, data.input_size, hidden, 1, data.output_size, data.per_step)
    twin = copy.deepcopy(model)
    opt_h = torch.optim.Adam(model.parameters(), lr=trial.train.lr)
    opt_b = torch.optim.Adam(twin.parameters(), lr=trial.train.lr)
    order_h, order_b = generator(0, 99), generator(0, 99)
    x, y = data.train.x, data.train.y

    def harness() -> None:
        _train_epoch(model, task, data, opt_h, trial, order_h, 1)

    def bare() -> None:
        bare_epoch(twin, opt_b, x, y, trial.train.batch_size, order_b)

    fns = {"harness": harness, "bare": bare}
    times = interleaved_rounds(fns, rounds, clock)  # one warm-up epoch each
    r = summarise(paired_ratios(times["harness"], times["bare"]))
    return {
        "harness_s": summarise(times["harness"]).median,
        "bare_s": summarise(times["bare"]).median,
        "ratio": r.median,
        "ratio_q1": r.q1,
        "ratio_q3": r.q3,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--arch", nargs="+", default=["gru", "lstm"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # one torch thread: its CPU time is the work, without the time other processes took
    clock = pick_clock("auto", "cpu", args.threads)
    print(
        f"adding task {TASK}, batch 64, hidden {args.hidden}, {args.threads} thread(s), "
        f"{args.rounds} interleaved rounds; {clock} seconds per epoch (median)"
    )
    print(f"{'arch':8} {'harness s':>10} {'bare s':>10} {'ratio [IQR]':>24}")
    for arch in args.arch:
        r = compare(arch, args.hidden, args.rounds, clock)
        print(
            f"{arch:8} {r['harness_s']:10.4f} {r['bare_s']:10.4f} "
            f"{r['ratio']:9.3f} [{r['ratio_q1']:.3f}–{r['ratio_q3']:.3f}]"
        )


if __name__ == "__main__":
    main()
