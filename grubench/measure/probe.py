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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from grubench.measure.clocks import calibrate, time_calls

if TYPE_CHECKING:
    import torch

GEMM_N = 256  # 2·N³ ≈ 34 MFLOP: a fraction of a millisecond on one modern core
# Each GEMM is timed alone and in blocks (~8 ms on an idle machine). A block is long enough to
# take its share of the scheduler's time slices, so it slows with other load as an epoch of
# training does; a single sub-millisecond GEMM mostly slips between slices and sees the idle
# machine, as a one-sequence inference call does. Both are kept: "seconds" (per GEMM, from
# blocks) normalises training times, "op_seconds" (single GEMMs) normalises latency.
BLOCK = 24
WARMUP = 2
REPEATS = 11
# A trial's own probes, before and after its training: 5 blocks each after one warm-up block
# (about 60 ms on one Zen 2 core, against 300 ms for both at the run's 11), because they are
# paid by every trial; the trial's figure is the geometric mean of the two medians, so ten
# blocks stand behind it.
TRIAL_REPEATS = 5
TRIAL_WARMUP = 1


def gemm_operands(m: int, k: int, n: int, device: str = "cpu") -> tuple[torch.Tensor, ...]:
    """Seeded float32 operands of an [m, k] × [k, n] product, and an output to write it into."""
    import torch  # here, not at the top: compare reads probes without loading torch

    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen).to(device)
    b = torch.randn(k, n, generator=gen).to(device)
    return a, b, torch.empty(m, n, device=device)


def gemm_call(
    shape: tuple[int, int, int], device: str, library: str = "mkl", allocate: bool = False
) -> Callable[[], Any]:
    """One [m, k] × [k, n] product as a callable. ``library`` "mkl": ``torch.mm`` (into a
    preallocated output unless ``allocate``); "onednn": oneDNN's matmul (a linear layer with an
    [n, k] weight) on oneDNN tensors, the CPU only."""
    import torch

    a, b, out = gemm_operands(*shape, device)
    if library == "onednn":
        x, w = a.to_mkldnn(), b.t().contiguous().to_mkldnn()
        return lambda: torch._C._nn.mkldnn_linear(x, w)
    if allocate:
        return lambda: torch.mm(a, b)
    return lambda: torch.mm(a, b, out=out)


def time_gemm(
    shape: tuple[int, int, int],
    device: str,
    until: Callable[[list[float], float], str | None],
    number: int | None = None,
    warmup: int = 0,
    clock: str = "wall",
    allocate: bool = False,
) -> tuple[list[float], int, str]:
    """The one GEMM timer: seconds per [m, k] × [k, n] ``torch.mm``, one sample of ``number``
    back-to-back calls at a time (None: calibrated so a sample lasts about 2 ms), until
    ``until(samples, seconds of sampling)`` names a reason to stop. Returns the samples, the
    calls per sample and that reason. ``allocate``: a fresh output per call instead of one
    preallocated (the machine-speed probe has always allocated; its unit must stay the same)."""
    fn = gemm_call(shape, device, allocate=allocate)
    for _ in range(warmup):
        fn()
    number = number or calibrate(fn, device, clock=clock)
    samples: list[float] = []
    started = time.perf_counter()
    while True:
        samples.append(time_calls(fn, number, device, clock))
        why = until(samples, time.perf_counter() - started)
        if why:
            return samples, number, why


def gemm_probe(
    threads: int,
    n: int = GEMM_N,
    block: int = BLOCK,
    repeats: int = REPEATS,
    warmup: int = WARMUP,
) -> dict[str, float | int]:
    """Median seconds per n×n float32 matmul on ``threads`` threads, from ``repeats`` blocks
    of ``block`` after ``warmup`` blocks (with the blocks' IQR) and from the single matmuls;
    GFLOP/s of the blocks."""
    import torch  # here, not at the top: compare reads probes without loading torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        ops, _, _ = time_gemm(
            (n, n, n),
            "cpu",
            lambda s, _: "done" if len(s) >= repeats * block else None,
            number=1,
            warmup=warmup * block,
            allocate=True,
        )
    finally:
        torch.set_num_threads(before)
    # a block's time per GEMM is the mean of its consecutive single GEMMs
    blocks = [statistics.fmean(ops[i : i + block]) for i in range(0, len(ops), block)]
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
