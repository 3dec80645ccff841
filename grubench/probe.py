"""A machine-speed probe, so that times measured on two machines can be compared.

A fixed float32 GEMM, timed after warm-up over several repeats (median and IQR): once at the
start and end of every run (run.json "probe", "probe_end") and, inside every CPU trial, before
and after its training (the record's "probe"), under the same load as the trial itself. Time
metrics divided by it are in "probe units": a slower machine cancels out, while a slower
recurrent layer (a PyTorch upgrade, a model change) does not, as the probe runs none of its
code; only a slower BLAS would be partly hidden.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from grubench.measure import median_time

GEMM_N = 256  # 2·N³ ≈ 34 MFLOP: about 2 ms on one core, far above the timer's resolution
WARMUP = 5
REPEATS = 31


def gemm_probe(threads: int, n: int = GEMM_N, repeats: int = REPEATS) -> dict[str, float | int]:
    """Median seconds (and IQR, GFLOP/s) of an n×n float32 matmul on ``threads`` CPU threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=gen)
        b = torch.randn(n, n, generator=gen)
        seconds, iqr = median_time(lambda: torch.mm(a, b), "cpu", warmup=WARMUP, repeats=repeats)
    finally:
        torch.set_num_threads(before)
    return {
        "n": n,
        "threads": threads,
        "repeats": repeats,
        "seconds": seconds,
        "iqr_seconds": iqr,
        "gflops": 2 * n**3 / seconds / 1e9,
    }


def measure(threads: int) -> dict[str, dict[str, float | int]]:
    """The probe block written to run.json under "probe"."""
    return {"gemm": gemm_probe(threads)}


def trial_probe(start: dict[str, float | int], end: dict[str, float | int]) -> dict[str, Any]:
    """A trial's own probe: the GEMM before and after its training, and their geometric mean."""
    return {
        "n": start["n"],
        "threads": start["threads"],
        "start_seconds": start["seconds"],
        "end_seconds": end["seconds"],
        "seconds": math.sqrt(start["seconds"] * end["seconds"]),
    }


def _gemm_seconds(block: object) -> float | None:
    try:
        value = block["gemm"]["seconds"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) and value > 0 else None


def probe_seconds(run_info: dict) -> float | None:
    """The run's machine speed from run.json: the geometric mean of the GEMM probe's medians
    at the start and the end of the run (the start's alone if the run has no end probe)."""
    start = _gemm_seconds(run_info.get("probe"))
    end = _gemm_seconds(run_info.get("probe_end"))
    if start is None:
        return None
    return math.sqrt(start * end) if end is not None else start


def probe_drift(run_info: dict) -> float | None:
    """End probe over start probe (1.0: the machine kept its speed through the run)."""
    start = _gemm_seconds(run_info.get("probe"))
    end = _gemm_seconds(run_info.get("probe_end"))
    return end / start if start is not None and end is not None else None
