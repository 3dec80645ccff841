"""The studies that run experiments of their own: claims (and its re-tuning) and scaling.

They register on the shared Typer app; ``grubench.cli`` imports this module.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from grubench.cli.app import (
    _positive,
    app,
    console,
    err,
    studied,
    writable_dir,
    writable_file,
)
from grubench.errors import UserError
from grubench.run.suites import suite_source


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
