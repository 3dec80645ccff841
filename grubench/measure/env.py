"""The environment fingerprint recorded with every result: versions, CPU, build, git state."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable
from functools import cache
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


# AMD's (family, lowest model, highest model) -> core generation, for CPUs whose model name says
# only "AMD EPYC" (cloud VMs): kernel speeds differ between generations (oneDNN's fused LSTM
# step was 2× faster on Zen 5 than on Zen 4 while the GRU's was 1.2×).
AMD_CORES = [
    (23, 0x00, 0x2F, "Zen/Zen+"),
    (23, 0x30, 0xFF, "Zen 2"),
    (25, 0x00, 0x0F, "Zen 3"),
    (25, 0x10, 0x1F, "Zen 4"),
    (25, 0x20, 0x5F, "Zen 3"),
    (25, 0x60, 0xAF, "Zen 4"),
    (26, 0x00, 0xFF, "Zen 5"),
]


def cpu_id(cpuinfo: str | None = None) -> dict[str, Any]:
    """The CPU precisely: vendor, family/model/stepping, the name it reports, AMD's core
    generation where the family and model give it, and its widest vector ISA."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    first: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            if first:
                break
            continue
        key, _, value = line.partition(":")
        first.setdefault(key.strip(), value.strip())
    out: dict[str, Any] = {
        "vendor": first.get("vendor_id"),
        "model_name": first.get("model name") or platform.processor() or platform.machine(),
    }
    for key in ("cpu family", "model", "stepping"):
        value = first.get(key, "")
        out[key.replace("cpu ", "")] = int(value) if value.isdigit() else None
    flags = set(first.get("flags", "").split())
    out["isa"] = next(
        (
            name
            for flag, name in [("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")]
            if flag in flags
        ),
        None,
    )
    out["core"] = None
    if out["vendor"] == "AuthenticAMD" and out["family"] is not None and out["model"] is not None:
        for family, low, high, name in AMD_CORES:
            if out["family"] == family and low <= out["model"] <= high:
                out["core"] = name
                break
    return out


def cpu_label(cpu: dict[str, Any]) -> str:
    """One line naming the CPU, e.g. "AMD EPYC (family 23 model 49 stepping 0, Zen 2, AVX2)"."""
    parts = [
        f"family {cpu.get('family')} model {cpu.get('model')} stepping {cpu.get('stepping')}"
        if cpu.get("family") is not None
        else None,
        cpu.get("core"),
        cpu.get("isa"),
    ]
    detail = ", ".join(p for p in parts if p)
    return f"{cpu.get('model_name')} ({detail})" if detail else str(cpu.get("model_name"))


def onednn_verbose(fn: Callable[[], Any]) -> str | None:
    """What oneDNN prints on stdout (fd 1, written by C++) while ``fn`` runs with its verbose
    mode on; None where this build cannot say."""
    import tempfile

    import torch

    if not torch.backends.mkldnn.is_available():
        return None
    with tempfile.TemporaryFile(mode="w+b") as f:
        saved = os.dup(1)
        try:
            os.dup2(f.fileno(), 1)
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                fn()
        except Exception:  # a build without verbose support: say nothing rather than fail
            return None
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        f.seek(0)
        return f.read().decode(errors="replace")


@cache  # oneDNN prints its ISA line once a process: a second reading would find nothing
def onednn_isa() -> str | None:
    """The instruction set oneDNN dispatches to here, from its verbose line ("isa:..."), read
    while a tiny LSTM (oneDNN's fused kernel on the CPU) runs; None where it says nothing."""
    import torch

    text = onednn_verbose(lambda: torch.nn.LSTM(4, 4)(torch.zeros(2, 1, 4)))
    for line in (text or "").splitlines():
        if ",isa:" in line:
            return line.split(",isa:", 1)[1].strip()
    return None


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

    cpu = cpu_id()
    env: dict[str, Any] = {
        "grubench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_debug": torch.version.debug,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": cpu["model_name"],  # the name the CPU reports (older runs compare on it)
        # The CPU precisely: "AMD EPYC" names Zen 2 and Zen 5 VMs alike.
        "cpu_label": cpu_label(cpu),
        "cpu_id": cpu,
        "onednn_isa": onednn_isa(),
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
