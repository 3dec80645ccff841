"""Clocks that tell the truth on each device: CUDA events after a sync, perf_counter on CPU.

``time_calls`` is the one timing routine: every time grubench measures (latency, speed's rounds,
the GEMM probe and speed's GEMM limits) is a sample of it."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from grubench.errors import UserError

Fn = Callable[[], Any]


def resolve_device(device: str) -> str:
    """``auto`` becomes ``cuda`` when a GPU is there and ``cpu`` otherwise; others are checked."""
    import torch

    base = device.split(":")[0]
    if base == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if base not in ("cpu", "cuda"):
        raise UserError(f"unknown device '{device}' for speed (known: cpu, cuda, cuda:N, auto)")
    if base == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device '{device}' is not available on this machine (no CUDA GPU)")
    return device


def sync(device: str) -> None:
    """Wait for queued GPU work so a clock reading covers it."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


CLOCKS = ("auto", "wall", "cpu")


def pick_clock(clock: str, device: str, threads: int) -> str:
    """The clock a run uses: CUDA events on a GPU; on CPU with one thread, ``auto`` means the
    thread's CPU time, which on a shared machine leaves out the time the OS gave to others."""
    if clock not in CLOCKS:
        raise UserError(f"unknown clock '{clock}' (known: {', '.join(CLOCKS)})")
    if device.startswith("cuda"):
        if clock == "cpu":
            raise UserError("--clock cpu measures host threads; on CUDA the clock is CUDA events")
        return "cuda-events"
    if clock == "cpu" and threads != 1:
        raise UserError("--clock cpu needs --threads 1: other threads' work is not counted")
    if clock == "auto":
        return "thread-cpu" if threads == 1 else "wall"
    return "thread-cpu" if clock == "cpu" else "wall"


def time_calls(fn: Fn, number: int, device: str, clock: str = "wall") -> float:
    """Seconds per call of ``fn`` over ``number`` back-to-back calls.

    On CUDA the clock is a pair of events around the calls, read after synchronising, so
    queued kernels are counted and host-side launch time is not mistaken for GPU time.
    ``thread-cpu`` reads this thread's CPU time: with one torch thread every kernel and the
    backward pass run on it, so the reading is the work done, not the time spent waiting.
    """
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(device)
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(number):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3 / number
    now = time.thread_time if clock == "thread-cpu" else time.perf_counter
    t0 = now()
    for _ in range(number):
        fn()
    return (now() - t0) / number


def median_time(fn: Fn, device: str, warmup: int = 3, repeats: int = 15) -> tuple[float, float]:
    """Median and IQR (seconds) of single calls of ``fn`` after warm-up; never a single sample."""
    for _ in range(warmup):
        fn()
    samples = [time_calls(fn, 1, device) for _ in range(repeats)]
    q = statistics.quantiles(samples, n=4)
    return statistics.median(samples), q[2] - q[0]


def calibrate(
    fn: Fn, device: str, min_sample_s: float = 2e-3, max_number: int = 1000, clock: str = "wall"
) -> int:
    """Calls per sample so that one sample lasts at least ``min_sample_s`` (timeit's autorange):
    microsecond kernels are then not lost in the clock's resolution and call overhead."""
    number = 1
    while number < max_number:
        if time_calls(fn, number, device, clock) * number >= min_sample_s:
            return number
        number *= 2
    return max_number


def interleaved_rounds(
    fns: dict[str, Fn], rounds: int, clock: str = "wall", warmup: int = 1, seed: int = 0
) -> dict[str, list[float]]:
    """Seconds per call of each fn on the CPU: ``warmup`` untimed calls each, then ``rounds``
    rounds that time every fn once in a freshly shuffled order, so drift hits all alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {label: [] for label in fns}
    order = list(fns)
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(order)
        for label in order:
            samples[label].append(time_calls(fns[label], 1, "cpu", clock))
    return samples
