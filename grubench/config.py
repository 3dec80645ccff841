"""Suites and trials as frozen dataclasses, loaded from TOML and validated at the boundary."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from grubench.errors import UserError
from grubench.models.registry import get_arch
from grubench.models.sizing import MATCH_RULES
from grubench.tasks import get_task, resolve_params


@dataclass(frozen=True)
class Budget:
    """When training stops: whichever of epochs, seconds or the target comes first."""

    epochs: int = 10
    seconds: float | None = None
    target: float | None = None  # on the validation metric; None: the task's default
    patience: int | None = None  # early stopping: epochs without validation improvement


@dataclass(frozen=True)
class Train:
    """Optimisation settings shared by every arch of a comparison."""

    batch_size: int = 64
    lr: float = 3e-3
    clip: float = 1.0  # max global gradient norm
    forget_bias: float | None = None  # LSTM forget-gate bias (1.0: Jozefowicz et al. 2015)
    optimizer: str = "adam"  # one of OPTIMIZERS (torch defaults apart from lr)


@dataclass(frozen=True)
class Trial:
    """One model trained once with one seed: the unit of work, of storage and of --resume."""

    task: str
    task_params: tuple[tuple[str, Any], ...]
    arch: str
    seed: int
    hidden: int  # the requested size; the matching rule turns it into each arch's own
    layers: int
    match: str
    budget: Budget
    train: Train
    device: str = "cpu"
    threads: int = 1

    @property
    def id(self) -> str:
        """Stable hash of the whole spec: the same trial always gets the same id."""
        d = trial_to_dict(self)
        # Fields added later hash only when set, so results made before them keep their ids.
        for key, default in LATER_TRAIN_FIELDS.items():
            if d["train"].get(key) == default:
                del d["train"][key]
        blob = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


LATER_TRAIN_FIELDS = {"optimizer": "adam"}
OPTIMIZERS = ("adam", "rmsprop")


def trial_to_dict(t: Trial) -> dict[str, Any]:
    d = asdict(t)
    d["task_params"] = dict(t.task_params)
    return d


def record_head(trial: Trial) -> dict[str, Any]:
    """The fields every result record starts with, whether the trial finished or failed."""
    from grubench import SCHEMA_VERSION

    return {
        "schema_version": SCHEMA_VERSION,
        "trial_id": trial.id,
        "spec": trial_to_dict(trial),
        "task": trial.task,
        "task_params": dict(trial.task_params),
        "arch": trial.arch,
        "seed": trial.seed,
        "match": trial.match,
        "hidden_requested": trial.hidden,
        "layers": trial.layers,
        "device": trial.device,
        "threads": trial.threads,
    }


def trial_from_dict(d: dict[str, Any]) -> Trial:
    d = dict(d)
    d["task_params"] = tuple(sorted(d["task_params"].items()))
    d["budget"] = Budget(**d["budget"])
    d["train"] = Train(**d["train"])
    return Trial(**d)


@dataclass(frozen=True)
class TaskEntry:
    """A task in a suite with its parameters and any per-task overrides of the suite's budget."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()
    budget: Budget | None = None
    hidden: int | None = None


@dataclass(frozen=True)
class Suite:
    """A benchmark: tasks × archs × seeds under one matching rule and one training budget."""

    name: str
    tasks: tuple[TaskEntry, ...]
    archs: tuple[str, ...] = ("gru", "lstm")
    seeds: int = 3
    hidden: int = 64
    layers: int = 1
    match: str = "params"
    budget: Budget = field(default_factory=Budget)
    train: Train = field(default_factory=Train)
    device: str = "cpu"
    threads: int | None = None  # per trial; None: cores split evenly across workers
    workers: int = 1
    # Timing-sensitive suites run one trial at a time whatever --workers says: parallel trials
    # share cores and memory bandwidth and disturb each other's clocks.
    serial: bool = False
    description: str = ""
    # Each arch's own fixed hidden size (e.g. Chung et al. 2014's tanh 100, GRU 46, LSTM 36):
    # when set, it names every arch and trials use the "hidden" rule with these sizes.
    arch_hidden: tuple[tuple[str, int], ...] = ()

    @property
    def parallel(self) -> int:
        """How many trials run at once."""
        return 1 if self.serial else self.workers

    def trials(self) -> list[Trial]:
        """Expand to trials ordered task → seed → arch, so the archs of a pair run side by side."""
        threads = self.threads or default_threads(self.parallel)
        fixed = dict(self.arch_hidden)
        out = []
        for entry in self.tasks:
            for seed in range(self.seeds):
                for arch in self.archs:
                    out.append(
                        Trial(
                            entry.name,
                            entry.params,
                            arch,
                            seed,
                            fixed.get(arch, entry.hidden or self.hidden),
                            self.layers,
                            "hidden" if fixed else self.match,
                            entry.budget or self.budget,
                            self.train,
                            self.device,
                            threads,
                        )
                    )
        return out


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_threads(workers: int, cores: int | None = None) -> int:
    """Intra-op threads per trial when none are given: the cores split evenly, at least one."""
    return max(1, (cores or usable_cores()) // workers)


SUITE_KEYS = {
    "name",
    "description",
    "archs",
    "seeds",
    "hidden",
    "layers",
    "match",
    "device",
    "threads",
    "workers",
    "serial",
    "train",
    "task",
    "arch_hidden",
}
BUDGET_KEYS = {f.name for f in fields(Budget)}
TRAIN_KEYS = {f.name for f in fields(Train)}
DEVICES = ("cpu", "cuda", "mps", "auto")


def _check_type(where: str, value: Any, kinds: tuple[type, ...], bools: bool = False) -> Any:
    if (isinstance(value, bool) and not bools) or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise UserError(f"{where} must be {names}, got {value!r}")
    return value


def _positive(where: str, value: Any, kind: type = int) -> Any:
    kinds = (int, float) if kind is float else (int,)
    value = _check_type(where, value, kinds)
    if value <= 0:
        raise UserError(f"{where} must be positive, got {value}")
    return float(value) if kind is float else value


def _budget(where: str, table: dict[str, Any], base: Budget) -> Budget:
    b = {}
    for key in BUDGET_KEYS & table.keys():
        if key == "target":
            b[key] = float(_check_type(f"{where}.target", table[key], (int, float)))
        else:
            b[key] = _positive(f"{where}.{key}", table[key], float if key == "seconds" else int)
    return replace(base, **b)


def check_device(device: str) -> str:
    """Validate a device name, and resolve ``auto`` to what this machine has."""
    import torch

    base = device.split(":")[0]
    if base not in DEVICES:
        raise UserError(f"unknown device '{device}' (known: {', '.join(DEVICES)}, cuda:N)")
    if base == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if base == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device '{device}' is not available on this machine (no CUDA GPU)")
    if base == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"device '{device}' is not available on this machine")
    return device


def suite_from_dict(raw: dict[str, Any], where: str = "suite") -> Suite:
    """Build and validate a Suite from parsed TOML (or the CLI's equivalent)."""
    unknown = raw.keys() - SUITE_KEYS
    if unknown:
        raise UserError(
            f"{where}: unknown key '{sorted(unknown)[0]}' (known: {', '.join(sorted(SUITE_KEYS))})"
        )
    train_table = raw.get("train", {})
    _check_type(f"{where}: [train]", train_table, (dict,))
    bad = train_table.keys() - BUDGET_KEYS - TRAIN_KEYS
    if bad:
        raise UserError(f"{where}: unknown key 'train.{sorted(bad)[0]}'")
    budget = _budget(f"{where}: train", train_table, Budget())
    tr = {}
    for key in TRAIN_KEYS & train_table.keys() - {"optimizer"}:
        kind = int if key == "batch_size" else float
        tr[key] = _positive(f"{where}: train.{key}", train_table[key], kind)
    if "optimizer" in train_table:
        tr["optimizer"] = _check_type(f"{where}: train.optimizer", train_table["optimizer"], (str,))
        if tr["optimizer"] not in OPTIMIZERS:
            raise UserError(
                f"{where}: unknown optimizer '{tr['optimizer']}' (known: {', '.join(OPTIMIZERS)})"
            )
    archs = raw.get("archs", ["gru", "lstm"])
    if not isinstance(archs, list) or not archs:
        raise UserError(f"{where}: archs must be a non-empty list of names, got {archs!r}")
    archs = tuple(get_arch(_check_type(f"{where}: archs", a, (str,))).name for a in archs)
    match = raw.get("match", "params")
    if match not in MATCH_RULES:
        raise UserError(f"{where}: unknown matching rule '{match}' (known: params, hidden)")
    tasks = tuple(_task_entry(where, t, budget) for t in _task_tables(where, raw))
    arch_hidden = _arch_hidden(where, raw, archs, tasks)
    threads = raw.get("threads")
    return Suite(
        name=str(_check_type(f"{where}: name", raw.get("name", "suite"), (str,))),
        description=str(raw.get("description", "")),
        tasks=tasks,
        archs=archs,
        seeds=_positive(f"{where}: seeds", raw.get("seeds", 3)),
        hidden=_positive(f"{where}: hidden", raw.get("hidden", 64)),
        layers=_positive(f"{where}: layers", raw.get("layers", 1)),
        match=match,
        budget=budget,
        train=Train(**tr),
        device=check_device(_check_type(f"{where}: device", raw.get("device", "cpu"), (str,))),
        threads=None if threads is None else _positive(f"{where}: threads", threads),
        workers=_positive(f"{where}: workers", raw.get("workers", 1)),
        serial=_check_type(f"{where}: serial", raw.get("serial", False), (bool,), bools=True),
        arch_hidden=arch_hidden,
    )


def _arch_hidden(
    where: str, raw: dict[str, Any], archs: tuple[str, ...], tasks: tuple[TaskEntry, ...]
) -> tuple[tuple[str, int], ...]:
    """Validate ``arch_hidden = {arch = size, ...}``: it must size every arch of the suite (it may
    size more, so ``--arch`` can pick some), and excludes the params rule and per-task hidden
    sizes (each would contradict it)."""
    if "arch_hidden" not in raw:
        return ()
    table = _check_type(f"{where}: arch_hidden", raw["arch_hidden"], (dict,))
    sizes = {}
    for name, size in table.items():
        sizes[get_arch(name).name] = _positive(f"{where}: arch_hidden.{name}", size)
    missing = [a for a in archs if a not in sizes]
    if missing:
        raise UserError(f"{where}: arch_hidden gives no hidden size for '{missing[0]}'")
    if raw.get("match", "hidden") != "hidden":
        raise UserError(f"{where}: arch_hidden fixes each arch's size; drop match = 'params'")
    if any(t.hidden is not None for t in tasks):
        raise UserError(f"{where}: arch_hidden cannot be combined with a task's own hidden")
    return tuple(sorted((a, h) for a, h in sizes.items() if a in archs))


def _task_tables(where: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
    tables = raw.get("task")
    if not isinstance(tables, list) or not tables:
        raise UserError(f"{where}: needs at least one [[task]] table with a name")
    for t in tables:
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise UserError(f'{where}: every [[task]] needs name = "..."')
    return tables


def _task_entry(where: str, table: dict[str, Any], budget: Budget) -> TaskEntry:
    task = get_task(table["name"])
    given = {k: v for k, v in table.items() if k not in BUDGET_KEYS | {"name", "hidden"}}
    params = resolve_params(task, given)
    own = (
        _budget(f"{where}: task {task.name}", table, budget) if BUDGET_KEYS & table.keys() else None
    )
    hidden = (
        _positive(f"{where}: task {task.name}.hidden", table["hidden"])
        if "hidden" in table
        else None
    )
    return TaskEntry(table["name"], tuple(sorted(params.items())), own, hidden)


def read_suite_file(path: str | Path) -> dict[str, Any]:
    """A suite file's raw data (name defaulting to the file's stem); a missing, unreadable or
    non-TOML file is a one-line user error. ``suite_from_dict`` validates the contents."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"suite file '{p}' does not exist")
    if p.is_dir():
        raise UserError(f"suite file '{p}' is a directory")
    try:
        raw = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"suite file '{p}' is not valid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"suite file '{p}' cannot be read: {e}") from None
    raw.setdefault("name", p.stem)
    return raw


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file."""
    return suite_from_dict(read_suite_file(path), where=str(path))


TRAIN_OVERRIDES = ("epochs", "seconds", "target")


def with_overrides(source: dict[str, Any], **given: Any) -> dict[str, Any]:
    """A raw suite with command-line values laid over it (``None`` means "not given").

    Budget keys go under ``[train]``; a time budget given alone lifts the epoch cap, so the clock
    decides."""
    out = dict(source)
    train = dict(out.get("train", {}))
    for key, value in given.items():
        if value is None:
            continue
        (train if key in TRAIN_OVERRIDES else out)[key] = value
    if given.get("seconds") is not None and given.get("epochs") is None:
        train["epochs"] = 10**6
    out["train"] = train
    return out
