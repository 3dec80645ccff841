"""Commands that run suites and read their state: run, status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from grubench.cli.app import (
    DEVICE_HELP,
    FAILED,
    INTERRUPTED,
    OK,
    ExecutorKind,
    Match,
    TrialProgress,
    _positive,
    app,
    console,
    device_option,
    err,
    json_out,
    readable,
    writable_dir,
)
from grubench.errors import UserError
from grubench.run.suites import suite_source


@app.command()
def run(
    suite: str = typer.Argument(
        None, help="suite file, or a packaged suite's name (grubench suites); default: default"
    ),
    task: list[str] = typer.Option(None, "--task", "-t", help="task(s) to run instead"),
    arch: list[str] = typer.Option(None, "--arch", "-a", help="arch(s) to compare"),
    seeds: int = typer.Option(None, help="seeds per task × arch"),
    epochs: int = typer.Option(None, help="epoch cap (replaces a step budget)"),
    steps: int = typer.Option(None, help="budget in optimiser steps, the same for every arch"),
    seconds: float = typer.Option(None, help="training-time budget per trial (s)"),
    target: float = typer.Option(None, help="stop once the validation metric reaches this"),
    match: Match = typer.Option(None, help="matching rule (default params)"),
    hidden: int = typer.Option(None, help="requested hidden size (the LSTM's under params)"),
    layers: int = typer.Option(None, help="recurrent layers"),
    device: str = typer.Option(
        None, metavar=DEVICE_HELP, callback=device_option, help="where trials run"
    ),
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
    executor: ExecutorKind = typer.Option(
        ExecutorKind.local, help="local (processes here) or ray (a Ray cluster)"
    ),
    address: str = typer.Option(
        None, help="with --executor ray: the cluster to join (default: start Ray locally)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON on stdout"),
) -> None:
    """Train matched models on a suite's tasks and print the comparison table (exit 1 when
    trials failed)."""
    from grubench.config import with_overrides, without_tuning
    from grubench.run import plan as runs

    how = runs.Executor(executor.value, address)

    # Every option that says what to run, once: the positive ones checked, and all of them
    # refused with --resume (which reruns the stored suite; --workers alone may change there:
    # it sets how many trials run at once, not which).
    sizes = {
        "--seeds": seeds,
        "--epochs": epochs,
        "--steps": steps,
        "--seconds": seconds,
        "--hidden": hidden,
        "--layers": layers,
        "--threads": threads,
    }
    for name, value in {**sizes, "--workers": workers}.items():
        _positive(name, value)
    what = {"SUITE": suite, "--task": task, "--arch": arch, **sizes}
    what |= {"--target": target, "--match": match, "--device": device, "--out": out}
    what["--no-tune"] = no_tune or None
    if resume is not None:
        given = [name for name, v in what.items() if v not in (None, [], ())]
        if given:
            raise UserError(f"--resume reruns the suite stored in {resume}; drop {given[0]}")
        readable(resume, "--resume", folder=True)
        writable_dir(resume, "--resume")
        plan = runs.plan_resume(resume, skip_bad_lines, workers)
    else:
        if skip_bad_lines:
            raise UserError("--skip-bad-lines only applies with --resume DIR")
        source = with_overrides(
            suite_source(suite, task),
            archs=arch or None,
            seeds=seeds,
            match=match.value if match else None,
            hidden=hidden,
            layers=layers,
            device=device,
            threads=threads,
            workers=workers,
            epochs=epochs,
            steps=steps,
            seconds=seconds,
            target=target,
        )
        if no_tune:
            source = without_tuning(source)
        if out is not None:
            writable_dir(out, "--out")
        plan = runs.plan_new(source, out)
        writable_dir(plan.out, "--out")
    raise typer.Exit(_execute(plan, how, skip_bad_lines, as_json))


class _Preparing:
    """Tasks' one-off data preparation on stderr, only when there is work to do: a bar on a
    terminal, else one line."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.seen = False

    def __call__(self, name: str, done: int, total: int) -> None:
        if not err.is_terminal:
            if not self.seen:
                self.seen = True
                err.print(f"preparing {name} data (cached for later runs)", markup=False)
            return
        if self.bar is None:
            from grubench.outputs.render import progress

            self.bar = progress(err)
            self.bar.start()
            self.id = self.bar.add_task(f"preparing {name} data (cached)", total=total)
        self.bar.update(self.id, completed=done)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _execute(plan: Any, how: Any, skip_bad_lines: bool, as_json: bool) -> int:
    """Run the plan; the exit code: 0, 1 when trials failed, 130 when interrupted."""
    from grubench.outputs import render
    from grubench.run import plan as runs

    skipped = len(plan.trials) - len(plan.todo)
    at_once = "one at a time (the suite is serial)" if plan.suite.serial else "in parallel"

    def started() -> None:  # after the executor's checks, so a bad address is the only line
        err.print(
            f"[bold]{plan.suite.name}[/]: {len(plan.trials)} trials "
            f"({skipped} already done) → {plan.out}; {how.kind} executor, "
            f"{plan.suite.threads} threads each, "
            + (f"{plan.suite.parallel} at once" if how.kind == "local" else at_once)
        )

    preparing = _Preparing()
    try:
        with TrialProgress(len(plan.trials), skipped) as shown:
            ran = runs.execute_suite(
                plan,
                shown.on_event,
                shown.on_record,
                executor=how,
                on_prepare=preparing,
                skip_bad_lines=skip_bad_lines,
                on_start=started,
            )
    except KeyboardInterrupt:
        err.print(
            f"interrupted: finished trials are saved; continue with "
            f"grubench run --resume {plan.out}",
            markup=False,
        )
        return INTERRUPTED
    finally:
        preparing.stop()
    records, table, efficiency = ran.records, ran.table, ran.efficiency
    failed = [r for r in records if r["status"] == "failed"]
    said = _answers(records)
    if as_json:
        json_out(
            {
                "results": str(plan.out),
                "counts": _counts(records),
                "summary": table.to_dict(orient="records"),
                "problems": [_problem(r) for r in records if r["status"] != "ok"],
                "efficiency": efficiency.as_dict() if efficiency else None,
                "answers": said,
            }
        )
    else:
        console.print(render.summary_table(table, title=f"{plan.suite.name}: test metrics"))
        problems = [r for r in records if r["status"] != "ok"]
        if problems:
            console.print(render.problems_table(problems))
    err.print(
        f"results: {plan.out}/ trials.jsonl, trials.csv, history.csv, summary.csv, run.json, "
        "report.md, report.html, plots/",
        markup=False,
        highlight=False,
    )
    # The closing line a user reads: how much of the workers' time went into training.
    if efficiency is not None:
        err.print(efficiency.line(), markup=False, highlight=False)
    if not as_json:
        for line in said:  # it ends with the verdict per task, as report.md opens with it
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    if failed:
        err.print(
            f"{len(failed)} trial(s) failed: grubench status {plan.out}; retry them with "
            f"grubench run --resume {plan.out}",
            markup=False,
            highlight=False,
        )
        return FAILED
    return OK


def _answers(records: list[dict[str, Any]]) -> list[str]:
    """One answer line per task setting that ran a pair of archs (none for a single arch)."""
    from grubench.analysis.answer import answers
    from grubench.outputs.sections import answer_line, pair_archs

    pair = pair_archs(records)
    return [answer_line(a) for a in answers(records, pair)] if pair else []


def _counts(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return dict(sorted(counts.items()))


def _problem(r: dict[str, Any]) -> dict[str, Any]:
    reason = r.get("diverged_reason") if r["status"] == "diverged" else r.get("error")
    return {k: r.get(k) for k in ("trial_id", "task", "arch", "seed", "status")} | {
        "reason": reason
    }


@app.command()
def status(
    folder: Path = typer.Argument(..., help="a results folder"),
    skip_bad_lines: bool = typer.Option(
        False, "--skip-bad-lines", help="skip torn or corrupt trials.jsonl lines"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of text"),
) -> None:
    """What a run has done: trials per status, those that failed or diverged and why, and
    what --resume would run."""
    from grubench.outputs import render
    from grubench.run import plan as runs

    readable(folder, "results folder", folder=True)
    p = runs.progress(folder, skip_bad_lines)
    rerun = p.missing + p.counts.get("failed", 0)
    if as_json:
        json_out(
            {
                "results": str(p.out),
                "planned": p.planned,
                "counts": dict(sorted(p.counts.items())),
                "missing": p.missing,
                "to_run": rerun,
                "problems": [_problem(r) for r in p.problems],
                "bad_lines": [{"line": b.number, "problem": b.problem} for b in p.bad_lines],
            }
        )
        return
    counts = ", ".join(f"{n} {s}" for s, n in sorted(p.counts.items())) or "no results"
    console.print(f"{p.out}: {p.planned} trials planned: {counts}, {p.missing} missing")
    for bad in p.bad_lines:
        console.print(f"skipped line {bad.number}: {bad.problem}", highlight=False)
    if p.problems:
        console.print(render.problems_table(list(p.problems)))
    if rerun:
        console.print(f"{rerun} to run: grubench run --resume {p.out}", highlight=False)


@app.command()
def report(
    results: Path = typer.Argument(..., help="results folder (holds trials.jsonl)"),
) -> None:
    """Write report.md, a self-contained report.html and plots/ for a results folder."""
    from grubench.outputs.report import write_report

    readable(results, "results folder", folder=True)
    writable_dir(results, "results folder")
    paths = write_report(results)
    err.print(f"wrote {', '.join(map(str, paths))} and {results / 'plots'}/", markup=False)
