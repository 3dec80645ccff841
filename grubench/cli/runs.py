"""Commands that run suites and read their state: run, status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from grubench.cli.app import _positive, _progress_events, _suite_source, app, console, err
from grubench.config import with_overrides, without_tuning
from grubench.errors import UserError
from grubench.outputs import render


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
    no_tune: bool = typer.Option(
        False,
        "--no-tune",
        help="skip the suite's learning-rate tuning: every arch trains at train.lr",
    ),
    executor: str = typer.Option("local", help="local (processes here) or ray (a Ray cluster)"),
    address: str = typer.Option(
        None, help="with --executor ray: the cluster to join (default: start Ray locally)"
    ),
) -> None:
    """Train matched models on a suite's tasks and print the comparison table."""
    from grubench.run import plan as runs

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
                ("--no-tune", no_tune or None),
            ]
            if v not in (None, [], ())
        ]
        if given:
            raise UserError(f"--resume reruns the suite stored in {resume}; drop {given[0]}")
        plan = runs.plan_resume(resume, skip_bad_lines, workers)
    else:
        if skip_bad_lines:
            raise UserError("--skip-bad-lines only applies with --resume DIR")
        source = with_overrides(
            _suite_source(suite, task),
            archs=arch or None,
            seeds=seeds,
            match=match,
            hidden=hidden,
            layers=layers,
            device=device,
            threads=threads,
            workers=workers,
            epochs=epochs,
            seconds=seconds,
            target=target,
        )
        if no_tune:
            source = without_tuning(source)
        plan = runs.plan_new(source, out)
    _execute(plan, how, skip_bad_lines)


def _prepare(plan) -> None:  # noqa: ANN001
    """Tasks' one-off data preparation, with a progress bar only when there is work to do."""
    from grubench.run import plan as runs

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
    from grubench.run import plan as runs

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
    records, table = runs.finish(plan.out, skip_bad_lines)
    console.print(render.summary_table(table, title=f"{plan.suite.name}: test metrics"))
    problems = [r for r in records if r["status"] != "ok"]
    if problems:
        console.print(render.problems_table(problems))
    console.print(
        f"results: {plan.out}/trials.jsonl, summary.csv, run.json, report.md, report.html, plots/"
    )


@app.command()
def status(
    folder: Path = typer.Argument(..., help="a results folder"),
    skip_bad_lines: bool = typer.Option(
        False, "--skip-bad-lines", help="skip torn or corrupt trials.jsonl lines"
    ),
) -> None:
    """What a run has done: trials per status, those that failed or diverged and why, and
    what --resume would run."""
    from grubench.run import plan as runs

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
