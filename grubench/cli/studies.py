"""Commands over results and measurements: report, claims, scaling, speed, compare, ab.

They register on the shared Typer app; ``grubench.cli`` imports this module.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from grubench.cli.app import (
    DEVICE_HELP,
    FAILED,
    Clock,
    Match,
    _positive,
    app,
    console,
    device_option,
    err,
    json_out,
    readable,
    studied,
    writable_dir,
    writable_file,
)
from grubench.errors import UserError
from grubench.run.suites import suite_source
from grubench.studies.speed.config import SpeedConfig as SC
from grubench.studies.speed.config import parse_ints


def _ints(values: tuple[object, ...]) -> str:
    return ",".join(map(str, values))


if TYPE_CHECKING:
    from grubench.studies.compare.ab import Side
    from grubench.studies.compare.load import Comparison, RunData
    from grubench.studies.compare.rows import Thresholds


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


@app.command()
def claims(
    quick: bool = typer.Option(False, "--quick", help="small experiments (≤ 15 min on 2 cores)"),
    out: Path = typer.Option(
        Path("results/claims"), help="results folder; finished trials there are reused"
    ),
    only: str = typer.Option(None, help="claims to judge, e.g. a,b (default: all)"),
    no_run: bool = typer.Option(
        False, "--no-run", help="judge only what the results folder already holds"
    ),
    retune: int = typer.Option(
        None,
        metavar="SEED",
        help="re-run only the tuning, on tuning seeds SEED, SEED+1…, and compare each choice "
        "with the finished run's (writes retune-SEED.md)",
    ),
) -> None:
    """Run (or reuse) the experiments behind the seed's claims and print a verdict table."""
    from grubench.outputs import render
    from grubench.studies.claims import report as cr

    started = time.perf_counter()
    cr.select(only)  # a bad --only fails before anything runs
    writable_dir(out, "--out")
    if retune is not None:
        _retune(out, quick, only, retune, not no_run)
        return
    result = studied("claims trials", lambda on: cr.run_claims(out, quick, only, on, not no_run))
    paths = cr.write_claims(result)
    console.print(render.verdict_table(cr.verdict_rows(result)))
    counts = cr.summary_line(result)
    err.print(
        f"{counts['ran']} trials run, {counts['reused']} reused; "
        f"wall time {time.perf_counter() - started:.0f} s; wrote {', '.join(map(str, paths))}"
    )


def _retune(out: Path, quick: bool, only: str | None, seed: int, execute: bool) -> None:
    from grubench.config import TUNE_SEED0
    from grubench.studies.claims import retune as rt

    if seed < TUNE_SEED0:
        raise UserError(
            f"--retune must be at least {TUNE_SEED0} (below are final seeds), got {seed}"
        )
    folder, rechecks = studied(
        "re-tuning trials", lambda on: rt.run_retune(out, quick, only, seed, on, execute)
    )
    paths = rt.write(rechecks, folder, seed)
    console.print(Path(paths[0]).read_text())
    err.print(f"wrote {', '.join(map(str, paths))}")


@app.command()
def scaling(
    suite: str = typer.Argument(..., help="suite file, or a packaged suite's name, to sweep"),
    workers: list[int] = typer.Option([1, 2], "--workers", "-w", help="worker counts to compare"),
    repeats: int = typer.Option(3, help="timed sweeps per worker count, interleaved"),
    warmup: int = typer.Option(1, help="untimed sweeps first (page cache, CPU clocks)"),
    threads: int = typer.Option(None, help="threads per trial (default: cores split evenly)"),
    out: Path = typer.Option(None, help="also write the samples and summary to this JSON file"),
) -> None:
    """Wall time of a whole sweep at each worker count, and the speed-up over the first."""
    from grubench.outputs import render
    from grubench.studies import scaling as sc

    writable_file(out, "--out")
    for name, value in [("--repeats", repeats), ("--threads", threads)]:
        _positive(name, value)
    if warmup < 0:
        raise UserError(f"--warmup must be zero or more, got {warmup}")
    for w in workers:
        _positive("--workers", w)
    source = suite_source(suite, None)
    source.pop("serial", None)
    if threads is not None:
        source["threads"] = threads
    from grubench.config import suite_from_dict

    suite_from_dict(dict(source), where=str(source.get("name")))  # fail before any sweep runs
    err.print(
        f"{source.get('name')}: {warmup} warm-up + {repeats} × {list(workers)} workers, interleaved"
    )
    samples = sc.measure(
        source,
        list(workers),
        repeats,
        warmup,
        lambda s: err.print(
            f"  rep {s.rep}: {s.workers} workers × {s.threads} threads: {s.seconds:.1f}s "
            f"({s.trials} trials, {s.failed} not ok; load average {s.load_avg:.1f})"
        ),
    )
    rows = sc.summarise(samples)
    console.print(render.scaling_table(rows))
    if out is not None:
        sc.save(out, source, samples, rows)


@app.command()
def speed(
    arch: list[str] = typer.Option(
        None, "--arch", "-a", help=f"archs, e.g. {_ints(SC.archs)} (default)"
    ),
    hidden: list[str] = typer.Option(
        None, help=f"requested hidden sizes (default {_ints(SC.hidden)})"
    ),
    seq_len: list[str] = typer.Option(
        None, "--seq-len", help=f"sequence lengths (default {_ints(SC.seq_len)})"
    ),
    batch: list[str] = typer.Option(None, help=f"batch sizes (default {_ints(SC.batch)})"),
    layers: list[str] = typer.Option(None, help=f"recurrent layers (default {_ints(SC.layers)})"),
    input: list[str] = typer.Option(
        None, "--input", help=f"input features (default {_ints(SC.input_size)})"
    ),
    match: Match = typer.Option(SC.match, help="matching rule"),
    device: str = typer.Option(
        SC.device, metavar=DEVICE_HELP, callback=device_option, help="where to time (not mps)"
    ),
    threads: int = typer.Option(
        SC.threads, help="intra-op threads for models and GEMM limits alike"
    ),
    repeats: int = typer.Option(SC.repeats, help="most interleaved rounds per point and measure"),
    min_repeats: int = typer.Option(
        SC.min_repeats, help="rounds before the IQR may stop a measure"
    ),
    rel_iqr: float = typer.Option(SC.rel_iqr, help="stop once every IQR is under this x median"),
    time_cap: float = typer.Option(SC.time_cap, help="seconds of rounds per point and measure"),
    aa: bool = typer.Option(False, "--aa", help="noise floor: each arch against its twin"),
    clock: Clock = typer.Option(
        SC.clock, help="auto: thread CPU time with 1 CPU thread, else wall"
    ),
    mem_seq_len: list[str] = typer.Option(
        None, help=f"memory sweep lengths (default {_ints(SC.mem_seq_len)})"
    ),
    memory: bool = typer.Option(True, help="measure peak memory (a fresh process per point)"),
    plots: bool = typer.Option(True, help="write plots/*.png"),
    out: Path = typer.Option(None, help="output folder (default results/speed-TIME)"),
    as_json: bool = typer.Option(False, "--json", help="print the table's rows as JSON"),
) -> None:
    """Time forward, training step and batch-1 latency of matched archs, interleaved, against
    the machine's GEMM limit; peak memory against sequence length."""
    from datetime import datetime

    from grubench.measure.clocks import resolve_device
    from grubench.measure.env import environment
    from grubench.studies.speed import bench as sp
    from grubench.studies.speed.memprobe import memory_rows
    from grubench.studies.speed.report import console_table, square_text, write_outputs

    d = SC()
    cfg = SC(
        archs=tuple(a for v in arch for a in v.split(",") if a) if arch else d.archs,
        hidden=parse_ints("--hidden", hidden, d.hidden),
        seq_len=parse_ints("--seq-len", seq_len, d.seq_len),
        batch=parse_ints("--batch", batch, d.batch),
        layers=parse_ints("--layers", layers, d.layers),
        input_size=parse_ints("--input", input, d.input_size),
        match=Match(match).value,
        device=resolve_device(device),
        threads=threads,
        repeats=repeats,
        min_repeats=min_repeats,
        rel_iqr=rel_iqr,
        time_cap=time_cap,
        aa=aa,
        clock=Clock(clock).value,
        mem_seq_len=parse_ints("--mem-seq-len", mem_seq_len, d.mem_seq_len),
    ).validate()
    out = out or Path("results") / f"speed-{datetime.now():%Y%m%d-%H%M%S}"
    started, cpu_started = time.perf_counter(), time.process_time()
    writable_dir(out, "--out")

    def on_point(i: int, n: int, point: dict[str, int]) -> None:
        shape = ", ".join(f"{k} {v}" for k, v in point.items())
        err.print(f"[{i + 1}/{n}] {shape}", markup=False, highlight=False)

    rows, square = sp.run_grid(cfg, on_point)
    env = environment()  # after run_grid set the thread count it records
    mem = []
    if memory and not aa:
        err.print("memory: a fresh process per point", markup=False)
        mem = memory_rows(sp.memory_points(cfg))
    paths = write_outputs(out, cfg, rows, square, mem, env, plots=plots)
    import pandas as pd

    kind = "A/A noise floor" if aa else "speed"
    title = (
        f"{kind}: {env.get('cpu_label') or env['cpu']}, torch {env['torch']}, {cfg.device}, "
        f"{cfg.threads} thread(s), "
        f"{cfg.timer} clock; "
        f"square GEMM {square_text(square)}"
    )
    if as_json:
        json_out({"title": title, "results": str(out), "rows": rows})
    else:
        console.print(console_table(pd.DataFrame(rows), title))
    err.print(f"results: {out}/ " + ", ".join(p.name for p in paths.values()), markup=False)
    err.print(
        f"took {time.perf_counter() - started:.0f} s wall, "
        f"{time.process_time() - cpu_started:.0f} s CPU in this process "
        f"(memory probes run in their own processes)"
    )


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
