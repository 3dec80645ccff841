"""The environment fingerprint recorded with every result: versions, CPU, build, git state."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import psutil


def git_state(root: Path | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the checkout grubench runs from (None outside git)."""
    root = root or Path(__file__).resolve().parents[2]
    try:
        sha = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or None
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
        return {"git_sha": sha, "git_dirty": bool(dirty.strip()) if sha else None}
    except (OSError, subprocess.SubprocessError):
        return {"git_sha": None, "git_dirty": None}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_flags() -> dict[str, Any]:
    """How this torch was built and which backends it will pick: a speed result depends on
    them as much as on the CPU (oneDNN serves nn.LSTM on CPU, not nn.GRU)."""
    import torch

    return {
        "torch_build": f"cuda {torch.version.cuda}"
        if torch.version.cuda
        else (f"rocm {torch.version.hip}" if torch.version.hip else "cpu"),
        "torch_git": torch.version.git_version,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkldnn_enabled": torch.backends.mkldnn.enabled,
        "mkl": torch.backends.mkl.is_available(),
        "openmp": torch.backends.openmp.is_available(),
        "interop_threads": torch.get_num_interop_threads(),
        "cudnn_enabled": torch.backends.cudnn.enabled,
        "thread_env": {
            k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ
        },
    }


def environment() -> dict[str, Any]:
    """What produced a result: versions, CPU, threads, accelerator, git state."""
    import numpy
    import torch

    from grubench import __version__

    env: dict[str, Any] = {
        "grubench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_debug": torch.version.debug,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
    }
    env.update(build_flags())
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
        env["cudnn_benchmark"] = torch.backends.cudnn.benchmark
        env["cudnn_deterministic"] = torch.backends.cudnn.deterministic
        env["tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
    env.update(git_state())
    return env
