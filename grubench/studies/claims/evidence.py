"""Findings from the claims' measurements: timing-grid rows and trained sweeps become
verdicts.Finding objects (Holm and the claim's rule are applied by verdicts.judge), and every
verdict's scope is read from what produced the numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from grubench.analysis.findings import paired_finding, ratio_finding, time_to_target_finding
from grubench.analysis.frames import trials_frame
from grubench.analysis.learned import budget_used_by, learned_by
from grubench.analysis.survival import UNITS, logrank, observations
from grubench.analysis.verdicts import Finding
from grubench.models.registry import PAIR
from grubench.store import read_run
from grubench.studies.claims.experiments import Outcome

SHIPPED = ("torch kernels (oneDNN on)", "CUDA (cuDNN)")
ARCHS = PAIR


def timing_findings(timing: dict[str, Any], shipped: bool) -> list[Finding]:
    """GRU/LSTM training-step time ratios from the timing grid.

    ``shipped``: one condition per implementation torch ships (oneDNN CPU kernels, cuDNN) ×
    matching rule × hidden size, each over its sequence lengths: where the GRU is faster for a
    user. Otherwise one condition per same-implementation path × matching rule over every size:
    whether the GRU's arithmetic is cheaper when both run the same way.

    The unit of replication is the grid point: a condition over several points tests one mean
    log-ratio per point (its rounds are repeated measures of that point, not independent
    samples); a condition at a single point tests its interleaved rounds.
    """
    rows = [r for r in timing["rows"] if (r["impl"] in SHIPPED) == shipped]
    groups: dict[tuple[Any, ...], list[list[float]]] = {}
    for r in rows:
        key = (r["impl"], r["match"], r["hidden"]) if shipped else (r["impl"], r["match"])
        groups.setdefault(key, []).append([float(x) for x in r["log_ratios"]])
    out = []
    for key, points in groups.items():
        impl, match = key[0], key[1]
        name = f"{impl}, equal {match}" + (f", hidden {key[2]}" if shipped else "")
        if len(points) > 1:
            logs, what = [float(np.mean(p)) for p in points], "training step (grid points)"
        else:
            logs, what = points[0], "training step (rounds)"
        # "Fewer parameters, therefore faster or cheaper": equal hidden sizes keep the premise
        # (the GRU has 3/4 of the LSTM's weights) and decide; equal parameters remove it, so
        # they are context, shown and never counted.
        out.append(ratio_finding(name, logs, what, decisive=match == "hidden"))
    return out


def timing_scope(timing: dict[str, Any]) -> dict[str, Any]:
    env, grid = timing["environment"], timing["grid"]
    rows = timing["rows"]
    return {
        "device": env.get("gpu") or "CPU, 1 thread",
        # Timing grids older than these fields do not name the CPU generation or the library.
        "cpu": env.get("cpu_label") or "not recorded (the grid predates it)",
        "oneDNN ISA": env.get("onednn_isa") or "not recorded",
        "library per arch": ", ".join(
            f"{arch} {path}" for arch, path in (env.get("kernel_paths") or {}).items()
        )
        or "not recorded",
        "torch": env.get("torch"),
        "kernel paths": sorted({r["impl"] for r in rows}),
        "cuda": "measured" if env.get("gpu") else "no GPU in this run",
        "sizes": f"hidden {_span(r['hidden'] for r in rows)}, "
        f"seq {_span(r['seq_len'] for r in rows)}, batch {grid['batch']}, "
        f"input {grid['input_size']}",
        "budget": f"{grid['rounds']} interleaved rounds per point, thread CPU clock",
    }


def _span(values: Any) -> str:
    v = sorted(set(values))
    return f"{v[0]}" if len(v) == 1 else f"{v[0]}-{v[-1]}"


def sweep_findings(
    outcome: Outcome, favoured: str, decisive: Callable[[Any], bool]
) -> list[Finding]:
    """One paired GRU/LSTM test-metric finding per swept value, named ``task param=value``;
    ``decisive(value)`` says whether that value decides the claim or is context."""
    sweep = outcome.sweep
    # Tuning trials (``role = "tune"``) chose the learning rate; they are not evidence.
    records = [r for r in outcome.records if r.get("role", "final") == "final"]
    out = []
    for value in sweep.values if sweep.param else (None,):
        sub = [r for r in records if value is None or r["task_params"].get(sweep.param) == value]
        df = trials_frame(sub)
        if df.empty:
            continue
        ok = df[(df["status"] == "ok") & df["arch"].isin(ARCHS)]
        if ok.empty or ok["arch"].nunique() < 2:
            continue
        wide = ok.pivot_table(index="seed", columns="arch", values="test_metric", aggfunc="last")
        wide = wide.dropna()
        name = sweep.task + (f" {sweep.param}={value}" if sweep.param else "")
        # Every run stopped on reaching the target: its test metric says where each stopped,
        # not how good each gets, so it is context; time to target decides (target_findings).
        at_target = "stop_reason" in ok and bool(ok["stop_reason"].eq("target").all())
        out.append(
            paired_finding(
                name,
                wide["gru"].to_numpy(),
                wide["lstm"].to_numpy(),
                str(ok["direction"].iloc[0]),
                favoured,
                f"test {ok['metric'].iloc[0]}",
                learned_by(sub, ARCHS),
                decisive(value) and not at_target,
                budget_used_by(sub, ARCHS),
            )
        )
    return out


def target_findings(
    outcome: Outcome,
    units: tuple[str, ...] = ("steps", "seconds"),
    favoured: str = "gru",
    decisive: Callable[[Any], bool] = lambda v: True,
) -> list[Finding]:
    """For a sweep whose runs stop at a target: per swept value, GRU vs LSTM time to target in
    optimiser steps (what the cell needs) and in training seconds (what this implementation
    costs on this machine). Runs that never reached it are censored where they stopped."""
    sweep = outcome.sweep
    if sweep.target is None:
        return []
    records = [
        r
        for r in outcome.records
        if r.get("role", "final") == "final" and r.get("status") in ("ok", "diverged")
    ]
    out = []
    for value in sweep.values if sweep.param else (None,):
        sub = [r for r in records if value is None or r["task_params"].get(sweep.param) == value]
        df = trials_frame(sub)
        if df.empty or not set(ARCHS) <= set(df["arch"]):
            continue
        name = sweep.task + (f" {sweep.param}={value}" if sweep.param else "")
        for unit in units:
            ran = UNITS[unit][1]
            if ran not in df or df[ran].isna().any():
                continue  # records older than the unit (steps came with protocol 2)
            gru, lstm = (observations(df[df["arch"] == a], unit) for a in ARCHS)
            out.append(
                time_to_target_finding(
                    f"{name}, time to target in {unit}",
                    gru,
                    lstm,
                    unit,
                    logrank(gru, lstm),
                    decisive(value),
                    favoured,
                )
            )
    return out


def training_scope(outcomes: list[Outcome]) -> dict[str, Any]:
    """Device, build, sizes and budgets of trained experiments, as their records say."""
    recs = [r for o in outcomes for r in o.records]
    torch = next((r["versions"].get("torch") for r in recs if r.get("versions")), None)
    # ``lr`` is a record field once per-arch tuning lands; before, the spec's one rate.
    lrs = sorted({_lr(r) for r in recs if _lr(r) is not None})
    stops = sorted({str(r["stop_reason"]) for r in recs if r.get("stop_reason")})
    converged = [r["converged"] for r in recs if r.get("converged") is not None]
    seeds = sorted({o.sweep.seeds for o in outcomes})
    cpus = sorted({c for o in outcomes if (c := _cpu(o.folder))})
    # Per experiment where they differ: a committed run may hold experiments made under two
    # protocols (each record says which), or with grids fitted to the task.
    protocols = {
        o.sweep.name: sorted({r.get("protocol") or 1 for r in o.records}) for o in outcomes
    }
    grids = {o.sweep.name: list(o.sweep.lr_grid) for o in outcomes}
    return {
        "device": recs[0].get("device", "cpu") if recs else "cpu",
        "cpu": ", ".join(cpus) or "not recorded",
        "protocol": _one_or_each(protocols),
        "torch": torch,
        "kernel path": "torch nn.GRU / nn.LSTM (oneDNN on CPU)",
        "sizes": ", ".join(
            f"{o.sweep.name}: hidden {o.sweep.hidden} ({o.sweep.match})" for o in outcomes
        ),
        "budget": ", ".join(
            f"{o.sweep.name}: {o.sweep.steps} steps, patience window ≥{o.sweep.window} steps, "
            f"safety net {o.sweep.seconds or 'none'} s"
            for o in outcomes
        ),
        "seeds": seeds[0] if len(seeds) == 1 else seeds,
        "learning rate": f"tuned per arch from {_one_or_each(grids)}, chosen "
        + ", ".join(f"{v:g}" for v in lrs),
        "forget bias": outcomes[0].sweep.forget_bias,
        "stopped by": stops,
        "converged": f"{sum(converged)}/{len(converged)}" if converged else "not recorded",
        "training hours (sum of trials)": round(
            float(np.nansum([r.get("train_seconds") or 0 for r in recs])) / 3600, 2
        ),
    }


def _one_or_each(by_name: dict[str, Any]) -> str:
    """One value when every experiment shares it, else each experiment's."""
    values = list(by_name.values())
    if values and all(v == values[0] for v in values):
        v = values[0]
        return str(v[0] if isinstance(v, list) and len(v) == 1 else v)
    return ", ".join(
        f"{k}: {v[0] if isinstance(v, list) and len(v) == 1 else v}" for k, v in by_name.items()
    )


def _cpu(folder: Path) -> str | None:
    env = read_run(folder).get("environment") or {}
    return env.get("cpu_label") or env.get("cpu")


def _lr(r: dict[str, Any]) -> float | None:
    if r.get("lr") is not None:
        return float(r["lr"])
    lr = ((r.get("spec") or {}).get("train") or {}).get("lr")
    return None if lr is None else float(lr)
