"""``grubench speed``: time matched archs interleaved, against the machine's GEMM limit.

It registers on the shared Typer app; ``grubench.cli`` imports this module.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from grubench.cli.app import (
    DEVICE_HELP,
    Clock,
    Match,
    app,
    console,
    device_option,
    err,
    json_out,
    writable_dir,
)
from grubench.studies.speed.config import SpeedConfig as SC
from grubench.studies.speed.config import parse_ints


def _ints(values: tuple[object, ...]) -> str:
    return ",".join(map(str, values))


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
