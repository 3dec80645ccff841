"""Clocks that tell the truth on each device: CUDA events after a sync, perf_counter on CPU."""

from __future__ import annotations

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


def time_calls(fn: Fn, number: int, device: str) -> float:
    """Seconds per call of ``fn`` over ``number`` back-to-back calls.

    On CUDA the clock is a pair of events around the calls, read after synchronising, so
    queued kernels are counted and host-side launch time is not mistaken for GPU time.
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
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def calibrate(fn: Fn, device: str, min_sample_s: float = 2e-3, max_number: int = 1000) -> int:
    """Calls per sample so that one sample lasts at least ``min_sample_s`` (timeit's autorange):
    microsecond kernels are then not lost in the clock's resolution and call overhead."""
    number = 1
    while number < max_number:
        if time_calls(fn, number, device) * number >= min_sample_s:
            return number
        number *= 2
    return max_number
