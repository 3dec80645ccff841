"""Results folders built in a test: records shaped like run_trial's, with controlled noise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from grubench import SCHEMA_VERSION
from grubench.store import append_trial, write_run

# Per-arch truths of a small adding-task run on a 2-core CPU (about what smoke.toml measures).
TRUTH = {
    "gru": {"epoch": 0.12, "mse": 0.150, "mem": 14.0, "params": 4589, "latency": 0.30},
    "lstm": {"epoch": 0.10, "mse": 0.155, "mem": 9.5, "params": 4641, "latency": 0.17},
}
N_TRAIN = 1000


def record(
    arch: str,
    seed: int,
    rng: np.random.Generator,
    *,
    slow: float = 1.0,
    mse: float = 1.0,
    noise: float = 0.03,
    epochs: int = 3,
    schema: int = SCHEMA_VERSION,
    hidden: int | None = None,
    status: str = "ok",
    probe: float | None = 0.0020,
    op_probe: float | None = None,
) -> dict[str, Any]:
    """One trial: epoch times with ``noise`` relative spread, scaled by ``slow``; mse by ``mse``;
    its probe's block and single-GEMM seconds ``probe`` and ``op_probe`` (default: the same)."""
    t = TRUTH[arch]
    times = [t["epoch"] * slow * float(rng.lognormal(0, noise)) for _ in range(epochs)]
    return {
        "schema_version": schema,
        "trial_id": f"{arch}-{seed}",
        "spec": {"budget": {"epochs": epochs}, "train": {"batch_size": 64}},
        "task": "adding",
        "task_params": {"length": 30},
        "arch": arch,
        "seed": seed,
        "match": "params",
        "hidden": hidden or (37 if arch == "gru" else 32),
        "layers": 1,
        "params_total": t["params"],
        "metric": "mse",
        "direction": "min",
        "test_metric": t["mse"] * mse * float(rng.lognormal(0, 0.005)),
        "epochs_run": epochs,
        "train_seconds": sum(times),
        "throughput_seq_s": N_TRAIN * epochs / sum(times),
        "infer_latency_ms": t["latency"] * slow * float(rng.lognormal(0, noise)),
        "peak_mem_mb": t["mem"] * float(rng.lognormal(0, 0.02)),
        "probe": None
        if probe is None
        else {
            "n": 256,
            "seconds": probe * float(rng.lognormal(0, 0.01)),
            "op_seconds": op_probe or probe,
        },
        "history": [{"epoch": i + 1, "epoch_seconds": s} for i, s in enumerate(times)],
        "status": status,
        "threads": 1,
        "device": "cpu",
    }


def make_run(
    out: Path,
    rng_seed: int,
    *,
    seeds: int = 2,
    probe: float | None = 0.0020,
    trial_probes: bool = True,
    torch_version: str = "2.13.0",
    **kw: Any,
) -> Path:
    """A results folder with run.json (environment, run probe) and gru + lstm trials (with
    their own probes unless ``trial_probes`` is false)."""
    rng = np.random.default_rng(rng_seed)
    out.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {"environment": {"torch": torch_version, "cpu": "test CPU"}}
    if probe is not None:
        info["probe"] = {"gemm": {"n": 256, "threads": 1, "seconds": probe, "op_seconds": probe}}
    write_run(out, info)
    for seed in range(seeds):
        for arch in ("gru", "lstm"):
            append_trial(out, record(arch, seed, rng, probe=probe if trial_probes else None, **kw))
    return out
