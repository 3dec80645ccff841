"""A machine-speed probe, so that times measured on two machines can be compared.

A fixed float32 GEMM, timed in blocks after warm-up over several repeats (median and IQR):
once at the start and end of every run (run.json "probe", "probe_end") and, inside every CPU
trial, before and after its training (the record's "probe"), under the trial's own load. Time
metrics divided by it are in "probe units": a slower machine cancels out, while a slower
recurrent layer (a PyTorch upgrade, a model change) does not, as the probe runs none of its
code; only a slower BLAS would be partly hidden.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Any

GEMM_N = 256  # 2·N³ ≈ 34 MFLOP: a fraction of a millisecond on one modern core
# Each GEMM is timed alone and in blocks (~8 ms on an idle machine). A block is long enough to
# take its share of the scheduler's time slices, so it slows with other load as an epoch of
# training does; a single sub-millisecond GEMM mostly slips between slices and sees the idle
# machine, as a one-sequence inference call does. Both are kept: "seconds" (per GEMM, from
# blocks) normalises training times, "op_seconds" (single GEMMs) normalises latency.
BLOCK = 24
WARMUP = 2
REPEATS = 11


def gemm_probe(
    threads: int, n: int = GEMM_N, block: int = BLOCK, repeats: int = REPEATS
) -> dict[str, float | int]:
    """Median seconds per n×n float32 matmul on ``threads`` threads, from ``repeats`` blocks
    of ``block`` (with the blocks' IQR) and from the single matmuls; GFLOP/s of the blocks."""
    import torch  # here, not at the top: compare reads probes without loading torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=gen)
        b = torch.randn(n, n, generator=gen)
        for _ in range(WARMUP * block):
            torch.mm(a, b)
        ops, blocks = [], []
        for _ in range(repeats):
            t_block = time.perf_counter()
            for _ in range(block):
                t0 = time.perf_counter()
                torch.mm(a, b)
                ops.append(time.perf_counter() - t0)
            blocks.append((time.perf_counter() - t_block) / block)
    finally:
        torch.set_num_threads(before)
    q = statistics.quantiles(blocks, n=4)
    seconds = statistics.median(blocks)
    return {
        "n": n,
        "block": block,
        "threads": threads,
        "repeats": repeats,
        "seconds": seconds,
        "iqr_seconds": q[2] - q[0],
        "op_seconds": statistics.median(ops),
        "gflops": 2 * n**3 / seconds / 1e9,
    }


def measure(threads: int) -> dict[str, dict[str, float | int]]:
    """The probe block written to run.json under "probe"."""
    return {"gemm": gemm_probe(threads)}


def trial_probe(start: dict[str, float | int], end: dict[str, float | int]) -> dict[str, Any]:
    """A trial's own probe: the GEMM before and after its training, and their geometric means."""
    return {
        "n": start["n"],
        "threads": start["threads"],
        "start_seconds": start["seconds"],
        "end_seconds": end["seconds"],
        "seconds": math.sqrt(start["seconds"] * end["seconds"]),
        "op_seconds": math.sqrt(start["op_seconds"] * end["op_seconds"]),
    }


def _gemm_seconds(block: object, key: str = "seconds") -> float | None:
    try:
        value = block["gemm"][key]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) and value > 0 else None


def probe_seconds(run_info: dict, key: str = "seconds") -> float | None:
    """The run's machine speed from run.json: the geometric mean of the GEMM probe's medians
    (``key``: "seconds" or "op_seconds") at the start and the end of the run (the start's
    alone if the run has no end probe)."""
    start = _gemm_seconds(run_info.get("probe"), key)
    end = _gemm_seconds(run_info.get("probe_end"), key)
    if start is None:
        return None
    return math.sqrt(start * end) if end is not None else start


def probe_drift(run_info: dict) -> float | None:
    """End probe over start probe (1.0: the machine kept its speed through the run)."""
    start = _gemm_seconds(run_info.get("probe"))
    end = _gemm_seconds(run_info.get("probe_end"))
    return end / start if start is not None and end is not None else None
