"""``grubench speed``: forward, training-step and batch-1 latency of matched archs over a grid,
timed interleaved (order shuffled per round) with adaptive repeats, beside the GEMM limit."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from grubench.analysis.stats import paired_ratios, summarise
from grubench.measure.clocks import Fn, calibrate, time_calls
from grubench.models.model import SeqModel, count_params
from grubench.models.registry import REFERENCE, get_arch
from grubench.models.sizing import flops_per_step, match_hidden
from grubench.studies.speed.config import SpeedConfig
from grubench.studies.speed.limits import Gemm, GemmResult, fastest_gemm, gemm_floor
from grubench.studies.speed.memprobe import MemPoint
from grubench.studies.speed.stats import percent_of, stop_reason, train_flops

MEASURES = ("forward", "train", "infer")
OUTPUT = 1  # one regression output: the read-out stays a rounding error beside the core


@dataclass
class Contender:
    """One model in a comparison: ``label`` differs from ``arch`` only in A/A runs."""

    label: str
    arch: str
    hidden: int
    model: nn.Module
    fns: dict[str, Fn]


def contenders(cfg: SpeedConfig, point: dict[str, int]) -> list[Contender]:
    """Matched models for one grid point, each with its three measured closures."""
    I, L, B, T = point["input_size"], point["layers"], point["batch"], point["seq_len"]  # noqa: E741
    archs = [get_arch(a).name for a in cfg.archs]
    sizes = match_hidden(archs, cfg.match, I, point["hidden"], L, OUTPUT)
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.randn(B, T, I, generator=gen).to(cfg.device)
    y = torch.randn(B, OUTPUT, generator=gen).to(cfg.device)
    labels = [(f"{a}#{s}", a) for a in archs for s in "ab"] if cfg.aa else [(a, a) for a in archs]
    out = []
    for label, arch in labels:
        torch.manual_seed(cfg.seed)  # A/A twins get identical weights: any gap is noise
        model = SeqModel(arch, I, sizes[arch], L, OUTPUT, per_step=False).to(cfg.device)
        out.append(Contender(label, arch, sizes[arch], model, measure_fns(model, x, y)))
    return out


def measure_fns(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, Fn]:
    """forward: batch B without grad; train: forward, backward, clip, Adam as ``grubench run``
    does; infer: one sequence in eval mode, the latency a caller waits for."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    one = x[:1].contiguous()

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def train() -> None:
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x)[0], y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    def infer() -> None:
        model.eval()
        with torch.no_grad():
            model(one)
        model.train()

    return {"forward": forward, "train": train, "infer": infer}


def interleaved(
    fns: dict[str, Fn], cfg: SpeedConfig, rng: random.Random
) -> tuple[dict[str, list[float]], str, dict[str, int]]:
    """Seconds per call of each fn, one sample each per round in a freshly shuffled order,
    until every IQR is under ``rel_iqr`` of its median, ``repeats`` rounds or the time cap."""
    numbers = {}
    for label, fn in fns.items():
        for _ in range(cfg.warmup):
            fn()
        numbers[label] = calibrate(fn, cfg.device, clock=cfg.timer)
    samples: dict[str, list[float]] = {label: [] for label in fns}
    order = list(fns)
    started = time.perf_counter()
    while True:
        rng.shuffle(order)
        for label in order:
            samples[label].append(time_calls(fns[label], numbers[label], cfg.device, cfg.timer))
        why = stop_reason(
            samples,
            len(samples[order[0]]),
            time.perf_counter() - started,
            min(cfg.min_repeats, cfg.repeats),
            cfg.repeats,
            cfg.rel_iqr,
            cfg.time_cap,
        )
        if why:
            return samples, why, numbers


def reference_of(labels: list[str], aa: bool) -> Callable[[str], str | None]:
    """Whom each label is divided by: its twin in A/A runs, else the reference arch (or the
    first arch when the reference is not in the run)."""
    if aa:
        return lambda label: label[:-1] + "b" if label.endswith("#a") else None
    ref = REFERENCE if REFERENCE in labels else labels[0]
    return lambda label: ref if label != ref else None


def measure_point(
    cfg: SpeedConfig, point: dict[str, int], square_gflops: float, rng: random.Random
) -> list[dict[str, Any]]:
    """Tidy rows (one per contender and measure) for one grid point. Each arch's GEMM floor
    (its matmuls alone) runs in the same shuffled rounds, so % of limit is paired too."""
    I, L, T = point["input_size"], point["layers"], point["seq_len"]  # noqa: E741
    cons = contenders(cfg, point)
    ref_of = reference_of([c.label for c in cons], cfg.aa)
    rows = []
    for measure in MEASURES:
        B = 1 if measure == "infer" else point["batch"]
        floors = {
            c.arch: gemm_floor(
                get_arch(c.arch).gates, I, c.hidden, L, B, T, measure == "train", cfg.device
            )
            for c in cons
        }
        fns = {c.label: c.fns[measure] for c in cons}
        fns.update({f"gemm:{arch}": fn for arch, (fn, _) in floors.items()})
        samples, why, numbers = interleaved(fns, cfg, rng)
        for c in cons:
            fwd = flops_per_step(c.arch, I, c.hidden, L, OUTPUT) * T * B
            flops = train_flops(fwd) if measure == "train" else fwd
            s = summarise(samples[c.label])
            floor = samples[f"gemm:{c.arch}"]
            gemm_flops = floors[c.arch][1]
            # the model's GFLOP/s over the GEMMs' GFLOP/s, round by round
            of_limit = summarise([f / m for f, m in zip(floor, samples[c.label], strict=True)])
            ref = ref_of(c.label)
            ratio = summarise(paired_ratios(samples[c.label], samples[ref])) if ref else None
            achieved = flops / s.median / 1e9
            rows.append(
                {
                    **point,
                    "label": c.label,
                    "arch": c.arch,
                    "hidden_arch": c.hidden,
                    "params_total": count_params(c.model),
                    "measure": measure,
                    "measure_batch": B,
                    "median_ms": s.median * 1e3,
                    "q1_ms": s.q1 * 1e3,
                    "q3_ms": s.q3 * 1e3,
                    "rel_iqr": s.rel_iqr,
                    "rounds": s.n,
                    "calls_per_sample": numbers[c.label],
                    "stop": why,
                    "flops": flops,
                    "gflops": achieved,
                    "gemm_floor_ms": summarise(floor).median * 1e3,
                    "gemm_flops": gemm_flops,
                    "step_limit_gflops": gemm_flops / summarise(floor).median / 1e9,
                    "pct_step_limit": 100 * flops / gemm_flops * of_limit.median,
                    "square_gflops": square_gflops,
                    "pct_square": percent_of(achieved, square_gflops),
                    "ratio_to": ref,
                    "ratio_median": ratio.median if ratio else None,
                    "ratio_q1": ratio.q1 if ratio else None,
                    "ratio_q3": ratio.q3 if ratio else None,
                    "device": cfg.device,
                    "threads": cfg.threads,
                    "clock": cfg.timer,
                    # every round, in order: rounds are shared, so any two labels pair up
                    "samples_ms": tuple(v * 1e3 for v in samples[c.label]),
                }
            )
    return rows


def run_grid(
    cfg: SpeedConfig, on_point: Callable[[int, int, dict[str, int]], None] | None = None
) -> tuple[list[dict[str, Any]], GemmResult]:
    """The square GEMM's throughput, then every grid point in turn (same process, threads)."""
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    n = cfg.square
    # The machine's limit: the fastest library torch reaches at this shape, not MKL's alone.
    square = fastest_gemm(Gemm("square", n, n, n), cfg.device, clock=cfg.timer)
    rows: list[dict[str, Any]] = []
    points = cfg.points()
    for i, point in enumerate(points):
        if on_point:
            on_point(i, len(points), point)
        rows.extend(measure_point(cfg, point, square.gflops, rng))
    return rows, square


def memory_points(cfg: SpeedConfig) -> list[MemPoint]:
    """Memory against sequence length at the grid's largest hidden size and first batch."""
    I, L, B = cfg.input_size[0], cfg.layers[0], cfg.batch[0]  # noqa: E741
    archs = list(dict.fromkeys(get_arch(a).name for a in cfg.archs))
    sizes = match_hidden(archs, cfg.match, I, max(cfg.hidden), L, OUTPUT)
    return [
        MemPoint(
            arch=a,
            input_size=I,
            hidden=sizes[a],
            layers=L,
            seq_len=t,
            batch=B,
            output=OUTPUT,
            device=cfg.device,
            threads=cfg.threads,
        )
        for a in archs
        for t in cfg.mem_seq_len
    ]
