"""What the fork server loads once, so that every forked trial starts with it loaded.

Importing torch and grubench is most of a cold start; the first optimiser a process builds
costs as much again (``torch.optim`` pulls in ``torch._dynamo`` and sympy), and each recurrent
kernel loads code on its first call. ``warm()`` does all of that once, on a throwaway model of
every registered arch, on one thread: a parallel region would start OpenMP's thread pool, which
a forked child could not use. Each trial still sets its own thread count and runs its own
warm-up step before its memory baseline is taken.
"""

from __future__ import annotations

import gc

import torch
from torch import nn

from grubench.config import OPTIMIZERS
from grubench.models.model import SeqModel
from grubench.models.registry import ARCHS
from grubench.trial import train  # noqa: F401  (the models, tasks and measurements)


def warm() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x = torch.zeros(2, 3, 2)
        for arch in ARCHS:
            model = SeqModel(arch, 2, 4, 1, 1, per_step=False, forget_bias=1.0)
            for name in OPTIMIZERS.values():
                opt = getattr(torch.optim, name)(model.parameters(), lr=1e-3)
                out, _ = model(x)
                out.pow(2).mean().backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                opt.zero_grad(set_to_none=True)
            with torch.no_grad():
                model(x)
    finally:
        torch.set_num_threads(threads)
    # Everything loaded so far is permanent: the children's collections skip it, and do not
    # write to (and so copy) the pages it lives on.
    gc.collect()
    gc.freeze()


warm()
