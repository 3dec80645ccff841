"""Deliberate faults inside a trial's worker, so the fault handling can be tested for real.

``GRUBENCH_FAULT="lstm:1=sigkill,gru:*=memory"`` makes the worker of every matching trial
(``ARCH:SEED``, ``*`` for any) fail that way before training. A diverging trial needs no hook:
a huge learning rate (``lr = 1e30``) makes the loss overflow on its own.
"""

from __future__ import annotations

import os
import signal

from grubench.errors import UserError

ENV = "GRUBENCH_FAULT"
# kind -> what it imitates
KINDS = {
    "sigkill": "the kernel's OOM killer (the worker dies by SIGKILL)",
    "memory": "a Python allocation failure (MemoryError)",
    "alloc": "a torch allocation too large for the machine (a real failed allocation)",
    "crash": "a bug in a trial (an exception)",
    "exit": "a worker that exits without a result (exit code 3)",
}


def parse(spec: str) -> dict[tuple[str, str], str]:
    """``"ARCH:SEED=KIND,..."`` -> {(arch, seed): kind}; a malformed spec is a user error."""
    out: dict[tuple[str, str], str] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        target, sep, kind = item.partition("=")
        arch, colon, seed = target.partition(":")
        if not sep or not colon or not arch or not seed or kind not in KINDS:
            raise UserError(
                f"{ENV}: cannot read '{item}' (want ARCH:SEED=KIND, KIND one of {', '.join(KINDS)})"
            )
        out[(arch, seed)] = kind
    return out


def fault_for(arch: str, seed: int, spec: str) -> str | None:
    """The fault a trial of ``arch`` and ``seed`` should suffer under ``spec``, if any."""
    table = parse(spec)
    for key in ((arch, str(seed)), (arch, "*"), ("*", str(seed)), ("*", "*")):
        if key in table:
            return table[key]
    return None


def inject(kind: str) -> None:
    """Fail the way ``kind`` says (called in the worker process only)."""
    if kind == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "memory":
        raise MemoryError("injected by " + ENV)
    elif kind == "alloc":
        import torch

        torch.empty(2**61, dtype=torch.uint8)  # 2 EiB: no machine has it
    elif kind == "crash":
        raise RuntimeError("injected crash")
    elif kind == "exit":
        os._exit(3)
