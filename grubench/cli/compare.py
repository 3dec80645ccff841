"""``grubench compare`` and ``grubench ab``: two runs, or two revisions, with a verdict per
measure that needs a change both large and real.

They register on the shared Typer app; ``grubench.cli`` imports this module.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from grubench.cli.app import (
    FAILED,
    _positive,
    app,
    console,
    err,
    readable,
    writable_dir,
    writable_file,
)
from grubench.run.suites import suite_source

if TYPE_CHECKING:
    from grubench.studies.compare.ab import Side
    from grubench.studies.compare.load import Comparison, RunData
    from grubench.studies.compare.rows import Thresholds


@app.command()
def compare(
    base: Path = typer.Argument(
        ..., help="baseline: a results folder, trials.jsonl or summary.csv"
    ),
    new: Path = typer.Argument(..., help="the run to check, in the same forms"),
    thresholds: Path = typer.Option(None, help="TOML file of thresholds (keys as --threshold)"),
    threshold: list[str] = typer.Option(
        None, "--threshold", "-T", help="KEY=VALUE, e.g. time=0.15, metric=0.02, alpha=0.01"
    ),
    absolute: bool = typer.Option(False, help="compare raw times, not probe-normalised ones"),
    markdown: Path = typer.Option(None, help="write a Markdown report (CI summary, PR comment)"),
    as_json: bool = typer.Option(
        False, "--json", help="print the comparison as JSON on stdout instead of the table"
    ),
    json_file: Path = typer.Option(None, help="write the comparison as JSON to this file"),
    gh_benchmark: Path = typer.Option(
        None, help="write github-action-benchmark files: FILE (smaller is better), FILE-bigger"
    ),
    chart: Path = typer.Option(None, help="write a PNG of the changes against their thresholds"),
    skip_bad_lines: bool = typer.Option(False, help="skip corrupt lines in trials.jsonl"),
    allow_other_machine: bool = typer.Option(
        False, help="gate times even when the runs come from different CPUs or torch builds"
    ),
) -> None:
    """Compare NEW with BASE per task × arch × metric; exit 1 on a regression that is both
    beyond its threshold and beyond the runs' own noise, 0 otherwise, 2 on bad input, 3 on an
    internal error. Times from another machine are not gated."""
    from grubench.studies.compare.load import compare_runs, load_run, load_thresholds

    if thresholds is not None:
        readable(thresholds, "--thresholds", folder=False)
    readable(base, "BASE")
    readable(new, "NEW")
    for option, path in [
        ("--markdown", markdown),
        ("--json-file", json_file),
        ("--gh-benchmark", gh_benchmark),
        ("--chart", chart),
    ]:
        writable_file(path, option)
    th = load_thresholds(thresholds, threshold or [])
    b = load_run(base, "BASE", skip_bad_lines)
    n = load_run(new, "NEW", skip_bad_lines)
    result = compare_runs(b, n, th, absolute, allow_other_machine)
    outputs = {"markdown": markdown, "json": json_file, "gh": gh_benchmark, "chart": chart}
    if _show_comparison(result, b, n, th, outputs, as_json):
        raise typer.Exit(FAILED)


def _show_comparison(
    result: Comparison,
    b: RunData,
    n: RunData,
    th: Thresholds,
    outputs: dict[str, Path | None],
    as_json: bool = False,
) -> bool:
    """Print a comparison (the table, or JSON on stdout), write the outputs asked for; whether
    it found a regression."""
    from grubench.store import atomic_write
    from grubench.studies.compare import report
    from grubench.studies.compare.rows import regressions

    for w in result.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False, soft_wrap=True)
    if as_json:
        print(report.to_json(result, b, n, th), end="")
    else:
        console.print(report.table(result))
        for note in result.notes:
            console.print(note, highlight=False)
    if path := outputs.get("markdown"):
        atomic_write(path, report.markdown(result, b, n))
    if path := outputs.get("json"):
        atomic_write(path, report.to_json(result, b, n, th))
    if path := outputs.get("gh"):
        report.write_gh_benchmark(result, path)
    if path := outputs.get("chart"):
        report.chart(result, path)
    return bool(regressions(result.rows))


@app.command()
def ab(
    base: str = typer.Argument(..., help="the baseline revision: a commit, branch or tag"),
    new: str = typer.Argument(None, help="the revision to check (default: the working tree)"),
    suite: str = typer.Option(
        "gate", help="suite file (or name in ./tasks) to run on both; gate: fixed work per trial"
    ),
    seeds: int = typer.Option(
        None, help="seeds per task × arch, the pairs of the paired test (default: the suite's)"
    ),
    out: Path = typer.Option(None, help="results folder (default results/ab-TIME)"),
    together: bool = typer.Option(
        True,
        "--side-by-side/--one-by-one",
        help="the two trials of a pair at the same time (one core each), or one after the other",
    ),
    thresholds: Path = typer.Option(None, help="TOML file of thresholds (keys as --threshold)"),
    threshold: list[str] = typer.Option(
        None, "--threshold", "-T", help="KEY=VALUE, e.g. time=0.10, alpha=0.01"
    ),
) -> None:
    """Run the suite's trials on two code revisions on this machine in pairs (BASE and NEW side
    by side, which starts first alternating), with the same seeds and threads, and test the
    paired differences. Writes
    OUT/base, OUT/new (results folders), compare.md, compare.json, compare.png and
    gh-benchmark*.json; exit 1 on a regression, 0 otherwise, 2 on bad input, 3 on an internal
    error."""
    from datetime import datetime

    from grubench.config import with_overrides
    from grubench.studies.compare.ab import repo_root, run_ab
    from grubench.studies.compare.load import load_thresholds

    _positive("--seeds", seeds)
    started = time.perf_counter()
    if thresholds is not None:
        readable(thresholds, "--thresholds", folder=False)
    th = load_thresholds(thresholds, threshold or [])
    source = with_overrides(suite_source(suite, None), seeds=seeds, workers=1)
    out = out or Path("results") / f"ab-{datetime.now():%Y%m%d-%H%M%S}"
    writable_dir(out, "--out")

    def on_trial(done: int, total: int, side: Side, record: dict[str, Any]) -> None:
        what = f"{record['task']} {record['arch']} seed {record['seed']}"
        status = record.get("status")
        err.print(
            f"[{done}/{total}] {side.label:4} {what}: {status}", markup=False, highlight=False
        )

    result, b, n = run_ab(repo_root(Path.cwd()), base, new, source, out, th, on_trial, together)
    names = {"markdown": "compare.md", "json": "compare.json", "chart": "compare.png"}
    outputs = {k: out / v for k, v in names.items()} | {"gh": out / "gh-benchmark.json"}
    failed = _show_comparison(result, b, n, th, outputs)
    console.print(f"wall time {time.perf_counter() - started:.0f} s; results in {out}/")
    if failed:
        raise typer.Exit(FAILED)
