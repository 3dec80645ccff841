"""The one learned rule and the budget check, on constructed records with known numbers: each
boundary the report, the answers and the claims rely on."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import scipy.stats as st

from grubench.analysis.learned import (
    budget_used_by,
    counts,
    learned,
    learned_by,
    unselected,
    used_budget,
)


def run(arch: str, best: float, **fields):
    r = {
        "arch": arch,
        "role": "final",
        "status": "ok",
        "best_val_metric": best,
        "val_baseline": 1.0,
        "val_direction": "min",
        "stop_reason": "steps",
        "protocol": 2,
    }
    r.update(fields)
    return r


def test_a_target_is_reached_by_the_median_run_exactly_at_the_target_too():
    assert learned([0.5, 0.01, 0.02], None, "min", target=0.01) is False  # median 0.02
    assert learned([0.5, 0.01, 0.005], None, "min", target=0.01) is True  # median 0.01
    assert learned([0.8, 0.9, 0.95], None, "max", target=0.9) is True
    assert learned([0.8, 0.89, 0.95], None, "max", target=0.9) is False


def test_without_a_target_the_worse_end_of_the_interval_must_clear_the_margin():
    # Three runs: the interval is their range. Baseline 1.0 (min), margin 10%: edge below 0.9.
    assert learned([0.5, 0.6, 0.85], 1.0, "min") is True
    assert learned([0.5, 0.6, 0.95], 1.0, "min") is False  # the worst run decides, not the mean
    assert learned([0.6, 0.7, 0.75], 0.5, "max") is True  # max: the low end, above 0.55
    assert learned([0.54, 0.7, 0.75], 0.5, "max") is False
    # An explicit margin replaces the 10%: 0.25 accuracy above a 0.5 chance level.
    assert learned([0.7, 0.72, 0.8], 0.5, "max", margin=0.25) is False
    assert learned([0.76, 0.8, 0.9], 0.5, "max", margin=0.25) is True
    # The margin is a share of the baseline's size, so a negative baseline works too.
    assert learned([-2.0, -2.1, -2.2], -1.0, "max") is False
    assert learned([-0.8, -0.85, -0.88], -1.0, "max") is True


def test_one_run_that_learned_is_judged_on_its_own():
    assert learned([0.5], 1.0, "min") is True
    assert learned([0.95], 1.0, "min") is False


def test_no_usable_value_or_baseline_is_not_learned():
    assert learned([], 1.0, "min") is False
    assert learned([None, math.nan], 1.0, "min") is False
    assert learned([0.1, 0.1, 0.1], None, "min") is False
    assert learned([0.1, 0.1, 0.1], math.nan, "min") is False
    # A target does not need a baseline.
    assert learned([0.1, 0.1, 0.1], None, "min", target=0.2) is True
    # A NaN target is no target: the baseline rule applies.
    assert learned([0.1, 0.1, 0.1], 1.0, "min", target=math.nan) is True


def test_nan_runs_are_left_out_not_counted_as_failures():
    assert learned([0.5, 0.6, math.nan, None], 1.0, "min") is True


def test_learned_by_reads_final_runs_per_arch_and_their_validation_facts():
    recs = [
        run("gru", 0.5),
        run("gru", 0.55),
        run("gru", 0.6),
        run("lstm", 0.95),
        run("lstm", 0.97),
        run("lstm", 0.99),
        # Tuning runs do not count, however good.
        run("lstm", 0.01, role="tune"),
        run("lstm", 0.01, role="tune"),
        run("lstm", 0.01, role="tune"),
        # Nor failed ones.
        run("gru", 5.0, status="failed"),
    ]
    assert learned_by(recs, ["gru", "lstm"]) == {"gru": True, "lstm": False}
    # An arch with only tuning runs has no final runs to judge.
    assert learned_by([run("mingru", 0.01, role="tune")] * 3, ["mingru"]) == {"mingru": False}


def test_learned_by_takes_direction_and_baseline_from_validation_not_from_test():
    # Validation is an accuracy (max, baseline 0.5); the test metric is a loss (min, 2.0).
    recs = [
        run(
            "gru",
            v,
            val_baseline=0.5,
            val_direction="max",
            direction="min",
            baseline=2.0,
            metric="nll",
            val_metric_name="accuracy",
        )
        for v in (0.8, 0.85, 0.9)
    ]
    assert learned_by(recs, ["gru"]) == {"gru": True}


def test_old_records_fall_back_to_the_test_baseline_only_when_the_metrics_agree():
    base = {"val_baseline": None, "val_direction": None, "direction": "max", "baseline": 0.5}
    same = [run("gru", v, metric="accuracy", **base) for v in (0.8, 0.85, 0.9)]
    assert learned_by(same, ["gru"]) == {"gru": True}
    other = [
        run("gru", v, metric="accuracy", val_metric_name="nll", **base) for v in (0.8, 0.85, 0.9)
    ]
    assert learned_by(other, ["gru"]) == {"gru": False}  # no baseline for an NLL on validation
    # No direction anywhere: lower is better.
    low = [run("gru", v, val_direction=None, direction=None, val_baseline=1.0) for v in (0.5, 0.6)]
    assert learned_by(low, ["gru"]) == {"gru": True}
    # Records without a role are final runs.
    bare = [{k: v for k, v in r.items() if k != "role"} for r in low]
    assert learned_by(bare, ["gru"]) == {"gru": True}


def test_learned_by_uses_the_records_target_and_margin():
    recs = [run("gru", v, target=0.05) for v in (0.5, 0.04, 0.03)]
    assert learned_by(recs, ["gru"]) == {"gru": True}
    recs = [
        run("gru", v, val_baseline=0.5, val_direction="max", learned_margin=0.25)
        for v in (
            0.7,
            0.72,
            0.8,
        )
    ]
    assert learned_by(recs, ["gru"]) == {"gru": False}


def test_a_run_used_its_budget_unless_something_cut_it_short():
    assert used_budget(run("gru", 0.5, stop_reason="steps"))
    assert used_budget(run("gru", 0.5, stop_reason="epochs"))
    assert used_budget(run("gru", 0.5, stop_reason="target"))
    assert used_budget(run("gru", 0.5, stop_reason="patience", protocol=2))
    assert not used_budget(run("gru", 0.5, stop_reason="patience", protocol=1))
    assert not used_budget(run("gru", 0.5, stop_reason="patience", protocol=None))
    assert not used_budget(run("gru", 0.5, stop_reason="seconds"))
    assert not used_budget(run("gru", 0.5, stop_reason="diverged"))
    assert not used_budget(run("gru", 0.5, stop_reason="steps", status="failed"))


def test_budget_used_by_needs_every_final_run_of_the_arch():
    recs = [run("gru", 0.5), run("gru", 0.5, stop_reason="seconds"), run("lstm", 0.5)]
    assert budget_used_by(recs, ["gru", "lstm", "mingru"]) == {
        "gru": False,
        "lstm": True,
        "mingru": False,  # no runs: nothing shows it used a budget
    }
    # A tuning run cut by the clock does not spoil the final runs.
    recs = [run("gru", 0.5), run("gru", 0.5, stop_reason="seconds", role="tune")]
    assert budget_used_by(recs, ["gru"]) == {"gru": True}
    bare = [{k: v for k, v in run("gru", 0.5, stop_reason="seconds").items() if k != "role"}]
    assert budget_used_by(bare, ["gru"]) == {"gru": False}


def test_a_comparison_counts_when_the_winner_learned_and_the_loser_learned_or_used_its_budget():
    assert counts("gru", {"gru": True, "lstm": True}, {}) == ""
    assert counts("gru", {"gru": True, "lstm": False}, {"lstm": True}) == ""
    assert counts("gru", {"gru": False, "lstm": True}, {}) == "GRU wins but did not learn the task"
    assert counts("gru", {"lstm": True}, {}) == "GRU wins but did not learn the task"
    assert (
        counts("gru", {"gru": True, "lstm": False}, {"lstm": False})
        == "LSTM neither learned nor used its whole budget"
    )
    # A loser absent from the budget map did not show it used one.
    assert (
        counts("gru", {"gru": True, "lstm": False}, {})
        == "LSTM neither learned nor used its whole budget"
    )


def test_a_run_is_judged_on_the_epochs_after_the_kept_one_not_on_the_kept_one():
    history = [{"epoch": e, "val_metric": v} for e, v in enumerate([0.9, 0.2, 0.8, 0.7, 0.95], 1)]
    # Kept epoch 2 (0.2, the best of five by chance): the epochs after it say 0.8.
    assert unselected({"best_epoch": 2, "best_val_metric": 0.2, "history": history}) == 0.8
    # Kept epoch last: nothing came after it, so its own value stands.
    assert unselected({"best_epoch": 5, "best_val_metric": 0.95, "history": history}) == 0.95
    # Non-finite epochs after it are left out; no history at all: the kept value.
    nan_after = history[:2] + [{"epoch": 3, "val_metric": math.nan}]
    assert unselected({"best_epoch": 2, "best_val_metric": 0.2, "history": nan_after}) == 0.2
    assert unselected({"best_epoch": 3, "best_val_metric": 0.1}) == 0.1
    recs = [run("gru", 0.2, best_epoch=2, history=history)] * 3
    assert learned_by(recs, ["gru"]) == {"gru": True}  # 0.8 < 0.9: the margin holds
    worse = [dict(h, val_metric=0.95) if h["epoch"] > 2 else h for h in history]
    assert learned_by([run("gru", 0.2, best_epoch=2, history=worse)] * 3, ["gru"]) == {"gru": False}


def test_a_proportion_of_a_few_shared_validation_items_cannot_show_learning():
    # Six runs at 4 or 5 of 6 right against chance 1/3 + 0.1: clear without the split's error,
    # not with it (six items carry about ±0.35); with 500 items the same scores are clear.
    scores = [4 / 6, 4 / 6, 5 / 6, 4 / 6, 4 / 6, 5 / 6]
    assert learned(scores, 1 / 3, "max", margin=0.1) is True
    assert learned(scores, 1 / 3, "max", margin=0.1, items=6) is False
    assert learned(scores, 1 / 3, "max", margin=0.1, items=500) is True
    # Even identical perfect scores carry the error of their items (Agresti–Coull, not 0).
    assert learned([1.0] * 6, 0.5, "max", margin=0.1, items=3) is False
    assert learned([1.0] * 6, 0.5, "max", margin=0.1, items=40) is True
    # Three runs (a range) are widened by the same error; min-direction proportions too.
    assert learned([0.9, 0.95, 1.0], 0.5, "max", margin=0.25, items=10) is False
    assert learned([0.9, 0.95, 1.0], 0.5, "max", margin=0.25, items=100) is True
    assert learned([0.1, 0.05, 0.0], 0.5, "min", margin=0.25, items=10) is False
    assert learned([0.1, 0.05, 0.0], 0.5, "min", margin=0.25, items=100) is True


def test_learned_by_adds_the_split_error_only_for_accuracy_and_a_known_split_size():
    acc = {"val_metric_name": "accuracy", "val_direction": "max", "val_baseline": 0.5}
    recs = [run("gru", v, data_info={"n_val": 5}, **acc) for v in (1.0, 0.8, 1.0, 0.8)]
    assert learned_by(recs, ["gru"]) == {"gru": False}
    recs = [run("gru", v, data_info={"n_val": 500}, **acc) for v in (1.0, 0.8, 1.0, 0.8)]
    assert learned_by(recs, ["gru"]) == {"gru": True}
    # A loss is not a proportion of items, and an unknown size adds nothing.
    loss = {"val_metric_name": "mse", "data_info": {"n_val": 5}}
    assert learned_by([run("gru", v, **loss) for v in (0.1, 0.2, 0.1)], ["gru"]) == {"gru": True}
    recs = [run("gru", v, **acc) for v in (1.0, 0.8, 1.0, 0.8)]
    assert learned_by(recs, ["gru"]) == {"gru": True}


UCR = Path(__file__).parents[2] / "docs/findings/2026-12-03-ucr-adhoc"


def _final(name: str) -> list[dict]:
    with gzip.open(UCR / name / "trials.jsonl.gz", "rt") as f:
        return [r for r in map(json.loads, f) if r.get("role") == "final"]


def test_on_recorded_arrowhead_runs_the_best_epoch_says_learned_and_the_rule_does_not():
    # 6 validation series, hundreds of one-step epochs: the kept epoch's accuracy is 0.67–1.0
    # by selection (its median 1.0 or 0.92); the test accuracy sits at the trivial 0.39–0.48.
    recs = _final("ArrowHead")
    base = recs[0]["val_baseline"]
    for arch in ("gru", "lstm"):
        mine = [r for r in recs if r["arch"] == arch]
        assert sorted(r["best_val_metric"] for r in mine)[2] >= 0.83
        assert learned([r["best_val_metric"] for r in mine], base, "max", margin=0.05) is True
    assert learned_by(recs, ["gru", "lstm"]) == {"gru": False, "lstm": False}
    # 54 validation series (JapaneseVowels): learned by both, as its test accuracy (0.96) says.
    assert learned_by(_final("JapaneseVowels"), ["gru", "lstm"]) == {"gru": True, "lstm": True}


def test_a_validation_split_drawn_per_seed_adds_no_shared_error():
    # Each seed judged on its own 5 series: their spread over seeds already holds the split's
    # error, so nothing is added (the same scores on one shared split of 5 would not count).
    acc = {"val_metric_name": "accuracy", "val_direction": "max", "val_baseline": 0.5}
    scores = (1.0, 0.8, 1.0, 0.8, 1.0, 0.8)
    own = [run("gru", v, data_info={"n_val": 5, "val_shared": False}, **acc) for v in scores]
    shared = [run("gru", v, data_info={"n_val": 5, "val_shared": True}, **acc) for v in scores]
    assert learned_by(own, ["gru"]) == {"gru": True}
    assert learned_by(shared, ["gru"]) == {"gru": False}


def test_the_widened_edge_is_the_seeds_interval_and_the_splits_error_together():
    # The worse edge pinned to 1e-9 on either side, in both directions, for a t-interval (4
    # runs) and a range (3 runs): any change to the Agresti–Coull or t arithmetic shows.
    x, items = np.array([0.80, 0.85, 0.90, 0.95]), 40

    def split(mean: float) -> float:
        p = (mean * items + 2) / (items + 4)
        return p * (1 - p) / (items + 4)

    for direction, values, sign in (("max", x, -1.0), ("min", 1 - x, 1.0)):
        m, sd = values.mean(), values.std(ddof=1)
        half = st.t.ppf(0.975, len(values) - 1) * math.sqrt(sd**2 / len(values) + split(m))
        gap = abs(m + sign * half - 0.5)
        assert learned(values, 0.5, direction, margin=gap - 1e-9, items=items) is True
        assert learned(values, 0.5, direction, margin=gap + 1e-9, items=items) is False
        three = values[:3]
        edge = (three.min() if direction == "max" else three.max()) + sign * st.norm.ppf(
            0.975
        ) * math.sqrt(split(three.mean()))
        gap = abs(edge - 0.5)
        assert learned(three, 0.5, direction, margin=gap - 1e-9, items=items) is True
        assert learned(three, 0.5, direction, margin=gap + 1e-9, items=items) is False
