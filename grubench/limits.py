"""The machine's limit: dense matmul throughput for the shapes an RNN step uses, and a large
square GEMM, timed with the same device and threads as the models they bound."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from grubench.devtimer import calibrate, time_calls
from grubench.speed_stats import Spread, gflops, spread, stop_reason


@dataclass(frozen=True)
class Gemm:
    """One matmul shape [m, k] × [k, n] and what it is for."""

    role: str  # "input" (all steps at once), "recurrent" (one step), "square" (the peak)
    m: int
    k: int
    n: int

    @property
    def flops(self) -> int:
        return 2 * self.m * self.k * self.n


@dataclass(frozen=True)
class GemmResult:
    gemm: Gemm
    time: Spread  # seconds per call
    rounds: int
    stop: str

    @property
    def gflops(self) -> float:
        return gflops(self.gemm.flops, self.time.median)


def step_gemms(gates: int, input_size: int, hidden: int, batch: int, seq_len: int) -> list[Gemm]:
    """The two products of one layer: inputs of all steps at once, then one step's state."""
    return [
        Gemm("input", batch * seq_len, input_size, gates * hidden),
        Gemm("recurrent", batch, hidden, gates * hidden),
    ]


def measure_gemm(
    gemm: Gemm,
    device: str,
    min_rounds: int = 5,
    max_rounds: int = 30,
    rel_iqr: float = 0.05,
    time_cap: float = 2.0,
) -> GemmResult:
    """Median seconds per ``torch.mm`` of this shape into a preallocated output."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(gemm.m, gemm.k, generator=gen).to(device)
    b = torch.randn(gemm.k, gemm.n, generator=gen).to(device)
    out = torch.empty(gemm.m, gemm.n, device=device)

    def fn() -> None:
        torch.mm(a, b, out=out)

    number = calibrate(fn, device)
    samples: list[float] = []
    started = time.perf_counter()
    while True:
        samples.append(time_calls(fn, number, device))
        why = stop_reason(
            {"gemm": samples},
            len(samples),
            time.perf_counter() - started,
            min_rounds,
            max_rounds,
            rel_iqr,
            time_cap,
        )
        if why:
            return GemmResult(gemm, spread(samples), len(samples), why)


class LimitCache:
    """Each distinct GEMM shape measured once per run and reused by every row that needs it."""

    def __init__(self, device: str, **timing: float):
        self.device = device
        self.timing = timing
        self.results: dict[Gemm, GemmResult] = {}

    def get(self, gemm: Gemm) -> GemmResult:
        if gemm not in self.results:
            self.results[gemm] = measure_gemm(gemm, self.device, **self.timing)
        return self.results[gemm]

    def step_limit(
        self, gates: int, input_size: int, hidden: int, batch: int, seq_len: int, layers: int
    ) -> float:
        """GFLOP/s of a forward pass made of nothing but its GEMMs at their measured speed:
        the input product once and ``seq_len`` recurrent products per layer."""
        flops = seconds = 0.0
        for layer in range(layers):
            i = input_size if layer == 0 else hidden
            inp, rec = step_gemms(gates, i, hidden, batch, seq_len)
            flops += inp.flops + seq_len * rec.flops
            seconds += self.get(inp).time.median + seq_len * self.get(rec).time.median
        return gflops(flops, seconds)
