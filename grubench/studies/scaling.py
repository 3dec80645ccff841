"""How much faster a sweep runs with more local workers: interleaved, repeated wall-clock runs.

Each sample is a whole suite run (fresh worker processes, results written) into a throwaway
folder; worker counts alternate (1, 2, 1, 2, ...) so drifting machine load hits all of them.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grubench import SCHEMA_VERSION
from grubench.run import plan as runs
from grubench.store import atomic_write


@dataclass(frozen=True)
class Sample:
    """One timed sweep."""

    workers: int
    threads: int
    rep: int  # 0-based repetition; warm-up sweeps are not kept
    seconds: float
    trials: int
    failed: int
    load_avg: float  # the machine's 1-minute load average as the sweep ended: context for noise


@dataclass(frozen=True)
class Row:
    """Per worker count: median wall time and spread, and the speed-up over the base count."""

    workers: int
    threads: int
    n: int
    median_s: float
    min_s: float
    max_s: float
    speedup: float  # median over repetitions of (base seconds / these seconds), same rep
    speedup_min: float
    speedup_max: float


def sweep(source: dict[str, Any], workers: int, rep: int) -> Sample:
    """Run the whole suite once with ``workers`` at a time; the wall time from the first trial's
    start to the last record (threads: the suite's, or the cores split evenly)."""
    with tempfile.TemporaryDirectory(prefix="grubench-scaling-") as tmp:
        src = {**source, "workers": workers, "serial": False}
        plan = runs.plan_new(src, Path(tmp) / "run")
        ran = runs.execute_suite(plan, lambda ev: None, report=False)
        assert ran.efficiency is not None  # a new plan always has trials to run
        seconds = ran.efficiency.wall_seconds
        failed = sum(r["status"] != "ok" for r in ran.everything)
    load = os.getloadavg()[0]
    return Sample(workers, plan.suite.threads, rep, seconds, len(plan.trials), failed, load)


def measure(
    source: dict[str, Any],
    counts: list[int],
    repeats: int,
    warmup: int = 1,
    on_sample: Callable[[Sample], None] | None = None,
) -> list[Sample]:
    """``warmup`` untimed sweeps, then ``repeats`` rounds of every count in turn."""
    for _ in range(warmup):
        sweep(source, counts[0], -1)
    samples = []
    for rep in range(repeats):
        for w in counts:
            samples.append(sweep(source, w, rep))
            if on_sample:
                on_sample(samples[-1])
    return samples


def summarise(samples: list[Sample]) -> list[Row]:
    """Median and range per worker count; speed-ups are paired within a repetition."""
    counts = sorted({s.workers for s in samples})
    base = counts[0]
    by = {(s.workers, s.rep): s.seconds for s in samples}
    rows = []
    for w in counts:
        mine = [s for s in samples if s.workers == w]
        secs = [s.seconds for s in mine]
        ratios = [by[(base, s.rep)] / s.seconds for s in mine if (base, s.rep) in by]
        rows.append(
            Row(
                w,
                mine[0].threads,
                len(secs),
                statistics.median(secs),
                min(secs),
                max(secs),
                statistics.median(ratios),
                min(ratios),
                max(ratios),
            )
        )
    return rows


def save(path: Path, source: dict[str, Any], samples: list[Sample], rows: list[Row]) -> None:
    """The suite, every sample and the summary as one JSON file (written atomically)."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "suite": source,
        "samples": [asdict(s) for s in samples],
        "rows": [asdict(r) for r in rows],
    }
    atomic_write(path, json.dumps(doc, indent=2) + "\n")
