"""The machine's limit: the matmuls an RNN step does (timed interleaved with the model, see
``speed``) and a large square GEMM, on the same device and threads as the models they bound."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from grubench.analysis.stats import Sample, summarise
from grubench.measure.clocks import Fn, interleaved_rounds
from grubench.measure.probe import gemm_call, gemm_operands, time_gemm
from grubench.studies.speed.stats import gflops, stop_reason


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


# The GEMM libraries torch reaches on a CPU, by what calls them: MKL through ``torch.mm`` (what
# torch's own RNN step loops use: nn.GRU, nn.RNN, our seed cells) and oneDNN through its matmul
# (its fused RNN primitive serves nn.LSTM). On an AMD CPU MKL can run far below the core's peak
# while oneDNN reaches it, so a limit from one library alone is not the machine's.
LIBRARIES = {"mkl": "MKL (torch.mm)", "onednn": "oneDNN (mkldnn_linear)"}


@dataclass(frozen=True)
class GemmResult:
    gemm: Gemm
    time: Sample  # seconds per call
    rounds: int
    stop: str
    library: str = LIBRARIES["mkl"]
    # The other libraries' GFLOP/s at the same shape, when several were timed (the fastest is
    # this result).
    others: tuple[tuple[str, float], ...] = ()

    @property
    def gflops(self) -> float:
        return gflops(self.gemm.flops, self.time.median)


def step_gemms(gates: int, input_size: int, hidden: int, batch: int, seq_len: int) -> list[Gemm]:
    """The two products of one layer: inputs of all steps at once, then one step's state."""
    return [
        Gemm("input", batch * seq_len, input_size, gates * hidden),
        Gemm("recurrent", batch, hidden, gates * hidden),
    ]


def gemm_floor(
    gates: int,
    input_size: int,
    hidden: int,
    layers: int,
    batch: int,
    seq_len: int,
    train: bool,
    device: str,
) -> tuple[Fn, int]:
    """A callable doing exactly the matmuls of a forward pass (and, for ``train``, the two
    gradient products of each), nothing else; and their FLOPs. Timed beside the model, its
    time is the floor that only faster GEMMs could lower."""
    calls = []
    flops = 0
    for layer in range(layers):
        i = input_size if layer == 0 else hidden
        for g in step_gemms(gates, i, hidden, batch, seq_len):
            times = 1 if g.role == "input" else seq_len
            shapes = [(g.m, g.k, g.n)]
            if train:  # dX = dY·Wᵀ and dW = Xᵀ·dY
                shapes += [(g.m, g.n, g.k), (g.k, g.m, g.n)]
            for m, k, n in shapes:
                calls.append((*gemm_operands(m, k, n, device), times))
                flops += 2 * m * k * n * times

    def fn() -> None:
        for a, b, out, times in calls:
            for _ in range(times):
                torch.mm(a, b, out=out)

    return fn, flops


def measure_gemm(
    gemm: Gemm,
    device: str,
    min_rounds: int = 5,
    max_rounds: int = 30,
    rel_iqr: float = 0.05,
    time_cap: float = 2.0,
    clock: str = "wall",
) -> GemmResult:
    """Median seconds per ``torch.mm`` of this shape into a preallocated output, sampled until
    the IQR settles, the round limit or the time cap (speed's stopping rule)."""

    def until(samples: list[float], elapsed: float) -> str | None:
        return stop_reason(
            {"gemm": samples}, len(samples), elapsed, min_rounds, max_rounds, rel_iqr, time_cap
        )

    samples, _, why = time_gemm((gemm.m, gemm.k, gemm.n), device, until, clock=clock)
    return GemmResult(gemm, summarise(samples), len(samples), why)


def fastest_gemm(gemm: Gemm, device: str, rounds: int = 15, clock: str = "wall") -> GemmResult:
    """The machine's limit at this shape: the faster of the libraries torch reaches, MKL and,
    on a CPU with oneDNN, oneDNN, timed in the same interleaved rounds (each round in a fresh
    order, so a slow spell hits both), naming which is faster and what the other gave."""
    if device != "cpu" or not torch.backends.mkldnn.is_available():
        return measure_gemm(gemm, device, clock=clock)
    shape = (gemm.m, gemm.k, gemm.n)
    fns = {lib: gemm_call(shape, "cpu", lib) for lib in LIBRARIES}
    samples = interleaved_rounds(fns, rounds, clock=clock, warmup=2)
    results = [
        GemmResult(gemm, summarise(s), rounds, "rounds", LIBRARIES[lib])
        for lib, s in samples.items()
    ]
    best = max(results, key=lambda r: r.gflops)
    return replace(best, others=tuple((r.library, r.gflops) for r in results if r is not best))
