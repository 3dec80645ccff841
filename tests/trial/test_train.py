import math
from dataclasses import replace

import pytest
import torch

from grubench import tasks as registry
from grubench.config import Budget, Train, Trial
from grubench.tasks import get_task
from grubench.trial.train import run_trial

DESIGN_KEYS = [  # "What every result records" in DESIGN.md
    "task",
    "task_params",
    "arch",
    "hidden",
    "layers",
    "params_total",
    "params_recurrent",
    "flops_per_step",
    "seed",
    "match",
    "budget",
    "history",
    "test_metric",
    "baseline",
    "time_to_target_s",
    "throughput_seq_s",
    "infer_latency_ms",
    "peak_mem_mb",
    "diverged",
    "diverged_reason",
    "device",
    "threads",
    "versions",
    "schema_version",
    "init",
    "lr",
    "lr_grid",
    "role",
    "converged",
    "stop_reason",
    "peak_eval_mb",
    "node",
]


def tiny(arch: str = "gru", task: str = "adding", epochs: int = 2, **kw) -> Trial:
    params = {"n_train": 64, "n_val": 32, "n_test": 32, **kw.pop("params", {})}
    if task in ("adding", "sines"):
        params.setdefault("length", 8)
    return Trial(
        task=task,
        task_params=tuple(sorted(params.items())),
        arch=arch,
        seed=0,
        hidden=8,
        layers=1,
        match="params",
        budget=kw.pop("budget", Budget(epochs=epochs)),
        train=kw.pop("train", Train(batch_size=16)),
        device="cpu",
        threads=1,
    )


def test_result_records_everything_design_asks_for():
    r = run_trial(tiny())
    missing = [k for k in DESIGN_KEYS if k not in r.to_dict()]
    assert not missing
    assert r.status == "ok" and r.epochs_run == 2 and len(r.history) == 2
    h = r.history[-1]
    assert {"train_loss", "val_metric", "seconds", "epoch_seconds"} <= h.keys()
    assert r.history[0]["seconds"] < h["seconds"] == pytest.approx(r.train_seconds)
    assert r.throughput_seq_s == pytest.approx(64 * 2 / r.train_seconds)
    epoch_s = [e["epoch_seconds"] for e in r.history]
    assert r.seconds_per_epoch == pytest.approx(sum(epoch_s) / 2)  # median of two epochs
    assert r.peak_mem_mb >= 0 and r.infer_latency_ms > 0


def test_training_is_deterministic_on_cpu_for_a_seed():
    a, b = run_trial(tiny("lstm")), run_trial(tiny("lstm"))
    assert [h["train_loss"] for h in a.history] == [h["train_loss"] for h in b.history]
    assert a.test_metric == b.test_metric


def test_paired_archs_see_the_same_batches_in_the_same_order(monkeypatch):
    seen: dict[str, list[float]] = {}
    base = get_task("adding")

    def spy(arch):
        def loss(out, y, lengths):
            seen.setdefault(arch, []).append(float(y.sum()))
            return base.loss(out, y, lengths)

        return loss

    for arch in ("gru", "lstm", "gru-seed"):
        monkeypatch.setitem(registry.TASKS, "adding", replace(base, loss=spy(arch)))
        run_trial(tiny(arch))
    assert seen["gru"] == seen["lstm"] == seen["gru-seed"]
    assert len(seen["gru"]) > 4


def test_params_matching_sizes_each_arch_to_the_lstm_budget():
    g, m = run_trial(tiny("gru", epochs=1)), run_trial(tiny("lstm", epochs=1))
    assert m.hidden == 8 and g.hidden == 9
    assert abs(g.params_total - m.params_total) / m.params_total < 0.1


def test_a_target_stops_training_and_records_time_to_target():
    r = run_trial(tiny(budget=Budget(epochs=50, target=10.0)))  # MSE below 10 at once
    assert r.stop_reason == "target" and r.epochs_run == 1
    assert r.epochs_to_target == 1 and r.time_to_target_s == r.train_seconds


def test_a_time_budget_stops_training():
    r = run_trial(tiny(budget=Budget(epochs=10_000, seconds=0.5, patience=None)))
    assert r.stop_reason == "seconds" and 1 <= r.epochs_run < 10_000
    assert r.converged is False  # cut off, never "converged"


@pytest.mark.parametrize("arch", ["gru", "lstm", "gru-seed"])
def test_a_step_budget_gives_every_arch_the_same_optimiser_steps(arch):
    # 64 sequences at batch 16: 4 steps an epoch, so 10 steps end inside the third epoch.
    r = run_trial(tiny(arch, budget=Budget(steps=10, patience=None)))
    assert r.steps_run == 10 and r.stop_reason == "steps" and r.converged is False
    assert [h["steps"] for h in r.history] == [4, 8, 10] and r.epochs_run == 3
    assert r.throughput_seq_s == pytest.approx(160 / r.train_seconds)


def test_steps_to_target_counts_optimiser_steps():
    r = run_trial(tiny(budget=Budget(steps=40, target=10.0)))
    assert r.stop_reason == "target" and r.steps_to_target == 4 and r.epochs_to_target == 1


def test_a_nan_loss_is_recorded_as_diverged_not_raised(monkeypatch):
    base = get_task("adding")
    nan_loss = replace(base, loss=lambda out, y, lengths: (out - y).mean() * math.nan)
    monkeypatch.setitem(registry.TASKS, "adding", nan_loss)
    r = run_trial(tiny())
    assert r.diverged and r.status == "diverged"
    assert "non-finite training loss in epoch 1" in r.diverged_reason
    assert r.test_metric is None
    assert r.converged is None  # neither converged nor cut off: diverged


def test_anbn_reports_accuracy_for_validation_and_largest_n_for_test():
    r = run_trial(tiny("lstm", task="anbn", params={"max_n": 4, "max_n_test": 8}))
    assert r.metric == "max_n" and r.val_metric_name == "accuracy"
    assert 0 <= r.test_metric <= 8 and "accuracy" in r.test_metrics
    assert torch.get_num_threads() == 1


def test_the_epoch_cap_is_not_convergence_but_patience_and_target_are():
    capped = run_trial(tiny(budget=Budget(epochs=2, patience=None)))
    assert capped.stop_reason == "epochs" and capped.converged is False
    target = run_trial(tiny(budget=Budget(epochs=50, target=10.0)))
    assert target.stop_reason == "target" and target.converged is True


def test_patience_stops_a_run_whose_validation_stopped_improving(monkeypatch):
    base = get_task("adding")
    # A validation metric that never improves after the first epoch, well off the plateau.
    flat = replace(base, evaluate=lambda out, split: {"mse": 0.05})
    monkeypatch.setitem(registry.TASKS, "adding", flat)
    r = run_trial(tiny(budget=Budget(epochs=50, patience=3)))
    assert r.stop_reason == "patience" and r.converged is True
    assert r.epochs_run == 4 and r.best_epoch == 1 and r.left_plateau_epoch == 1


def test_a_run_on_the_trivial_plateau_is_not_stopped_by_patience(monkeypatch):
    base = get_task("adding")
    # Validation stuck at the trivial level (1/6 for the adding problem) for every epoch.
    stuck = replace(base, evaluate=lambda out, split: {"mse": 1 / 6})
    monkeypatch.setitem(registry.TASKS, "adding", stuck)
    r = run_trial(tiny(budget=Budget(epochs=12, patience=3)))
    assert r.stop_reason == "epochs" and r.epochs_run == 12 and r.converged is False
    assert r.left_plateau_epoch is None and r.plateau_level < 1 / 6


def test_lstm_forget_bias_starts_at_one_and_is_recorded():
    r = run_trial(tiny("lstm", epochs=1))
    assert r.init == "torch default, forget-gate bias 1"
    plain = run_trial(tiny("lstm", epochs=1, train=Train(batch_size=16, forget_bias=0.0)))
    assert plain.init == "torch default (uniform ±1/sqrt(H))"
    assert plain.test_metric != r.test_metric


def test_the_record_carries_the_learning_rate_and_its_grid():
    trial = replace(tiny(epochs=1), role="tune", lr_grid=(0.001, 0.01))
    r = run_trial(trial)
    assert r.role == "tune" and r.lr == trial.train.lr and r.lr_grid == [0.001, 0.01]


def test_patience_ignores_improvements_smaller_than_min_delta(monkeypatch):
    base = get_task("adding")
    # The warm-up's evaluation first, then epochs that creep after each big drop.
    values = iter([9.0, 0.1, 0.0999, 0.0998, 0.05, 0.04999, 0.04998, 0.04997])
    creep = replace(base, evaluate=lambda out, split: {"mse": next(values, 0.04997)})
    monkeypatch.setitem(registry.TASKS, "adding", creep)
    # min_delta in MSE units: the three creeping epochs after 0.05 add up to 0.00003, so the
    # window fails at epoch 7; but epoch 7 set the best (by a hair), and patience waits until
    # the best is two epochs old (flat from there): the stop comes at epoch 9.
    r = run_trial(tiny(budget=Budget(epochs=50, patience=3, min_delta=0.01)))
    assert r.stop_reason == "patience" and r.epochs_run == 9
    assert r.best_epoch == 7  # the best weights are still the best epoch's


def _val_only(base, values):
    """``base`` with a made-up validation curve (a 24-sequence split) and its real test scores."""
    it = iter(values)

    def evaluate(out, split):
        return {"mse": next(it)} if len(split) == 24 else base.evaluate(out, split)

    return replace(base, evaluate=evaluate)


def test_the_test_pass_scores_the_best_validation_epochs_weights(monkeypatch):
    base = get_task("adding")
    params = {"n_val": 24}
    first = run_trial(tiny(budget=Budget(epochs=1, patience=None), params=params))
    # Epoch 1 is the best by far; four worse epochs follow. The test pass must use epoch 1's
    # weights, so its score is the one-epoch run's, bit for bit.
    monkeypatch.setitem(registry.TASKS, "adding", _val_only(base, [0.01, 0.5, 0.5, 0.5, 0.5]))
    r = run_trial(tiny(budget=Budget(epochs=5, patience=None), params=params))
    assert r.best_epoch == 1 and r.epochs_run == 5
    assert r.test_metric == first.test_metric


def test_a_nan_validation_metric_is_recorded_as_diverged(monkeypatch):
    base = get_task("adding")
    monkeypatch.setitem(registry.TASKS, "adding", _val_only(base, [0.1, math.nan]))
    r = run_trial(tiny(budget=Budget(epochs=5, patience=None), params={"n_val": 24}))
    assert r.status == "diverged" and r.converged is None
    assert r.diverged_reason == "non-finite validation mse at epoch 2"
    assert r.epochs_run == 1 and r.best_epoch == 1


def test_patience_steps_set_a_floor_on_the_window_in_optimiser_steps(monkeypatch):
    base = get_task("adding")
    flat = replace(base, evaluate=lambda out, split: {"mse": 0.05})  # off the plateau, flat
    monkeypatch.setitem(registry.TASKS, "adding", flat)
    # 64 sequences at batch 16: 4 steps an epoch. Patience 2 epochs would stop at epoch 3; a
    # floor of 20 steps makes the window 5 epochs, so it stops at epoch 6.
    plain = run_trial(tiny(budget=Budget(epochs=50, patience=2)))
    floored = run_trial(tiny(budget=Budget(epochs=50, patience=2, patience_steps=20)))
    assert (plain.epochs_run, floored.epochs_run) == (3, 6)
    assert floored.stop_reason == "patience" and floored.converged is True
