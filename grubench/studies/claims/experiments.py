"""The training experiments behind the claims, as data: a task swept over one parameter, archs
matched by a rule. Each becomes an ordinary suite in its own results folder, so an interrupted
``grubench claims`` resumes and a finished one is reused."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grubench.errors import UnavailableTask, UserError
from grubench.models.registry import PAIR
from grubench.run import plan as runs
from grubench.run.local import Sink
from grubench.store import RUN, TRIALS, read_run


@dataclass(frozen=True)
class Sweep:
    """One experiment: ``task`` at each value of ``param`` (or once), GRU vs LSTM over seeds.

    Trained under protocol 2: a budget of ``steps`` optimiser steps, the same for every arch and
    every swept value (a quarter of a training set gets as many updates as all of it); patience
    over a window of at least ``patience_steps`` steps, never on the trivial plateau; the
    target, where there is one, ends a run that reached it. ``seconds`` is a safety net, sized
    never to bind: a run it cuts is marked and never counts against an arch."""

    name: str  # its results folder
    task: str
    param: str | None
    values: tuple[Any, ...]
    fixed: tuple[tuple[str, Any], ...]
    match: str = "params"
    hidden: int = 32
    seeds: int = 6
    steps: int = 1000
    target: float | None = None  # stop at this validation metric (and time it)
    patience: int = 1  # epochs; the window is the larger of this and ``patience_steps``
    patience_steps: int | None = None  # None: a fifth of ``steps``
    seconds: float | None = 600.0
    archs: tuple[str, ...] = PAIR
    workers: int = 2
    # Fair training: a learning rate searched per arch on validation loss over two tuning seeds
    # (``[tune]``, the grid growing past an edge it chooses), LSTM forget-gate bias 1.
    lr_grid: tuple[float, ...] = (1e-3, 3e-3, 1e-2)
    tune_seeds: int = 2
    forget_bias: float = 1.0
    batch_size: int | None = None  # None: the suite default (64)
    # Published set-ups fix each arch's size and the optimiser; empty/None: the suite defaults.
    arch_hidden: tuple[tuple[str, int], ...] = ()
    optimizer: str | None = None

    @property
    def window(self) -> int:
        return self.patience_steps if self.patience_steps is not None else max(1, self.steps // 5)

    def source(self) -> dict[str, Any]:
        """The suite as raw data, exactly as a TOML file would give it."""
        tasks = []
        for v in self.values if self.param else (None,):
            t = {"name": self.task, **dict(self.fixed)}
            if self.param:
                t[self.param] = v
            tasks.append(t)
        train: dict[str, Any] = {
            "steps": self.steps,
            "patience": self.patience,
            "patience_steps": self.window,
            "forget_bias": self.forget_bias,
        }
        if self.batch_size is not None:
            train["batch_size"] = self.batch_size
        if self.target is not None:
            train["target"] = self.target
        if self.seconds is not None:
            train["seconds"] = self.seconds
        if self.optimizer is not None:
            train["optimizer"] = self.optimizer
        # Only what is set, so an experiment's suite (and its reuse) is what it always was.
        sizes = {"arch_hidden": dict(self.arch_hidden)} if self.arch_hidden else {}
        return {
            "name": self.name,
            "description": f"grubench claims experiment {self.name}",
            "archs": list(self.archs),
            "seeds": self.seeds,
            "hidden": self.hidden,
            "match": self.match,
            "threads": 1,  # fixed, so trial ids (and reuse) don't depend on the machine
            "workers": self.workers,
            "train": train,
            "task": tasks,
            "tune": {"lr": list(self.lr_grid), "seeds": self.tune_seeds},
            **sizes,
        }


def scaled(sweep: Sweep, **changes: Any) -> Sweep:
    """A copy with some fields changed (full mode scales the quick experiments up)."""
    return replace(sweep, **changes)


@dataclass(frozen=True)
class Outcome:
    """What running (or reusing) one experiment gave: its records, or why it could not run."""

    sweep: Sweep
    folder: Path
    records: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    ran: int = 0  # trials run now, tuning included
    stored: int = 0  # trials in the folder afterwards, tuning included (stored - ran: reused)
    tuning: tuple[dict[str, Any], ...] = ()  # the tuning trials' records (for the wall time)


def plan(sweep: Sweep, folder: Path) -> runs.Plan:
    """A new run, or the resumption of the same experiment already in ``folder``."""
    source = sweep.source()
    if (folder / RUN).exists():
        kept = read_run(folder).get("suite_source")
        if kept != source:
            raise UserError(
                f"'{folder}' holds a different version of experiment {sweep.name}; "
                "use another --out or remove it"
            )
        return runs.plan_resume(folder)
    if (folder / TRIALS).exists():
        raise UserError(f"'{folder}' holds results without run.json; use another --out")
    return runs.plan_new(source, folder)


def run_sweep(sweep: Sweep, folder: Path, on_event: Sink, execute: bool = True) -> Outcome:
    """Run what is missing of ``sweep`` in ``folder``; a task this install lacks (say a real
    dataset family not yet present) is reported in the outcome rather than raised."""
    try:
        p = plan(sweep, folder)
    except UnavailableTask as e:
        return Outcome(sweep, folder, error=str(e))
    if not (folder / TRIALS).exists() and not (execute and p.todo):
        return Outcome(sweep, folder)  # nothing run yet, and nothing to run now
    # Trials are counted as they end: tuning may grow a grid, and so run more than planned.
    ran = runs.execute_suite(p if execute else replace(p, todo=()), on_event, report=False)
    # The latest record per trial: a retried trial's lines are one trial.
    tuning = tuple(r for r in ran.everything if r.get("role") == "tune")
    return Outcome(
        sweep, folder, tuple(ran.records), ran=ran.trials, stored=len(ran.everything), tuning=tuning
    )
