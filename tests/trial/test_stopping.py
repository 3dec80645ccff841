"""The stopping rule on constructed curves and on recorded real ones: no patience stop on the
trivial plateau, progress measured in the metric's own units over a window, "converged" only
where a reader would say so."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from grubench.tasks import get_task
from grubench.tasks.base import improved, plateau_level
from grubench.trial.stopping import Stopper, first_stop

CURVES = json.loads((Path(__file__).parents[1] / "data" / "curves.json").read_text())


def plateau_then_drop(epochs_on_plateau: int = 12, total: int = 30) -> list[float]:
    """An LSTM on the adding problem: at the trivial 1/6 with noise, then solved in two epochs."""
    flat = [1 / 6 + 0.004 * abs(math.sin(3.1 * e)) for e in range(epochs_on_plateau)]
    drop = [0.03, 0.004]
    solved = [0.003 + 0.0001 * math.sin(e) for e in range(total - len(flat) - len(drop))]
    return flat + drop + solved


def test_the_plateau_then_drop_curve_is_not_stopped_on_the_plateau():
    curve = plateau_then_drop()
    level = plateau_level(1 / 6, "min", 0.1)
    stop = first_stop(curve, "min", patience=4, min_delta=1e-4, plateau=level)
    assert stop is not None and stop > 14  # after the drop, once the solved curve is flat
    # Without the plateau rule the same patience ends the run before it ever learns.
    assert first_stop(curve, "min", patience=4, min_delta=1e-4, plateau=None) <= 12


def test_a_recorded_adding_plateau_is_not_stopped_before_the_lstm_leaves_it():
    c = CURVES["adding_lstm_plateau"]
    task = get_task("adding")
    level = plateau_level(c["val_baseline"], "min", task.plateau_fraction)
    s = Stopper("min", 4, task.min_delta, level)
    for epoch, v in enumerate(c["values"], 1):
        s.update(v)
        assert not s.should_stop(), f"stopped at epoch {epoch} with MSE {v:.3f}"
    assert s.left_plateau_epoch == 11  # ten epochs at 0.17-0.21, then 0.014
    # The old rule (1% of the best value, patience counted from the last improvement) stopped
    # this run on the plateau; the window rule without the plateau guard does too.
    assert first_stop(c["values"], "min", 4, task.min_delta, None) is not None
    assert first_stop(c["values"], "min", 4, task.min_delta, None) < 11


def test_a_slowly_falling_nll_is_not_called_converged():
    # 0.004 nats an epoch: under 0.01 each epoch, 0.02 over a window of five.
    curve = [10.0 - 0.004 * e for e in range(60)]
    assert first_stop(curve, "min", patience=5, min_delta=0.01) is None
    # An epoch-by-epoch threshold would have stopped it five epochs in.
    stale, best = 0, curve[0]
    for v in curve[1:]:
        stale = 0 if improved(v, best, "min", 0.01) else stale + 1
        best = min(best, v)
        if stale >= 5:
            break
    assert stale >= 5


def test_a_flat_curve_stops_after_patience_and_its_best_epoch_is_old():
    curve = [10.0, 9.0, 8.5, 8.4] + [8.4 + 0.001 * (e % 2) for e in range(20)]
    stop = first_stop(curve, "min", patience=5, min_delta=0.01)
    s = Stopper("min", 5, 0.01)
    for v in curve[:stop]:
        s.update(v)
    assert stop == 9 and s.best_epoch <= stop - 2


def test_min_delta_is_in_the_metrics_units_not_a_fraction_of_its_value():
    # 0.05 nats on a 10-nat NLL is progress at min_delta 0.01; 1% of the value (0.1) was not.
    assert improved(9.95, 10.0, "min", 0.01)
    assert not improved(9.995, 10.0, "min", 0.01)
    assert improved(0.62, 0.6, "max", 0.01) and not improved(0.605, 0.6, "max", 0.01)


def test_accuracy_on_the_majority_plateau_is_not_stopped():
    # aⁿbⁿ: validation accuracy at the 0.5 of a balanced split, then it starts to count.
    level = plateau_level(0.5, "max", 0.1)
    assert level == pytest.approx(0.55)
    curve = [0.5, 0.504, 0.498, 0.506, 0.5, 0.502, 0.505, 0.499, 0.7, 0.9, 0.95] + [0.95] * 10
    stop = first_stop(curve, "max", patience=3, min_delta=1e-3, plateau=level)
    assert stop is not None and stop > 11


def test_no_plateau_level_without_a_finite_baseline():
    assert plateau_level(None, "min", 0.1) is None
    assert plateau_level(float("nan"), "min", 0.1) is None
    assert Stopper("min", 2, 0.0, None).on_plateau is False


def test_without_patience_nothing_stops():
    assert first_stop([1.0] * 50, "min", patience=None) is None


def test_every_registered_task_declares_its_stopping_facts():
    from grubench.tasks import TASKS

    for task in TASKS.values():
        assert task.min_delta > 0, task.name
        assert 0 < task.plateau_fraction < 1, task.name


def _old_rule_stop(values: list[float], patience: int, fraction: float) -> int | None:
    """Protocol 1: patience counted from the last epoch that beat the best by ``fraction`` of
    the best value."""
    best, stale = values[0], 0
    for epoch, v in enumerate(values[1:], 2):
        stale = 0 if v < best - fraction * abs(best) else stale + 1
        best = min(best, v)
        if stale >= patience:
            return epoch
    return None


def test_a_recorded_chorales_nll_that_was_still_falling_is_not_stopped():
    c = CURVES["chorales_gru_still_falling"]
    task = get_task("chorales")
    values, patience = c["values"], c["patience"]
    # Protocol 1 stopped this run at its last recorded epoch, best epoch last, and called it
    # converged: 0.24 nats in its last five epochs is under 1% (0.13 nats) each epoch.
    assert _old_rule_stop(values, patience, 0.01) == len(values)
    assert values[-1] == min(values)
    # In nats over a window, it is still learning: no stop anywhere in the recorded curve.
    assert first_stop(values, "min", patience, task.min_delta, None) is None
    # And it never beat the independent-key baseline: it is still on the trivial plateau.
    level = plateau_level(c["val_baseline"], "min", task.plateau_fraction)
    s = Stopper("min", patience, task.min_delta, level)
    for v in values:
        s.update(v)
    assert s.on_plateau and s.left_plateau_epoch is None


def test_the_best_epoch_can_be_any_epoch_the_second_included():
    s = Stopper("min", 2)
    for v in [1.0, 0.1, 0.5]:
        s.update(v)
    assert s.best_epoch == 2
    up = Stopper("max", 2)
    for v in [0.5, 0.9, 0.6]:
        up.update(v)
    assert up.best_epoch == 2


def test_the_window_is_the_last_patience_epochs_even_early_on():
    # patience 3: at epoch 4 the window holds epochs 2-4, whose 0.5 beats epoch 1 by 0.5; at
    # epoch 5 it holds 3-5, which do not beat 0.5 by 0.1.
    assert first_stop([1.0, 0.5, 0.9, 0.95, 0.95], "min", 3, 0.1) == 5


def test_without_min_delta_any_improvement_counts():
    assert first_stop([1.0, 0.9, 0.8, 0.7, 0.6], "min", 2) is None
    assert first_stop([1.0, 0.9, 0.9, 0.9], "min", 2) == 4


def test_a_tiny_validation_split_ended_a_run_after_a_dozen_steps_and_the_step_floor_does_not():
    c = CURVES["arrowhead_lstm_tiny_validation"]
    values, level = c["values"], c["plateau_level"]
    # One lucky epoch (4 of 6 series right, 0.67 > the 0.45 plateau level) and ten epochs of
    # one step each: patience ended the run at its last recorded epoch, 13 steps into 2000.
    assert first_stop(values, "max", c["patience"], 1e-3, level) == len(values)
    # With the window at least 400 steps (the ad-hoc floor), nothing in the curve stops it.
    window = max(c["patience"], 400 // c["steps_per_epoch"])
    assert first_stop(values, "max", window, 1e-3, level) is None


def test_a_recorded_flat_chorales_nll_is_not_stopped_with_its_best_at_the_end():
    c = CURVES["chorales_lstm_flat_best_at_the_end"]
    values = c["values"]
    s = Stopper("min", c["patience"], c["min_delta"], c["plateau_level"])
    stop = None
    for epoch, v in enumerate(values, 1):
        s.update(v)
        if s.should_stop():
            stop = epoch
            break
    # The window rule alone ended it at epoch 43, one epoch after its best (9.7957 at 42):
    # the window improved 0.006 nats, under min_delta.
    assert s.best_epoch == 42 and first_stop(values[:42], "min", 20, 0.01) is None
    # Now epoch 43 does not stop it: a run at its best one epoch ago is still moving.
    assert stop is None and not s.on_plateau
    s.update(9.83)  # one more epoch that does not beat 9.7957
    assert s.should_stop() and s.best_epoch == len(s.values) - 2


def test_a_new_best_by_a_hair_defers_the_stop_by_two_epochs():
    flat = [10.0, 9.0, 8.5] + [8.5] * 6
    assert first_stop(flat, "min", 3, 0.01) == 6
    # 8.499 beats 8.5 by less than min_delta: the window still fails, but the run waits until
    # its best is two epochs old.
    hair = [10.0, 9.0, 8.5, 8.5, 8.5, 8.499, 8.5, 8.5, 8.5]
    assert first_stop(hair, "min", 3, 0.01) == 8
    up = [0.1, 0.5, 0.6, 0.6, 0.6, 0.601, 0.6, 0.6]
    assert first_stop(up, "max", 3, 0.01) == 8


def test_without_min_delta_a_window_that_improves_at_all_goes_on():
    # Each window of three holds a better value than any before it, by 0.1: min_delta 0 never
    # stops; min_delta 1 stops at epoch 4, once the best (epoch 2) is two epochs old.
    curve = [1.0, 0.9, 0.95, 0.95, 0.8, 0.85, 0.85, 0.7, 0.75, 0.75]
    assert first_stop(curve, "min", 3) is None
    assert first_stop(curve, "min", 3, 1.0) == 4
