"""The command line: parse, call the library, render. No logic worth testing lives here."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from grubench import render
from grubench.archs import ARCHS, get_arch
from grubench.errors import UserError

# Piped output (logs, CI) gets wide tables rather than Rich's 80-column fallback.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class OneLineErrors(TyperGroup):
    """Every user mistake is one line on stderr and exit code 2, never a traceback."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: ANN001
        from typer import _click
        from typer.exceptions import Abort

        standalone = extra.pop("standalone_mode", True)
        try:
            rv = super().main(args, prog_name, standalone_mode=False, **extra)
        except (_click.exceptions.UsageError, UserError) as e:
            if not standalone:
                raise
            msg = e.format_message() if hasattr(e, "format_message") else str(e)
            err.print(f"error: {msg}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(2)
        except Abort:
            sys.exit(130)
        if standalone:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Matched GRU vs LSTM benchmarks: measurements instead of opinions.",
)


def _positive(name: str, value: int | float | None) -> None:
    if value is not None and value <= 0:
        raise UserError(f"{name} must be positive, got {value}")


def _suite_source(suite: str | None, tasks: list[str] | None) -> dict[str, Any]:
    if suite is None:
        if not tasks:
            suite = "tasks/default.toml"
        else:
            return {"name": "cli", "task": [{"name": t} for t in tasks]}
    path = Path(suite)
    if not path.exists() and not suite.endswith(".toml") and Path(f"tasks/{suite}.toml").exists():
        path = Path(f"tasks/{suite}.toml")
    from grubench.config import read_suite_file, suite_from_dict

    raw = read_suite_file(path)
    suite_from_dict(raw, where=str(path))  # the file on its own must be valid, errors name it
    if tasks:
        by_name = {t.get("name"): t for t in raw.get("task", []) if isinstance(t, dict)}
        raw["task"] = [by_name.get(t, {"name": t}) for t in tasks]
    return raw


@app.command()
def run(
    suite: str = typer.Argument(
        None, help="suite file (or name in ./tasks); default tasks/default.toml"
    ),
    task: list[str] = typer.Option(None, "--task", "-t", help="task(s) to run instead"),
    arch: list[str] = typer.Option(None, "--arch", "-a", help="arch(s) to compare"),
    seeds: int = typer.Option(None, help="seeds per task × arch"),
    epochs: int = typer.Option(None, help="epoch budget"),
    seconds: float = typer.Option(None, help="training-time budget per trial (s)"),
    target: float = typer.Option(None, help="stop once the validation metric reaches this"),
    match: str = typer.Option(None, help="matching rule: params (default) or hidden"),
    hidden: int = typer.Option(None, help="requested hidden size (the LSTM's under params)"),
    layers: int = typer.Option(None, help="recurrent layers"),
    device: str = typer.Option(None, help="cpu, cuda, cuda:N, mps or auto"),
    threads: int = typer.Option(None, help="intra-op threads per trial"),
    workers: int = typer.Option(None, help="trials run at once, each in its own process"),
    out: Path = typer.Option(None, help="results folder (default results/TIME-SUITE)"),
    resume: Path = typer.Option(None, help="finish an interrupted run in this folder"),
    skip_bad_lines: bool = typer.Option(
        False, "--skip-bad-lines", help="with --resume: skip torn or corrupt trials.jsonl lines"
    ),
    executor: str = typer.Option("local", help="local (processes here) or ray (a Ray cluster)"),
    address: str = typer.Option(
        None, help="with --executor ray: the cluster to join (default: start Ray locally)"
    ),
) -> None:
    """Train matched models on a suite's tasks and print the comparison table."""
    from grubench import runs

    how = runs.Executor(executor, address)

    for name, value in [
        ("--seeds", seeds),
        ("--epochs", epochs),
        ("--seconds", seconds),
        ("--hidden", hidden),
        ("--layers", layers),
        ("--threads", threads),
        ("--workers", workers),
    ]:
        _positive(name, value)
    if resume is not None:
        # --workers may change on resume: it sets how many trials run at once, not which.
        given = [
            name
            for name, v in [
                ("SUITE", suite),
                ("--task", task),
                ("--arch", arch),
                ("--seeds", seeds),
                ("--epochs", epochs),
                ("--seconds", seconds),
                ("--target", target),
                ("--match", match),
                ("--hidden", hidden),
                ("--layers", layers),
                ("--device", device),
                ("--threads", threads),
                ("--out", out),
            ]
            if v not in (None, [], ())
        ]
        if given:
            raise UserError(f"--resume reruns the suite stored in {resume}; drop {given[0]}")
        plan = runs.plan_resume(resume, skip_bad_lines, workers)
    else:
        if skip_bad_lines:
            raise UserError("--skip-bad-lines only applies with --resume DIR")
        source = _suite_source(suite, task)
        overrides = {
            "archs": arch or None,
            "seeds": seeds,
            "match": match,
            "hidden": hidden,
            "layers": layers,
            "device": device,
            "threads": threads,
            "workers": workers,
        }
        source.update({k: v for k, v in overrides.items() if v is not None})
        train = dict(source.get("train", {}))
        train.update(
            {
                k: v
                for k, v in {"epochs": epochs, "seconds": seconds, "target": target}.items()
                if v is not None
            }
        )
        source["train"] = train
        if seconds is not None and epochs is None:
            train["epochs"] = 10**6  # a time budget alone: the clock decides
        plan = runs.plan_new(source, out)
    _execute(plan, how, skip_bad_lines)


def _prepare(plan) -> None:  # noqa: ANN001
    """Tasks' one-off data preparation, with a progress bar only when there is work to do."""
    from grubench import runs

    state: dict[str, Any] = {}

    def on_progress(name: str, done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = render.progress(console)
            state["bar"].start()
            state["id"] = state["bar"].add_task(f"preparing {name} data (cached)", total=total)
        state["bar"].update(state["id"], completed=done)

    try:
        runs.prepare(plan, on_progress)
    finally:
        if "bar" in state:
            state["bar"].stop()


def _execute(plan, how, skip_bad_lines: bool) -> None:  # noqa: ANN001
    from grubench import runs, stats

    runs.start(plan, how)
    skipped = len(plan.trials) - len(plan.todo)
    at_once = "one at a time (the suite is serial)" if plan.suite.serial else "in parallel"
    console.print(
        f"[bold]{plan.suite.name}[/]: {len(plan.trials)} trials "
        f"({skipped} already done) → {plan.out}; {how.kind} executor, "
        f"{plan.suite.threads} threads each, "
        + (f"{plan.suite.parallel} at once" if how.kind == "local" else at_once)
    )
    _prepare(plan)
    with render.progress(console) as bar:
        overall = bar.add_task("all trials", total=len(plan.trials), completed=skipped)
        on_event = _progress_events(bar, overall)
        try:
            runs.execute(plan, on_event, executor=how)
        except KeyboardInterrupt:
            bar.stop()
            err.print(
                f"interrupted: finished trials are saved; continue with "
                f"grubench run --resume {plan.out}",
                markup=False,
            )
            raise typer.Exit(130) from None
    records = runs.results(plan.out, skip_bad_lines)
    table = stats.summary(records)
    from grubench.store import atomic_write

    atomic_write(plan.out / "summary.csv", table.to_csv(index=False))
    console.print(render.summary_table(table, title=f"{plan.suite.name}: test metrics"))
    problems = [r for r in records if r["status"] != "ok"]
    if problems:
        console.print(render.problems_table(problems))
    from grubench.report import write_report

    write_report(plan.out)
    console.print(
        f"results: {plan.out}/trials.jsonl, summary.csv, run.json, report.md, report.html, plots/"
    )


def _progress_events(bar, overall) -> Any:  # noqa: ANN001
    """An event sink that shows each running trial's epochs and advances ``overall``."""
    current: dict[str, Any] = {}

    def on_event(ev: dict[str, Any]) -> None:
        t = ev["trial"]
        label = f"  {t.task} {t.arch} seed {t.seed}"
        if ev["event"] == "start":
            current[t.id] = bar.add_task(label, total=t.budget.epochs)
        elif ev["event"] == "epoch":
            bar.update(
                current[t.id],
                completed=ev["epoch"],
                description=f"{label} val {ev['val_metric']:.4g}",
            )
        elif ev["event"] == "finish":
            bar.remove_task(current.pop(t.id))
            bar.advance(overall)

    return on_event


@app.command()
def status(
    folder: Path = typer.Argument(..., help="a results folder"),
    skip_bad_lines: bool = typer.Option(
        False, "--skip-bad-lines", help="skip torn or corrupt trials.jsonl lines"
    ),
) -> None:
    """What a run has done: trials per status, those that failed or diverged and why, and
    what --resume would run."""
    from grubench import runs

    p = runs.progress(folder, skip_bad_lines)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(p.counts.items())) or "no results"
    console.print(f"{p.out}: {p.planned} trials planned: {counts}, {p.missing} missing")
    for bad in p.bad_lines:
        console.print(f"skipped line {bad.number}: {bad.problem}", highlight=False)
    if p.problems:
        console.print(render.problems_table(list(p.problems)))
    rerun = p.missing + p.counts.get("failed", 0)
    if rerun:
        console.print(f"{rerun} to run: grubench run --resume {p.out}", highlight=False)


@app.command()
def size(
    input: int = typer.Option(..., "--input", help="input features per step"),
    hidden: int = typer.Option(..., help="requested hidden size (the LSTM's budget)"),
    layers: int = typer.Option(1, help="recurrent layers"),
    output: int = typer.Option(1, help="read-out size"),
    arch: list[str] = typer.Option(None, "--arch", help="archs (default: all)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Hidden size, parameters and FLOPs per step of every arch under each matching rule."""
    from grubench.sizing import MATCH_RULES, size_table

    for name, value in [
        ("--input", input),
        ("--hidden", hidden),
        ("--layers", layers),
        ("--output", output),
    ]:
        _positive(name, value)
    names = [get_arch(a).name for a in arch] if arch else list(ARCHS)
    rows = size_table(names, list(MATCH_RULES), input, hidden, layers, output)
    if as_json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    totals = [r.params_total for r in rows if r.rule == "params"]
    gap = (max(totals) - min(totals)) / min(totals)
    console.print(render.size_table(rows, {}))
    console.print(
        f"params rule: totals within {gap:.2%} of each other"
        + (
            ""
            if hidden >= 100 or gap <= 0.01
            else " (below hidden 100, integer sizes cannot match more closely)"
        )
    )


@app.command("tasks")
def list_tasks() -> None:
    """Registered tasks: definition, metric and direction, trivial baseline, parameters."""
    from grubench.tasks import FAMILIES, MEMBERS, TASKS

    for t in TASKS.values():
        arrow = "lower is better" if t.direction == "min" else "higher is better"
        params = ", ".join(f"{k}={p.default}" for k, p in t.params.items())
        console.print(
            f"[bold]{t.name}[/]  {t.summary}. Metric {t.metric} ({arrow}). "
            f"[dim]{t.citation}. Params: {params}[/]",
            highlight=False,
            soft_wrap=True,
        )
    for prefix, resolver in FAMILIES.items():
        doc = (resolver.__doc__ or "").strip()
        console.print(f"[bold]{prefix}:NAME[/]  {doc}", highlight=False, soft_wrap=True)
        members = MEMBERS[prefix]() if prefix in MEMBERS else []
        found = ", ".join(f"{prefix}:{m}" for m in members) or "none found on this machine"
        console.print(f"    available: {found}", highlight=False, soft_wrap=True)


@app.command("archs")
def list_archs() -> None:
    """Registered recurrent cores, one line each."""
    for a in ARCHS.values():
        console.print(f"[bold]{a.name}[/]  {a.summary}", highlight=False, soft_wrap=True)


# Commands over results and measurements live beside this file; importing them registers them.
from grubench import cli_tools  # noqa: E402, F401


def main() -> None:
    app()
