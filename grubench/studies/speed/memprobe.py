"""Peak training memory of one (arch, shape) point, each in a fresh process, beside the size of
what autograd must keep for the backward pass.

CPU: peak RSS above the baseline taken after a warm-up on a throwaway copy (as ``run_trial``
does). CUDA: ``torch.cuda.max_memory_allocated`` above what was allocated before the step.
"""

from __future__ import annotations

import copy
import gc
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Any

from grubench.errors import UserError
from grubench.models.registry import get_arch
from grubench.models.sizing import cell_inputs

ADAM_COPIES = 4  # weights, gradients, and Adam's two moment buffers


@dataclass(frozen=True)
class MemPoint:
    arch: str
    input_size: int
    hidden: int
    layers: int
    seq_len: int
    batch: int
    output: int = 1
    device: str = "cpu"
    threads: int = 1


def saved_activation_bytes(p: MemPoint, dtype_bytes: int = 4) -> int:
    """What the backward pass needs per step and sequence: each layer's input, the previous
    hidden state, the gate activations and the arch's extra state (``Arch.extra_state``)."""
    a = get_arch(p.arch)
    block = a.layer_form == "block"
    # a block also keeps its input projection's input and the final norm's input, and per
    # layer the norm's input (the cell reads the norm's output, counted as the layer's input)
    per_seq_step = p.input_size + p.hidden if block else 0
    for i in cell_inputs(p.arch, p.input_size, p.hidden, p.layers):
        per_seq_step += i + (a.gates + a.extra_state) * p.hidden + (p.hidden if block else 0)
    return per_seq_step * p.seq_len * p.batch * dtype_bytes


def optimizer_state_bytes(params: int, dtype_bytes: int = 4) -> int:
    """Weights, gradients and Adam's two moments: independent of sequence length."""
    return ADAM_COPIES * params * dtype_bytes


def measure_here(p: MemPoint) -> dict[str, Any]:
    """Peak bytes of two training steps above the warmed-up baseline, in this process."""
    import torch
    from torch import nn

    from grubench.measure.memory import (
        peak_rss_bytes,
        release_free_memory,
        reset_peak_rss,
        rss_bytes,
    )
    from grubench.models.model import SeqModel, count_params

    torch.set_num_threads(p.threads)
    torch.manual_seed(0)
    model = SeqModel(p.arch, p.input_size, p.hidden, p.layers, p.output, per_step=False)
    model = model.to(p.device)
    x = torch.randn(p.batch, p.seq_len, p.input_size, device=p.device)
    y = torch.randn(p.batch, p.output, device=p.device)

    def steps(m: nn.Module, n: int) -> None:
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            nn.functional.mse_loss(m(x)[0], y).backward()
            opt.step()

    steps(copy.deepcopy(model), 1)  # library pages and kernel caches load here, not below
    gc.collect()
    release_free_memory()
    cuda = p.device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        reset_peak_rss()
        base = rss_bytes()
    steps(model, 2)
    if cuda:
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
    else:
        peak = peak_rss_bytes() - base
    return {"peak_bytes": peak, "baseline_bytes": base, "params": count_params(model)}


def measure_fresh(p: MemPoint, timeout: float = 300) -> dict[str, Any]:
    """``measure_here`` in a new interpreter, so earlier points' heap cannot hide this one's."""
    proc = subprocess.run(
        [sys.executable, "-m", "grubench.studies.speed.memprobe"],
        input=json.dumps(asdict(p)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"memory probe for {p.arch} at seq_len {p.seq_len} failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory_rows(points: list[MemPoint], workers: int = 2) -> list[dict[str, Any]]:
    """Measured peak and the closed-form sizes, one row per point, in MiB. Points run
    ``workers`` at a time: each peak belongs to its own process, so they cannot mix."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(measure_fresh, points))
    rows = []
    for p, got in zip(points, results, strict=True):
        rows.append(
            {
                **asdict(p),
                "peak_mb": got["peak_bytes"] / 2**20,
                "baseline_mb": got["baseline_bytes"] / 2**20,
                "saved_activations_mb": saved_activation_bytes(p) / 2**20,
                "optimizer_state_mb": optimizer_state_bytes(got["params"]) / 2**20,
                "params": got["params"],
            }
        )
    return rows


def main() -> int:
    point = MemPoint(**json.loads(sys.stdin.read()))
    print(json.dumps(measure_here(point)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
