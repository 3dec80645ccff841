"""The seed's claims, each tied to an experiment and a verdict rule written here, never by hand.

(a) and the FLOPs half of (c) are exact (closed forms in grubench.models.sizing); (b), the
throughput half of (c), (d) and (e) come from training runs (studies.claims.experiments) compared
pairwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grubench.analysis.frames import paired_frame, trials_frame
from grubench.analysis.stats import Paired
from grubench.analysis.survival import logrank_p, time_to_target_frame
from grubench.analysis.verdicts import (
    NONE,
    NOT_RUN,
    Finding,
    Verdict,
    beats_baseline,
    combine,
    from_logrank,
    from_paired,
    from_ratio,
)
from grubench.models.sizing import flops_per_step, match_hidden, params_recurrent, params_total
from grubench.studies.claims.experiments import Outcome, Sweep, scaled

# Exact sizes: input features × hidden size × layers (read-out of one unit).
SIZES = [(i, h, n) for i in (1, 12, 64) for h in (16, 64, 256, 1024) for n in (1, 2)]

_SPLITS = (("n_val", 300), ("n_test", 500))
_QUICK_N = (("n_train", 1000), *_SPLITS)
_FULL_N = (("n_train", 5000), ("n_val", 1000), ("n_test", 2000))
# Timing at equal hidden size and at equal parameters; one definition serves (b) and (c).
TIMING = Sweep(
    "timing-hidden",
    "adding",
    None,
    (),
    (("length", 10), *_QUICK_N),
    match="hidden",
    hidden=64,
    epochs=20,
    target=0.02,
)
TIMING_PARAMS = scaled(TIMING, name="timing-params", match="params")
# (d): a training-set-size sweep on a real task; the task and its parameter are data.
DATA = Sweep(
    "data-size",
    "ucr:JapaneseVowels",
    "train_fraction",
    (0.1, 0.25, 0.5, 1.0),
    (),
    epochs=40,
    patience=10,
)
# (e): growing lags and counting beyond the lengths seen in training, at matched parameters.
LONG_ADDING = Sweep("long-adding", "adding", "length", (10, 40), _QUICK_N, epochs=15)
LONG_COPY = Sweep("long-copy", "copy", "delay", (5, 20), _QUICK_N)
ANBN = Sweep("anbn", "anbn", None, (), (("max_n", 10), ("max_n_test", 40), *_QUICK_N))

FULL: dict[str, dict[str, Any]] = {
    "timing-hidden": dict(seeds=10, epochs=30, fixed=(("length", 50), *_FULL_N)),
    "timing-params": dict(seeds=10, epochs=30, fixed=(("length", 50), *_FULL_N)),
    "data-size": dict(seeds=10, values=(0.05, 0.1, 0.25, 0.5, 1.0), epochs=100, patience=20),
    "long-adding": dict(seeds=10, values=(10, 25, 50, 100), epochs=40, fixed=_FULL_N),
    "long-copy": dict(seeds=10, values=(5, 10, 20, 50), epochs=40, fixed=_FULL_N),
    "anbn": dict(seeds=10, epochs=40, fixed=(("max_n", 10), ("max_n_test", 60), *_FULL_N)),
}


def sweeps(quick: bool) -> dict[str, Sweep]:
    """Every training experiment by name, scaled up unless ``quick``."""
    base = [TIMING, TIMING_PARAMS, DATA, LONG_ADDING, LONG_COPY, ANBN]
    return {s.name: s if quick else scaled(s, **FULL[s.name]) for s in base}


@dataclass(frozen=True)
class Claim:
    """A claim from the seed, the experiments it needs and the rule that judges them."""

    key: str
    text: str
    experiment: str
    needs: tuple[str, ...]  # sweep names
    judge: Callable[[dict[str, Outcome]], Verdict]


# --- exact evidence ---------------------------------------------------------------------------


def param_ratios() -> list[dict[str, Any]]:
    """GRU/LSTM parameter and FLOP ratios over SIZES, at equal hidden and at equal params."""
    rows = []
    for i, h, n in SIZES:
        hp = match_hidden(["gru", "lstm"], "params", i, h, n, 1)
        rows.append(
            {
                "input": i,
                "hidden": h,
                "layers": n,
                "params_total": params_total("gru", i, h, n, 1) / params_total("lstm", i, h, n, 1),
                "params_recurrent": params_recurrent("gru", i, h, n)
                / params_recurrent("lstm", i, h, n),
                "flops_hidden": flops_per_step("gru", i, h, n, 1)
                / flops_per_step("lstm", i, h, n, 1),
                "flops_params": flops_per_step("gru", i, hp["gru"], n, 1)
                / flops_per_step("lstm", i, hp["lstm"], n, 1),
            }
        )
    return rows


def _span(rows: list[dict[str, Any]], key: str) -> tuple[float, float]:
    vals = [r[key] for r in rows]
    return min(vals), max(vals)


def judge_params(_: dict[str, Outcome]) -> Verdict:
    rows = param_ratios()
    cond = f"equal hidden size, {len(rows)} sizes"
    return combine(
        [
            from_ratio(cond, *_span(rows, "params_total"), "total params"),
            from_ratio(cond, *_span(rows, "params_recurrent"), "recurrent params"),
        ]
    )


# --- trained evidence -------------------------------------------------------------------------


def _missing(outcomes: dict[str, Outcome], names: tuple[str, ...]) -> Verdict | None:
    absent = [n for n in names if n not in outcomes]
    if absent:
        return Verdict(NOT_RUN, f"experiment {absent[0]} not run", ())
    bad = [outcomes[n] for n in names if outcomes[n].error]
    empty = [n for n in names if not outcomes[n].records]
    if bad:
        return Verdict(NOT_RUN, bad[0].error or "experiment not run", ())
    if empty:
        return Verdict(NOT_RUN, f"no results yet for {', '.join(empty)}", ())
    return None


def paired(records: list[dict[str, Any]], column: str, direction: str) -> list[Any]:
    """The paired GRU/LSTM tests of ``column``, one per setting, as rows."""
    return list(paired_frame(records, column, direction).itertuples())


def metric_findings(
    records: list[dict[str, Any]], favoured: str, label: Callable[[str], str] = str
) -> dict[str, Finding]:
    """Per setting: the paired test-metric comparison, counted only if the winner beats the
    trivial baseline (an arch that merely fails less is no evidence about the claim)."""
    if not records:
        return {}
    frame = trials_frame(records)
    out = {}
    for setting, g in frame.groupby("setting", sort=False):
        subset = [records[i] for i in g.index]
        ok = g[g["status"] == "ok"]
        direction = str(ok["direction"].iloc[0]) if len(ok) else "min"
        learned = {
            arch: beats_baseline(ga["test_metric"], ga["baseline"].mean(), direction)
            for arch, ga in ok.groupby("arch")
        }
        for row in paired(subset, "test_metric", direction):
            out[setting] = from_paired(
                label(setting), _as_paired(row), "test metric", favoured, learned
            )
    return out


def _as_paired(row: Any) -> Paired:
    return Paired(**{k: getattr(row, k) for k in Paired.__dataclass_fields__})


def _target_finding(records: list[dict[str, Any]], condition: str) -> Finding | None:
    tt = time_to_target_frame(records)
    lr = logrank_p(records, "gru", "lstm")
    if tt.empty or lr.empty:
        return None
    by = {r.arch: r for r in tt.itertuples()}
    reached = ", ".join(f"{a.upper()} {by[a].reached}/{by[a].n}" for a in ("gru", "lstm"))
    return from_logrank(
        condition, by["gru"].rmst, by["lstm"].rmst, float(lr["p_logrank"].iloc[0]), reached
    )


MEASURE = {"seconds_per_epoch": "s/epoch", "throughput_seq_s": "throughput"}


def _timing_findings(outcomes: dict[str, Outcome], column: str, direction: str) -> list[Finding]:
    out = []
    for name, cond in (("timing-hidden", "equal hidden"), ("timing-params", "equal params")):
        what = MEASURE[column]
        for row in paired(list(outcomes[name].records), column, direction):
            out.append(from_paired(f"{what} at {cond}", _as_paired(row), what))
    return out


def judge_speed(outcomes: dict[str, Outcome]) -> Verdict:
    missing = _missing(outcomes, ("timing-hidden", "timing-params"))
    if missing:
        return missing
    findings = _timing_findings(outcomes, "seconds_per_epoch", "min")
    for name, cond in (("timing-hidden", "equal hidden"), ("timing-params", "equal params")):
        f = _target_finding(list(outcomes[name].records), f"time to target at {cond}")
        if f:
            findings.append(f)
    return combine(findings)


def judge_compute(outcomes: dict[str, Outcome]) -> Verdict:
    rows = param_ratios()
    findings = [
        from_ratio("FLOPs/step at equal hidden", *_span(rows, "flops_hidden"), "FLOPs/step"),
        from_ratio("FLOPs/step at equal params", *_span(rows, "flops_params"), "FLOPs/step"),
    ]
    missing = _missing(outcomes, ("timing-hidden", "timing-params"))
    if missing is None:
        findings += _timing_findings(outcomes, "throughput_seq_s", "max")
    else:
        findings.append(
            Finding("measured throughput", NONE, f"{missing.verdict}: {missing.condition}")
        )
    return combine(findings)


def judge_data(outcomes: dict[str, Outcome]) -> Verdict:
    """GRU significantly better on a reduced training set is for; LSTM is against. The full
    set is evidence only: the claim is about limited data."""
    missing = _missing(outcomes, ("data-size",))
    if missing:
        return missing
    sweep = outcomes["data-size"].sweep
    recs = list(outcomes["data-size"].records)
    findings, context = [], []
    top = max(sweep.values)
    for value in sweep.values:
        sub = [r for r in recs if r["task_params"].get(sweep.param) == value]
        for f in metric_findings(sub, "gru", lambda _, v=value: f"{sweep.param}={v}").values():
            (context if value == top else findings).append(f)
    verdict = combine(findings)
    return Verdict(verdict.verdict, verdict.condition, verdict.findings + tuple(context))


def judge_long(outcomes: dict[str, Outcome]) -> Verdict:
    """For each lag task its longest setting, plus anbn: LSTM significantly better is for."""
    missing = _missing(outcomes, ("long-adding", "long-copy", "anbn"))
    if missing:
        return missing
    findings, context = [], []
    for name in ("long-adding", "long-copy", "anbn"):
        sweep = outcomes[name].sweep
        longest = f"{sweep.param}={max(sweep.values)}" if sweep.param else None

        def label(setting: str, task: str = sweep.task, swept: bool = bool(sweep.param)) -> str:
            return setting if swept else f"{task} generalisation"

        for setting, f in metric_findings(list(outcomes[name].records), "lstm", label).items():
            is_long = longest is None or setting.endswith(longest)
            (findings if is_long else context).append(f)
    verdict = combine(findings)
    return Verdict(verdict.verdict, verdict.condition, verdict.findings + tuple(context))


CLAIMS = [
    Claim(
        "a",
        "GRUs have fewer parameters than LSTMs",
        "exact parameter counts at equal hidden size over 24 sizes",
        (),
        judge_params,
    ),
    Claim(
        "b",
        "so GRUs train faster",
        "adding: s/epoch and time to MSE 0.02, at equal hidden and at equal params",
        ("timing-hidden", "timing-params"),
        judge_speed,
    ),
    Claim(
        "c",
        "and cost less compute",
        "exact FLOPs/step; measured training throughput (same runs as b)",
        ("timing-hidden", "timing-params"),
        judge_compute,
    ),
    Claim(
        "d",
        "a GRU may beat an LSTM when training data are limited",
        "training-set-size sweep on a real task, equal params",
        ("data-size",),
        judge_data,
    ),
    Claim(
        "e",
        "an LSTM may be preferred for long-term dependencies",
        "adding/copy with growing T and anbn generalisation, equal params",
        ("long-adding", "long-copy", "anbn"),
        judge_long,
    ),
]
