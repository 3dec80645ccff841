"""The claims' timing grid: GRU/LSTM training-step time per implementation over hidden sizes.

Three implementations, so a ratio is not mistaken for the cells' cost when it is the kernels':
torch's shipped kernels (oneDNN fuses nn.LSTM on CPU), the same kernels with oneDNN off, and one
Python loop for both cells (gru-seed against lstm-seed); CUDA/cuDNN is added where a GPU is.
Points run serially, one torch thread, on the thread's CPU clock, GRU and LSTM interleaved.

    python -m grubench.studies.speed.grid --out results/grid [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats as st

from grubench.measure.clocks import interleaved_rounds, time_calls
from grubench.measure.env import cpu_id, cpu_label, onednn_isa, onednn_verbose
from grubench.models.model import SeqModel
from grubench.models.registry import PAIR
from grubench.models.sizing import flops_per_step, match_hidden
from grubench.studies.speed.bench import OUTPUT, measure_fns


@dataclass(frozen=True)
class Impl:
    """One way to run both archs: their registry names and the kernel switches it needs."""

    name: str
    gru: str
    lstm: str
    mkldnn: bool = True
    device: str = "cpu"


IMPLS = (
    Impl("torch kernels (oneDNN on)", "gru", "lstm"),
    Impl("torch kernels, oneDNN off", "gru", "lstm", mkldnn=False),
    Impl("one Python loop (gru-seed, lstm-seed)", "gru-seed", "lstm-seed"),
)
CUDA = Impl("CUDA (cuDNN)", "gru", "lstm", device="cuda")


@dataclass(frozen=True)
class Grid:
    hidden: tuple[int, ...] = (64, 128, 256, 512)
    seq_len: tuple[int, ...] = (25, 100)
    matches: tuple[str, ...] = ("hidden", "params")
    batch: int = 64
    input_size: int = 32
    rounds: int = 7


QUICK = Grid(hidden=(64, 256), seq_len=(50,), rounds=5)


@contextlib.contextmanager
def kernels(impl: Impl) -> Iterator[None]:
    with warnings.catch_warnings():
        # torch warns about TF32 on Intel GPUs whenever these flags are set; not our case
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=impl.mkldnn):
            yield


def flop_ratio(match: str, hidden: int, grid: Grid) -> float:
    """GRU/LSTM forward FLOPs per step (the training step scales both alike)."""
    h = match_hidden(list(PAIR), match, grid.input_size, hidden, 1, OUTPUT)
    num = flops_per_step("gru", grid.input_size, h["gru"], 1, OUTPUT)
    return num / flops_per_step("lstm", grid.input_size, h["lstm"], 1, OUTPUT)


def measure(impl: Impl, match: str, hidden: int, seq_len: int, grid: Grid) -> dict[str, Any]:
    """One grid point: per-round GRU/LSTM training-step time ratios (LSTM at ``hidden``)."""
    sizes = match_hidden([impl.gru, impl.lstm], match, grid.input_size, hidden, 1, OUTPUT)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(grid.batch, seq_len, grid.input_size, generator=gen).to(impl.device)
    y = torch.randn(grid.batch, OUTPUT, generator=gen).to(impl.device)
    fns = {}
    for role, arch in (("gru", impl.gru), ("lstm", impl.lstm)):
        torch.manual_seed(0)
        model = SeqModel(arch, grid.input_size, sizes[arch], 1, OUTPUT, per_step=False)
        fns[role] = measure_fns(model.to(impl.device), x, y)["train"]
    with kernels(impl):
        if impl.device == "cuda":
            samples = {
                k: [time_calls(f, 3, "cuda") for _ in range(grid.rounds)] for k, f in fns.items()
            }
        else:
            samples = interleaved_rounds(fns, grid.rounds, clock="thread-cpu")
    logs = np.log(np.array(samples["gru"]) / np.array(samples["lstm"]))
    ci = st.t.interval(0.95, len(logs) - 1, loc=logs.mean(), scale=st.sem(logs))
    return {
        "impl": impl.name,
        "match": match,
        "hidden": hidden,
        "hidden_gru": sizes[impl.gru],
        "seq_len": seq_len,
        "gru_s": float(np.median(samples["gru"])),
        "lstm_s": float(np.median(samples["lstm"])),
        "ratio": float(math.exp(logs.mean())),
        "ratio_lo": float(math.exp(ci[0])),
        "ratio_hi": float(math.exp(ci[1])),
        "rounds": len(logs),
        "log_ratios": [float(v) for v in logs],
        "flop_ratio": flop_ratio(match, hidden, grid),
    }


def kernel_paths(archs: tuple[str, ...] = PAIR) -> dict[str, str]:
    """Which library runs each arch's training step on this CPU, observed rather than assumed:
    the oneDNN primitives one forward and backward call (hidden 64, batch 8, 5 steps, one
    thread), or none, in which case the step is torch's own loop and its GEMMs go through
    ``torch.mm`` (MKL on x86 builds). "oneDNN fuses nn.LSTM and not nn.GRU" is checked here."""
    out: dict[str, str] = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for arch in archs:
            model = SeqModel(arch, 4, 64, 1, 1, per_step=False)
            x = torch.randn(8, 5, 4)

            def step(model: Any = model, x: Any = x) -> None:
                out_, _ = model(x)
                out_.sum().backward()

            text = onednn_verbose(step)
            if text is None:
                out[arch] = "unknown (no oneDNN verbose output)"
                continue
            kinds = sorted(
                {
                    f"{f[5]} ({f[6]})"
                    for f in (line.split(",") for line in text.splitlines())
                    if len(f) > 6
                    and f[0] == "onednn_verbose"
                    and f[3] == "exec"
                    and f[5] != "reorder"
                }
            )
            out[arch] = (
                "oneDNN " + ", ".join(kinds)
                if kinds
                else "torch's step loop, GEMMs through torch.mm (MKL), no oneDNN primitive"
            )
    finally:
        torch.set_num_threads(threads)
    return out


def environment() -> dict[str, Any]:
    cuda = torch.cuda.is_available()
    cpu = cpu_id()
    return {
        "torch": torch.__version__,
        # The CPU precisely, and which library runs each arch's step on it: a verdict on the
        # shipped kernels holds for this CPU generation and these libraries.
        "cpu_label": cpu_label(cpu),
        "onednn_isa": onednn_isa(),
        "kernel_paths": kernel_paths() if not cuda else None,
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "threads": torch.get_num_threads(),
        "clock": "thread CPU time (CUDA events on GPU)",
    }


def load_or_run(grid: Grid, out: Path, execute: bool = True) -> dict[str, Any] | None:
    """The grid's results in ``out``: reused when they were measured on this very grid,
    measured now otherwise (or None when ``execute`` is off)."""
    path = out / "timing.json"
    if path.exists():
        kept = json.loads(path.read_text())
        if kept.get("grid") == json.loads(json.dumps(asdict(grid))):
            return kept
    return run(grid, out) if execute else None


def run(grid: Grid, out: Path) -> dict[str, Any]:
    """Measure every point serially and write ``timing.json`` and the crossover chart."""
    torch.set_num_threads(1)
    impls = IMPLS + ((CUDA,) if torch.cuda.is_available() else ())
    t0 = time.perf_counter()
    rows = [
        measure(impl, match, h, t, grid)
        for impl in impls
        for match in grid.matches
        for h in grid.hidden
        for t in grid.seq_len
    ]
    result = {
        "environment": environment(),
        "grid": asdict(grid),
        "wall_seconds": time.perf_counter() - t0,
        "load_after": list(_load()),  # 1, 5, 15 min load averages
        "rows": rows,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "timing.json").write_text(json.dumps(result, indent=1))
    from grubench.outputs import plots
    from grubench.studies.speed.plots import crossover

    plots.save(crossover(rows), out / "crossover.png")
    return result


def _load() -> tuple[float, float, float]:
    import os

    return os.getloadavg()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--quick", action="store_true", help="two hidden sizes, one length")
    a = ap.parse_args(argv)
    res = run(QUICK if a.quick else Grid(), a.out)
    print(f"{len(res['rows'])} points in {res['wall_seconds']:.0f} s -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
