"""A task's data built once per (task, parameters, seed) and shared by every arch of that seed.

The trials of a pair run side by side in processes of their own; the first to need the data
builds them and writes them to the run's data folder, and the others load that file. A file
lock makes the second wait for the first rather than build the same data again. Data depend
only on (task, parameters, seed) (every task draws from private generators), so a loaded copy
is the built one, bit for bit.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

from grubench.tasks.base import TaskData, TaskDef

FORMAT = 1  # bump when TaskData changes shape: files of another format are rebuilt


def data_key(task: str, params: dict[str, Any], seed: int) -> str:
    blob = json.dumps([FORMAT, task, params, seed], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def build_shared(task: TaskDef, params: dict[str, Any], seed: int, folder: str | None) -> TaskData:
    """``task.build(params, seed)``, or the copy an earlier trial left in ``folder`` (None:
    always build). Loaded into ordinary memory, not mapped, so the pages are resident before
    the trial's memory baseline is taken, exactly as built data are."""
    if folder is None:
        return task.build(params, seed)
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{data_key(task.name, params, seed)}.pt"
    with open(root / f"{path.stem}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            try:
                data = torch.load(path, weights_only=False)
                if isinstance(data, TaskData):
                    return data
            except Exception:  # a damaged file is rebuilt, never trusted
                pass
        data = task.build(params, seed)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(data, tmp)
        os.replace(tmp, path)
        return data
