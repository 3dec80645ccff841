"""The two sides of a comparison: read run folders (or exported summary.csv files), group their
samples per task × arch, find what differs between the runs, and compare them."""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from grubench.errors import UserError
from grubench.measure.probe import probe_drift, probe_seconds
from grubench.store import TRIALS, finals_only, planned, read_run, read_trials
from grubench.studies.compare.groups import groups_of, task_labels, trial_probe_seconds
from grubench.studies.compare.rows import Group, Row, Thresholds, compare_groups, thresholds_from

SUMMARY = "summary.csv"
SUMMARY_COLUMNS = ("task", "arch", "metric", "direction", "n", "metric_mean", "metric_std")
# Environment fields whose difference can move the numbers (git state is expected to differ).
ENV_KEYS = ("grubench", "python", "torch", "numpy", "platform", "cpu", "cpu_count")
ENV_KEYS += ("torch_threads", "mkldnn", "cuda", "cudnn", "gpu")
DRIFT = 1.25  # start/end probe ratio beyond which a run's machine is called unsteady
# What makes two machines time the same code differently: the CPU (its reported name, and its
# family/model/stepping where recorded: VMs of two generations both say "AMD EPYC"), the
# instruction set torch and oneDNN dispatch to (cpu_flags where recorded) and the torch build.
# The GEMM probe cannot bridge them: a machine that multiplies matrices 1.8× faster need not
# train small RNNs faster.
MACHINE_KEYS = (
    "cpu",
    "cpu_label",
    "cpu_capability",
    "onednn_isa",
    "cpu_flags",
    "torch",
    "torch_git",
    "torch_build",
)


@dataclass(frozen=True)
class RunData:
    """One side of a comparison as read from disk."""

    label: str  # "BASE" or "NEW"
    path: Path
    records: tuple[dict[str, Any], ...] = ()
    summary: pd.DataFrame | None = field(default=None, compare=False)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    warnings: list[str]
    notes: list[str]
    probes: tuple[float, float] | None


def load_run(path: Path, label: str, skip_bad_lines: bool = False) -> RunData:
    """A run folder (its trials.jsonl is the source of truth), a trials.jsonl or a summary.csv."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{label} '{p}' does not exist")
    folder = p if p.is_dir() else p.parent
    if p.is_dir() and not (p / TRIALS).exists() and (p / SUMMARY).exists():
        p = p / SUMMARY
    if p.is_dir() or p.name == TRIALS or p.suffix == ".jsonl":
        records, _ = read_trials(p, skip_bad_lines)
        if not records:
            raise UserError(f"{label} '{path}' holds no trial records")
        info = read_run(folder)
        return RunData(label, Path(path), tuple(finals_only(planned(records, info))), None, info)
    if p.suffix == ".csv":
        return RunData(label, Path(path), (), _read_summary(p), read_run(folder))
    raise UserError(f"{label} '{p}' is neither a results folder, a trials.jsonl nor a summary.csv")


def _read_summary(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise UserError(f"cannot read '{path}': {str(e).splitlines()[0]}") from None
    missing = [c for c in SUMMARY_COLUMNS if c not in df.columns]
    if missing or df.empty:
        problem = f"missing column '{missing[0]}'" if missing else "no rows"
        raise UserError(f"'{path}' is not a grubench summary: {problem}")
    return df


def load_thresholds(path: Path | None, overrides: list[str]) -> Thresholds:
    """Defaults, then a TOML file's keys, then KEY=VALUE overrides from the command line."""
    th = Thresholds()
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UserError(f"thresholds file '{path}' does not exist") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise UserError(f"thresholds file '{path}' cannot be read: {e}") from None
        th = thresholds_from(th, raw.get("thresholds", raw), str(path))
    for item in overrides:
        key, sep, value = item.partition("=")
        try:
            parsed = tomllib.loads(f"v = {value.strip()}")["v"] if sep else None
        except tomllib.TOMLDecodeError:
            parsed = None
        if parsed is None:
            raise UserError(f"--threshold '{item}': expected KEY=VALUE, e.g. time=0.15")
        th = thresholds_from(th, {key.strip(): parsed}, "--threshold")
    return th


def groups(
    run: RunData, probe: str | None = None, labels: dict[tuple[str, str], str] | None = None
) -> dict[tuple[str, str], Group]:
    """Every task × arch of a run, and every task's ARCH/lstm ratios, as groups of samples;
    with ``probe`` ("trial" or "run"), time metrics also in units of that probe."""
    return groups_of(run.records, run.summary, run.info, probe, labels)


def schema_versions(run: RunData) -> set[int]:
    versions = {r.get("schema_version") for r in run.records}
    if "schema_version" in run.info:
        versions.add(run.info["schema_version"])
    return versions


def differences(base: RunData, new: RunData) -> list[str]:
    """What differs between the runs beyond the code under test: tasks, sizes, budgets, seeds,
    environment. Each is a warning: the comparison still runs, but says which."""
    out = []
    labels = task_labels(base.records + new.records)
    g0 = {k for k in groups(base, labels=labels) if "/" not in k[1]}
    g1 = {k for k in groups(new, labels=labels) if "/" not in k[1]}
    for only, side in ((g0 - g1, "BASE"), (g1 - g0, "NEW")):
        if only:
            out.append(f"only in {side}: " + ", ".join(f"{t} {a}" for t, a in sorted(only)))
    for field_name, what in (
        ("task_params", "task parameters"),
        ("hidden", "hidden size"),
        ("params_total", "parameter count"),
        ("layers", "layers"),
        ("match", "matching rule"),
        ("budget", "training budget"),
        ("threads", "threads per trial"),
        ("device", "device"),
    ):
        a, b = _per_group(base, field_name), _per_group(new, field_name)
        for key in sorted(a.keys() & b.keys()):
            if a[key] != b[key]:
                out.append(f"{what} differ for {key[0]} {key[1]}: {a[key]} vs {b[key]}")
    s0, s1 = _seeds(base), _seeds(new)
    for task in sorted(s0.keys() & s1.keys()):
        if s0[task] != s1[task]:
            out.append(f"seeds differ for {task}: {sorted(s0[task])} vs {sorted(s1[task])}")
    e0, e1 = base.info.get("environment", {}), new.info.get("environment", {})
    if e0 and e1:
        for key in ENV_KEYS:
            if e0.get(key) != e1.get(key):
                out.append(f"environment differs: {key} {e0.get(key)} vs {e1.get(key)}")
    return out


def _per_group(run: RunData, name: str) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for r in run.records:
        if r.get("status") == "ok" or name not in ("hidden", "params_total"):
            value = r.get(name) if name != "budget" else (r.get("spec") or {}).get("budget")
            if value is not None:
                out.setdefault((r["task"], r["arch"]), value)
    return out


def _seeds(run: RunData) -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for r in run.records:
        out[r["task"]].add(r["seed"])
    return out


def other_machine(base: RunData, new: RunData) -> list[str]:
    """Why the runs' times are not comparable (other CPU, ISA or torch build); [] if they are.
    A key either run did not record is not held against them."""
    e0, e1 = base.info.get("environment") or {}, new.info.get("environment") or {}
    return [
        f"{key} {e0[key]} vs {e1[key]}"
        for key in MACHINE_KEYS
        if key in e0 and key in e1 and e0[key] != e1[key]
    ]


def compare_runs(
    base: RunData,
    new: RunData,
    th: Thresholds,
    absolute: bool,
    allow_other_machine: bool = False,
    paired: bool = False,
) -> Comparison:
    """Refuse different schemas; warn on other differences; compare every shared group. Times
    from another machine are marked "not comparable" unless ``absolute`` or
    ``allow_other_machine``. ``paired``: an A/B run (the same trials, alternated on one
    machine): raw times, tested per trial pair."""
    v0, v1 = schema_versions(base), schema_versions(new)
    if v0 and v1 and v0 != v1 and not paired:
        raise UserError(
            f"cannot compare runs with different schema versions: BASE {sorted(v0)}, "
            f"NEW {sorted(v1)}; re-run the baseline with this grubench"
        )
    warnings, notes = differences(base, new), []
    source, note, warning = probe_source(base, new, absolute or paired)
    if paired:
        note = "trials alternated on this machine, times compared raw, tested per trial pair"
    notes.append(note)
    if warning:
        warnings.append(warning)
    why = [] if absolute or allow_other_machine or paired else other_machine(base, new)
    if why:
        notes.append(
            "times not comparable, not gated: the runs come from different machines ("
            + "; ".join(why)
            + "); accuracy, sizes and failures are still compared (--allow-other-machine "
            "gates the times anyway)"
        )
    for run in (base, new):
        drift = probe_drift(run.info)
        if drift is not None and abs(math.log(drift)) > math.log(DRIFT):
            warnings.append(
                f"{run.label}: the machine's speed changed during the run (GEMM probe "
                f"{drift:.2f}× as slow at the end as at the start): other load?"
            )
        if run.summary is not None:
            notes.append(f"{run.label} is a summary file: no per-seed samples, less power")
    labels = task_labels(base.records + new.records)
    rows = compare_groups(
        groups(base, source, labels),
        groups(new, source, labels),
        th,
        source is not None,
        paired,
        times_comparable=not why,
    )
    if not rows:
        raise UserError("BASE and NEW share no task × arch: nothing to compare")
    p0, p1 = probe_seconds(base.info), probe_seconds(new.info)
    return Comparison(rows, warnings, notes, (p0, p1) if p0 and p1 else None)


def probe_source(base: RunData, new: RunData, absolute: bool) -> tuple[str | None, str, str]:
    """Which probe normalises times: each trial's own where every trial of both runs has one
    (it ran under the trial's own load), else the runs', else none: (source, note, warning)."""
    p0, p1 = probe_seconds(base.info), probe_seconds(new.info)
    speed = f"; run probes BASE {p0 * 1e3:.3g} ms, NEW {p1 * 1e3:.3g} ms" if p0 and p1 else ""
    if absolute:
        return None, "times compared raw (--absolute)" + speed, ""
    ok = [r for run in (base, new) for r in run.records if r["status"] == "ok"]
    devices = {r.get("device", "cpu") for r in ok} - {"cpu"}
    if devices:
        # The probe is a CPU GEMM: it says nothing about a GPU's speed.
        note = f"times compared raw: trials on {', '.join(sorted(devices))}"
        return None, note + speed, ""
    if base.summary is None and new.summary is None and all(trial_probe_seconds(r) for r in ok):
        sizes = {r["probe"].get("n") for r in ok}
        if len(sizes) == 1:
            return "trial", "times normalised by each trial's GEMM probe" + speed, ""
        return None, "times compared raw", f"trial probes differ in size ({sorted(sizes)})"
    if p0 is None or p1 is None:
        side = "BASE" if p0 is None else "NEW"
        return None, "times compared raw", f"{side} has no speed probe: times compared raw"
    n0, n1 = base.info["probe"]["gemm"].get("n"), new.info["probe"]["gemm"].get("n")
    if n0 != n1:
        return None, "times compared raw", f"run probes differ in size ({n0} vs {n1})"
    return "run", "times normalised by the runs' GEMM probes (start and end)" + speed, ""
