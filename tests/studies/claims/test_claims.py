"""Claims: exact evidence from sizing, and each verdict rule applied to synthetic evidence."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fake_records import paired_records

from grubench.analysis.verdicts import CONTRADICTED, DEPENDS, NOT_RUN, SUPPORTED
from grubench.studies.claims.experiments import Outcome
from grubench.studies.claims.judge import (
    ANBN,
    CLAIMS,
    DATA,
    LONG_ADDING,
    LONG_COPY,
    TIMING,
    TIMING_PARAMS,
    judge_compute,
    judge_data,
    judge_long,
    judge_params,
    judge_speed,
    param_ratios,
    sweeps,
)

NOISE = np.array([0.01, -0.01, 0.02, -0.02, 0.005, -0.005])


def outcome(sweep, records):
    return Outcome(sweep, Path("/nowhere") / sweep.name, tuple(records))


def sweep_records(sweep, per_value):
    """Paired records for each swept value: {value: (gru metrics, lstm metrics)}."""
    out = []
    for value, (g, m) in per_value.items():
        params = {sweep.param: value} if sweep.param else {"max_n": 10}
        task = sweep.task
        direction = "max" if task == "anbn" else "min"
        out += paired_records(list(g), list(m), task=task, params=params, direction=direction)
    return out


def test_gru_has_three_quarters_of_the_lstm_recurrent_parameters_at_every_size():
    rows = param_ratios()
    assert len(rows) == 24
    assert all(r["params_recurrent"] == pytest.approx(0.75) for r in rows)
    assert all(0.75 <= r["params_total"] < 0.76 for r in rows)
    assert all(abs(r["flops_params"] - 1) < 0.05 for r in rows)
    assert judge_params({}).verdict == SUPPORTED


def test_compute_depends_on_the_matching_rule_even_before_any_training():
    v = judge_compute({})
    assert v.verdict == DEPENDS
    assert v.condition == "holds for FLOPs/step at equal hidden"


def test_data_sweep_rule_on_the_synthetic_adding_n_train_sweep():
    small = replace(DATA, task="adding", param="n_train", values=(100, 1000, 4000))
    lstm = np.full(6, 0.10) + NOISE
    recs = sweep_records(
        small,
        {100: (lstm - 0.05, lstm), 1000: (lstm + NOISE, lstm), 4000: (lstm + 0.05, lstm)},
    )
    v = judge_data({"data-size": outcome(small, recs)})
    assert v.verdict == DEPENDS
    assert v.condition == "holds for n_train=100"
    # The full training set is reported but does not count: the claim is about limited data.
    assert [f.condition for f in v.findings] == ["n_train=100", "n_train=1000", "n_train=4000"]
    worse = sweep_records(small, {100: (lstm + 0.05, lstm), 1000: (lstm + 0.05, lstm)})
    assert judge_data({"data-size": outcome(small, worse)}).verdict == CONTRADICTED


def test_data_claim_is_not_run_when_the_real_task_is_missing():
    missing = Outcome(DATA, Path("/x"), error="unknown task 'ucr:JapaneseVowels'")
    v = judge_data({"data-size": missing})
    assert v.verdict == NOT_RUN and "ucr:JapaneseVowels" in v.condition


def test_long_dependency_rule_counts_the_longest_lag_and_anbn():
    base = np.full(6, 0.1) + NOISE
    short, long = LONG_ADDING.values
    adding = sweep_records(LONG_ADDING, {short: (base, base + 0.05), long: (base + 0.05, base)})
    c_short, c_long = LONG_COPY.values
    copy = sweep_records(LONG_COPY, {c_short: (base, base + NOISE), c_long: (base + NOISE, base)})
    anbn = sweep_records(ANBN, {None: (np.full(6, 12.0) + NOISE, np.full(6, 12.0))})
    outcomes = {
        "long-adding": outcome(LONG_ADDING, adding),
        "long-copy": outcome(LONG_COPY, copy),
        "anbn": outcome(ANBN, anbn),
    }
    v = judge_long(outcomes)
    assert v.verdict == DEPENDS
    assert v.condition == f"holds for adding length={long}"
    assert len(v.findings) == 5  # 3 counted, the 2 shorter lags as context


def test_speed_rule_on_constructed_timings():
    def timed(sweep, gru_s, lstm_s):
        recs = []
        for seed, (g, m) in enumerate(zip(gru_s, lstm_s, strict=True)):
            recs += paired_records([0.1], [0.1], sec_per_epoch=g)[:1]
            recs += paired_records([0.1], [0.1], sec_per_epoch=m)[1:]
            recs[-2]["seed"] = recs[-1]["seed"] = seed
        return outcome(sweep, recs)

    lstm = [1.0 + 0.01 * i for i in range(6)]
    gru = [0.5 * s for s in lstm]
    v = judge_speed(
        {
            "timing-hidden": timed(TIMING, gru, lstm),
            "timing-params": timed(TIMING_PARAMS, gru, lstm),
        }
    )
    assert v.verdict == DEPENDS  # faster per epoch, no evidence on time to target
    assert v.condition == "holds for s/epoch at equal hidden, s/epoch at equal params"
    slower = judge_speed(
        {
            "timing-hidden": timed(TIMING, lstm, gru),
            "timing-params": timed(TIMING_PARAMS, lstm, gru),
        }
    )
    assert slower.verdict == CONTRADICTED


def test_every_claim_has_a_rule_and_full_mode_scales_the_quick_experiments():
    assert [c.key for c in CLAIMS] == ["a", "b", "c", "d", "e"]
    quick, full = sweeps(True), sweeps(False)
    assert all(quick[n].seeds >= 6 for n in quick)  # 6 pairs: the least that can reach p < 0.05
    assert all(full[n].seeds > quick[n].seeds for n in quick)
    assert full["data-size"].task == "ucr:JapaneseVowels"
    assert full["data-size"].param == "train_fraction" and max(full["data-size"].values) == 1.0
