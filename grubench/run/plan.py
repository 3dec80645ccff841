"""A run: a suite expanded into trials, a results folder, and what is already done there."""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grubench.config import Suite, Trial, default_threads, suite_from_dict
from grubench.errors import UserError
from grubench.measure.env import environment
from grubench.measure.probe import measure as measure_probe
from grubench.run.local import RecordSink, Sink, run_local
from grubench.run.tune import FINAL, Choice, Key, choose, settle
from grubench.run.tune import as_json as tune_json
from grubench.store import (
    TRIALS,
    BadLine,
    append_trial,
    atomic_write,
    finals_only,
    latest_per_trial,
    planned,
    read_run,
    read_trials,
    write_run,
)
from grubench.tasks import get_task
from grubench.tasks.files import parse_name, read
from grubench.trial.result import TrialResult

if TYPE_CHECKING:
    import pandas as pd

RESULTS = Path("results")
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class Executor:
    """Where trials run: ``local`` processes on this machine, or ``ray`` tasks on a cluster."""

    kind: str = "local"
    address: str | None = None  # ray only: the cluster to join (None: start a local instance)

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise UserError(f"unknown executor '{self.kind}' (known: {', '.join(EXECUTORS)})")
        if self.address is not None and self.kind != "ray":
            raise UserError("--address is only for --executor ray")


@dataclass(frozen=True)
class Plan:
    """What a run will do: where it writes, every trial (tuning first), and those still to run.

    While tuning is unfinished the final trials' learning rates are not known yet: ``trials``
    and ``todo`` then hold them at the suite's rate as placeholders (right in number, not in id),
    and ``execute`` replaces them once the choice is made."""

    suite: Suite
    source: dict[str, Any]  # the validated suite as plain data, so --resume can rebuild it
    out: Path
    trials: tuple[Trial, ...]
    todo: tuple[Trial, ...]
    choices: dict[Key, Choice] | None = None  # the tuning choices the records settled on

    @property
    def settled(self) -> bool:
        """Whether the final trials' learning rates are chosen (or the suite does not tune)."""
        return self.suite.tune is None or self.choices is not None


def expand(
    suite: Suite, records: list[dict[str, Any]]
) -> tuple[list[Trial], list[Trial], dict[Key, Choice] | None]:
    """The tuning trials, the final trials and the choices (None: the finals are not settled),
    given the records already written: finals take their chosen rates once every tuning trial
    has a final record (ok or diverged; a failed one is tried again first) and no choice sits
    at an edge its grid may still grow past (``grubench.run.tune.settle``)."""
    if suite.tune is None:
        return [], suite.trials(), None
    by_id = {r["trial_id"]: r for r in latest_per_trial(records)}
    grids, tuning, choices = settle(suite, by_id)
    if choices is None:
        return tuning, suite.trials(), None
    return tuning, suite.trials({key: c.lr for key, c in choices.items()}, grids), choices


def _plan(suite: Suite, source: dict[str, Any], out: Path, records: list[dict[str, Any]]) -> Plan:
    tuning, finals, choices = expand(suite, records)
    done = {r["trial_id"] for r in latest_per_trial(records) if r["status"] in FINAL}
    trials = tuple(tuning + finals)
    todo = tuple(t for t in trials if t.id not in done)
    return Plan(suite, source, out, trials, todo, choices)


def tuning_state(choices: dict[Key, Choice], trials: list[Trial]) -> dict[str, Any]:
    """What run.json records of a settled tuning: the choices, and the ids of the trials the
    run plans with them (``trials``: tuning then finals), which are the ones its tables read."""
    return {"tuning": tune_json(choices), "trial_ids": [t.id for t in trials]}


def default_out(suite: Suite) -> Path:
    return RESULTS / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{suite.name}"


def pin_files(source: dict[str, Any], where: str) -> dict[str, Any]:
    """``source`` with each user file's SHA-256 pinned in its task entry (trial ids hash it);
    an entry already pinned (by a run that started, or by hand) must match the file now."""
    tasks = source.get("task")
    if not isinstance(tasks, list):
        return source
    pinned = []
    for t in tasks:
        name = t.get("name") if isinstance(t, dict) else None
        if isinstance(name, str) and name.startswith("file:"):
            path = parse_name(name[5:])[0]
            now = read(*parse_name(name[5:])).sha256
            then = t.get("sha256")
            if then and then != now:
                raise UserError(
                    f"{where}: file '{path}' changed since the run started (SHA-256 "
                    f"{then[:12]}… then, {now[:12]}… now)"
                )
            t = {**t, "sha256": now}
        pinned.append(t)
    return {**source, "task": pinned}


def plan_new(source: dict[str, Any], out: Path | None) -> Plan:
    """A fresh run of ``source`` (raw suite data) into ``out`` (refuses to mix with old results)."""
    suite = suite_from_dict(source, where=str(source.get("name", "suite")))
    source = pin_files(source, "cannot start")
    suite = suite_from_dict(source, where=str(source.get("name", "suite")))
    if suite.threads is None:
        # Pin the default now: trial ids hash the thread count, and a resume on a machine with
        # other cores (or with other --workers) must find the same trials.
        source = {**source, "threads": default_threads(suite.parallel)}
        suite = suite_from_dict(source, where=str(source.get("name", "suite")))
    out = out or default_out(suite)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out '{out}' exists and is not a directory")
    if (out / TRIALS).exists():
        raise UserError(f"'{out}' already holds results: use --resume {out} or another --out")
    return _plan(suite, source, out, [])


def plan_resume(out: Path, skip_bad_lines: bool = False, workers: int | None = None) -> Plan:
    """Continue the run in ``out``: the same suite, only the trials without a final result
    (``workers`` may change: it changes how many run at once, not which)."""
    if not out.exists():
        raise UserError(f"cannot resume: '{out}' does not exist")
    if not out.is_dir():
        raise UserError(f"cannot resume: '{out}' is not a results folder")
    info = read_run(out)
    if not isinstance(info.get("suite_source"), dict):
        raise UserError(f"cannot resume: '{out}' has no run.json with the suite it ran")
    source = dict(info["suite_source"])
    if workers is not None:
        source["workers"] = workers
    suite = suite_from_dict(source, where=f"{out}/run.json")
    pin_files(source, "cannot resume")
    records = read_trials(out, skip_bad_lines)[0] if (out / TRIALS).exists() else []
    return _plan(suite, source, out, records)


def start(plan: Plan, executor: Executor = Executor()) -> None:
    """Create the folder and record the suite, how it runs, the environment and the
    machine-speed probe (on the trials' thread count, while nothing else of ours runs) before
    any trial runs."""
    if executor.kind == "ray":
        from grubench.run.ray_connect import preflight

        preflight(executor.address)
    plan.out.mkdir(parents=True, exist_ok=True)
    probe = measure_probe(plan.trials[0].threads)
    info = {
        "suite": asdict(plan.suite),
        "suite_source": plan.source,
        "trial_ids": _known_ids(plan),
        "planned": len(plan.trials),
        "environment": environment(),
        "probe": probe,
        "executor": asdict(executor),
        "workers": plan.suite.parallel,  # trials at once on the local executor
        "workers_requested": plan.suite.workers,
        "serial": plan.suite.serial,  # True: the suite forced one trial at a time
        "threads": plan.suite.threads,
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    previous = read_run(plan.out)
    if previous:
        info["started_at"] = previous.get("started_at", info["started_at"])
        # The first probe describes the machine most trials ran on; later ones are kept beside it.
        info["probe"] = previous.get("probe", probe)
        info["probes_resumed"] = previous.get("probes_resumed", []) + [probe]
        info["resumed_at"] = previous.get("resumed_at", []) + [
            datetime.now().astimezone().isoformat(timespec="seconds")
        ]
    write_run(plan.out, json.loads(json.dumps(info, default=str)))


def prepare(plan: Plan, on_progress: Callable[[str, int, int], None] | None = None) -> None:
    """Do each task's one-off preparation (parsing a corpus into its cache) here, once, rather
    than in every worker at the same time; ``on_progress(task, done, total)`` follows it."""
    seen: set[tuple[str, tuple]] = set()
    for t in plan.todo:
        task = get_task(t.task)
        if task.prepare is None or (t.task, t.task_params) in seen:
            continue
        seen.add((t.task, t.task_params))
        report = None
        if on_progress is not None:
            report = lambda done, total, name=t.task: on_progress(name, done, total)  # noqa: E731
        task.prepare(dict(t.task_params), report)


def _known_ids(plan: Plan) -> list[str]:
    """The ids of the planned trials that are fixed already (placeholders left out)."""
    return [t.id for t in plan.trials if plan.settled or t.role == "tune"]


@dataclass(frozen=True)
class Efficiency:
    """How much of the workers' time went into training, over this invocation's trials: the
    sum of their training seconds over (workers × the span from the first trial's start to the
    last one's end). What is not training is process start, data, warm-up, probes, validation,
    the test pass, latency, and workers idle at the tuning barrier or the tail."""

    trials: int
    workers: int
    train_seconds: float
    wall_seconds: float
    setup_median_s: float | None  # in-process seconds before the first epoch, median

    @property
    def ratio(self) -> float | None:
        span = self.workers * self.wall_seconds
        return self.train_seconds / span if span > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}

    def line(self) -> str:
        if self.ratio is None:
            return "efficiency: no trial ran"
        setup = (
            f"; set-up median {self.setup_median_s:.2f} s a trial"
            if self.setup_median_s is not None
            else ""
        )
        return (
            f"efficiency: {self.ratio:.2f} of worker time training ({self.train_seconds:.0f} s "
            f"over {self.workers} workers × {self.wall_seconds:.0f} s, {self.trials} trials{setup})"
        )


class _Clock:
    """Watches the events and records of an execution for its Efficiency."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.train = 0.0
        self.setups: list[float] = []
        self.trials = 0
        self.slots = 1

    def event(self, ev: dict[str, Any]) -> None:
        now = time.time()
        if ev.get("event") == "start" and self.first is None:
            self.first = now
        elif ev.get("event") == "finish":
            self.last = now

    def record(self, rec: TrialResult) -> None:
        self.trials += 1
        self.train += rec.train_seconds or 0.0
        if rec.setup_seconds is not None:
            self.setups.append(rec.setup_seconds)

    def result(self) -> Efficiency:
        wall = (self.last - self.first) if self.first and self.last else 0.0
        setup = statistics.median(self.setups) if self.setups else None
        return Efficiency(self.trials, self.slots, self.train, wall, setup)


def execute(
    plan: Plan,
    on_event: Sink,
    on_record: RecordSink | None = None,
    executor: Executor = Executor(),
    tune_only: bool = False,
) -> Efficiency:
    """Run what is left, appending each result as it lands (an interrupt loses only trials in
    flight): the tuning trials first, then the final trials at the rates they chose (none with
    ``tune_only``: the choices land in run.json and the run ends there). The data
    of each (task, parameters, seed) are built once and shared by its trials (a temporary
    folder, removed at the end). Returns the run's Efficiency, also written to run.json."""
    clock = _Clock()

    def record(rec: TrialResult) -> None:
        append_trial(plan.out, rec)
        clock.record(rec)
        if on_record:
            on_record(rec)

    def event(ev: dict[str, Any]) -> None:
        clock.event(ev)
        on_event(ev)

    cache = tempfile.mkdtemp(prefix="grubench-data-")

    def run(trials: list[Trial]) -> None:
        if executor.kind == "ray":
            from grubench.run.ray_exec import run_ray

            clock.slots = run_ray(trials, record, event, executor.address, plan.suite.serial, cache)
        else:
            clock.slots = plan.suite.parallel
            run_local(trials, plan.suite.parallel, record, event, cache)

    def stored() -> list[dict[str, Any]]:
        return read_trials(plan.out)[0] if (plan.out / TRIALS).exists() else []

    try:
        first = [t for t in plan.todo if t.role == "tune"]
        run(first)
        if plan.suite.tune is not None:
            # Rounds of tuning until no choice asks for a wider grid. Failed tuning trials count
            # as the worst score here; --resume would retry them first.
            tried = {t.id for t in first}  # a failed trial waits for --resume, as before
            while True:
                by_id = {r["trial_id"]: r for r in latest_per_trial(stored())}
                grids, tuning, choices = settle(plan.suite, by_id)
                left = [t for t in tuning if by_id.get(t.id, {}).get("status") not in FINAL]
                left = [t for t in left if t.id not in tried]
                if choices is not None or not left:
                    break
                tried |= {t.id for t in left}
                # The grid grew: the plan holds more trials than it said at the start.
                event({"event": "planned", "total": len(tuning) + len(plan.suite.trials())})
                run(left)
            if choices is None:  # a tuning trial failed: choose on what there is
                choices = choose(plan.suite, by_id, grids)
            finals = plan.suite.trials({key: c.lr for key, c in choices.items()}, grids)
            if tune_only:
                finals = []
            info = read_run(plan.out) | tuning_state(choices, tuning + finals)
        else:
            info = read_run(plan.out)
            finals = plan.suite.trials()
        records = stored()
        write_run(plan.out, info)
        done = {r["trial_id"] for r in latest_per_trial(records) if r["status"] in FINAL}
        run([t for t in finals if t.id not in done])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    # The probe again once the trials are done: with the start's, it brackets the run, so a
    # machine whose speed drifted (other load on a shared runner) is seen and averaged.
    efficiency = clock.result()
    info = read_run(plan.out)
    info["probe_end"] = measure_probe(plan.trials[0].threads)
    if info.get("efficiency"):  # a resumed run: each invocation's figure is kept
        info["efficiency_earlier"] = info.get("efficiency_earlier", []) + [info["efficiency"]]
    info["efficiency"] = efficiency.as_dict()
    write_run(plan.out, info)
    return efficiency


def finish(
    out: Path, skip_bad_lines: bool = False, report: bool = True
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """What every finished run gets, whoever ran it: ``summary.csv``, the flat ``trials.csv``
    and ``history.csv``, and (unless ``report`` is false) the report. Returns the final trials'
    records (tuning trials left out) and the summary table."""
    everything = results(out, skip_bad_lines)
    return finals_only(everything), _finish(out, everything, report)


def _finish(out: Path, everything: list[dict[str, Any]], report: bool) -> pd.DataFrame:
    """``finish`` on records already read (the latest per trial, tuning included)."""
    from grubench.analysis.frames import grid_text, summary
    from grubench.outputs.flat import write_flat
    from grubench.outputs.report import write_report

    table = summary(finals_only(everything))
    flat = table.assign(lr_grid=table["lr_grid"].map(grid_text)) if "lr_grid" in table else table
    atomic_write(out / "summary.csv", flat.to_csv(index=False))
    write_flat(out, everything)  # tuning trials too: their role column tells them apart
    if report:
        write_report(out, everything)  # the records just read, not read again
    return table


@dataclass(frozen=True)
class Ran:
    """What ``execute_suite`` gives back: every trial's latest record (tuning included), the
    summary table, and, when trials ran now, how many and the run's Efficiency."""

    everything: list[dict[str, Any]]
    table: pd.DataFrame
    trials: int = 0
    efficiency: Efficiency | None = None

    @property
    def records(self) -> list[dict[str, Any]]:
        """The final trials' records (tuning trials left out)."""
        return finals_only(self.everything)


def execute_suite(
    plan: Plan,
    on_event: Sink,
    on_record: RecordSink | None = None,
    executor: Executor = Executor(),
    on_prepare: Callable[[str, int, int], None] | None = None,
    report: bool = True,
    skip_bad_lines: bool = False,
    on_start: Callable[[], None] | None = None,
) -> Ran:
    """The one way through a run: start (folder, run.json, the speed probe; then ``on_start``),
    the tasks' one-off preparation, every trial left, then what a finished run gets
    (``finish``). A plan with nothing left to run only finishes."""
    efficiency = None
    if plan.todo:
        start(plan, executor)
    if on_start is not None:
        on_start()
    if plan.todo:
        prepare(plan, on_prepare)
        efficiency = execute(plan, on_event, on_record, executor=executor)
    else:
        restate(plan)
    everything = results(plan.out, skip_bad_lines)
    table = _finish(plan.out, everything, report)
    return Ran(everything, table, efficiency.trials if efficiency else 0, efficiency)


def restate(plan: Plan) -> None:
    """Bring run.json's choices and planned finals up to the records when nothing is left to
    run. A changed tuning rule can choose a rate whose finals are already on record (run under
    an earlier choice and kept), so the resume runs nothing; the tables must then read those
    finals, not the ones the folder's last run chose. The plan settled the choices from the
    records it was made from: nothing is read or chosen again."""
    if plan.choices is None:
        return
    info = read_run(plan.out)
    now = tuning_state(plan.choices, list(plan.trials))
    if any(info.get(key) != value for key, value in now.items()):
        write_run(plan.out, info | now)


def results(out: Path, skip_bad_lines: bool = False) -> list[dict[str, Any]]:
    """The latest record of every trial the run in a results folder plans, tuning trials
    included (``store.planned``)."""
    return planned(read_trials(out, skip_bad_lines)[0], read_run(out))


@dataclass(frozen=True)
class Progress:
    """Where a run stands: each planned trial's final status, what is missing, bad lines."""

    out: Path
    planned: int
    counts: dict[str, int]  # status -> trials (ok, diverged, failed)
    missing: int  # planned trials with no record at all
    problems: tuple[dict[str, Any], ...]  # records of trials that diverged or failed
    bad_lines: tuple[BadLine, ...]


def progress(out: Path, skip_bad_lines: bool = False) -> Progress:
    """Read a results folder and say what is done, what went wrong and what --resume would run."""
    if not out.exists():
        raise UserError(f"results folder '{out}' does not exist")
    if not out.is_dir():
        raise UserError(f"'{out}' is not a results folder")
    info = read_run(out)
    records, bad = read_trials(out, skip_bad_lines) if (out / TRIALS).exists() else ([], [])
    latest = planned(records, info)
    ids = info.get("trial_ids")
    known = set(ids) if isinstance(ids, list) else {r["trial_id"] for r in latest}
    # Final trials whose learning rate tuning has not chosen yet have no id: only a count.
    total = max(len(known), info.get("planned", 0))
    counts: dict[str, int] = {}
    for r in latest:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    problems = tuple(r for r in latest if r["status"] not in ("ok",))
    missing = len(known - {r["trial_id"] for r in latest}) + total - len(known)
    return Progress(out, total, counts, missing, problems, tuple(bad))
