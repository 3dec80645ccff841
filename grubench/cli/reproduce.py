"""``grubench reproduce``: published GRU-vs-LSTM results re-run beside the papers.

It registers on the shared Typer app; ``grubench.cli`` imports this module.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from grubench.cli.app import app, console, err, studied, writable_dir


@app.command()
def reproduce(
    quick: bool = typer.Option(False, "--quick", help="small set-ups (≤ 15 min on 2 cores)"),
    out: Path = typer.Option(
        Path("results/reproduce"), help="results folder; finished trials there are reused"
    ),
    only: str = typer.Option(
        None, help="set-ups to run, e.g. chung2014-jsb,adding-long (default: all)"
    ),
    no_run: bool = typer.Option(
        False, "--no-run", help="compare only what the results folder already holds"
    ),
) -> None:
    """Re-run published GRU-vs-LSTM results (Chung et al. 2014 on JSB Chorales, Weiss et al.
    2018 on aⁿbⁿ, adding at long lags) and set ours beside the papers' figures."""
    from grubench.outputs import render
    from grubench.studies.reproduce import report as rr

    started = time.perf_counter()
    rr.select(only)  # a bad --only fails before anything runs
    writable_dir(out, "--out")
    result = studied(
        "reproduce trials", lambda on: rr.run_reproduce(out, quick, only, on, not no_run)
    )
    paths = rr.write_reproduce(result)
    console.print(render.reproduce_table(rr.summary_rows(result)))
    err.print(
        f"{result.trials_run} trials run, {result.trials_reused} reused; wall time "
        f"{time.perf_counter() - started:.0f} s; wrote {', '.join(map(str, paths))}"
    )
