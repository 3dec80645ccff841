"""A machine-speed probe stored with every run, so times from two machines can be compared.

A fixed float32 GEMM, timed after warm-up over several repeats (median and IQR). It shares no
code path with the recurrent layers, so a slower RNN kernel (a PyTorch upgrade, a model change)
still shows as a regression after normalisation, while a slower machine does not.
"""

from __future__ import annotations

import math

import torch

from grubench.measure import median_time

GEMM_N = 512  # 2·N³ ≈ 0.27 GFLOP: milliseconds on one core, well above timer resolution
WARMUP = 5
REPEATS = 25


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
