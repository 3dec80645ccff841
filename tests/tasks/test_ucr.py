"""UCR/UEA tasks from aeon's bundled files: offline discovery, splits, normalisation, errors."""

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from grubench.cli import app
from grubench.errors import UserError
from grubench.tasks import get_task, resolve_params
from grubench.tasks.ucr import available, carve

SHIPPED = {"JapaneseVowels", "BasicMotions", "GunPoint", "ArrowHead", "ItalyPowerDemand", "OSULeaf"}


def _build(name, **given):
    task = get_task(f"ucr:{name}")
    return task.build(resolve_params(task, given), 0)


def test_the_datasets_aeon_ships_are_found_offline():
    assert SHIPPED <= set(available())
    assert "Covid3Month" not in available()  # a regression problem, no class labels


def test_carve_is_stratified_fixed_and_nested():
    labels = np.array([0] * 20 + [1] * 10 + [2] * 1)
    tr, va = carve(labels, 0.2, 1.0)
    assert np.bincount(labels[va], minlength=3).tolist() == [4, 2, 0]
    assert np.bincount(labels[tr], minlength=3).tolist() == [16, 8, 1]
    assert not set(tr) & set(va)
    tr2, va2 = carve(labels, 0.2, 1.0)
    assert tr.tolist() == tr2.tolist() and va.tolist() == va2.tolist()
    half, va_half = carve(labels, 0.2, 0.5)
    assert va_half.tolist() == va.tolist()  # validation does not move with train_fraction
    assert set(half) < set(tr)
    assert np.bincount(labels[half], minlength=3).tolist() == [8, 4, 1]


def test_variable_length_multivariate_series_keep_true_lengths_and_zero_padding():
    d = _build("JapaneseVowels")
    assert d.input_size == 12 and d.output_size == 9 and not d.per_step
    assert len(d.train) + len(d.val) == 270 and len(d.test) == 370
    for s in (d.train, d.val, d.test):
        assert s.lengths is not None and int(s.lengths.max()) == s.x.shape[1]
        pad = torch.arange(s.x.shape[1])[None, :] >= s.lengths[:, None]
        assert float(s.x[pad].abs().sum()) == 0.0
    real = d.train.x[torch.arange(d.train.x.shape[1])[None, :] < d.train.lengths[:, None]]
    torch.testing.assert_close(real.mean(0), torch.zeros(12), atol=1e-4, rtol=0)
    torch.testing.assert_close(real.std(0, unbiased=False), torch.ones(12), atol=1e-4, rtol=0)
    assert d.info["length_min"] == 7 and d.info["length_max"] == 29


def test_baseline_is_the_training_majority_class_scored_on_test():
    d = _build("GunPoint", train_fraction=0.5)
    majority = int(torch.bincount(d.train.y).argmax())
    assert d.baseline == pytest.approx(float((d.test.y == majority).float().mean()))
    # classes of 24 and 26 series: 5 + 5 held out, then ceil(19/2) + ceil(21/2) kept
    assert len(d.train) == 21 and len(d.val) == 10 and len(d.test) == 150
    assert d.train.lengths is None  # equal lengths: the fused layers' fast path


@pytest.mark.parametrize("bad", [0.0, 1.5, -0.1])
def test_train_fraction_outside_zero_one_is_a_user_error(bad):
    with pytest.raises(UserError, match="train_fraction"):
        resolve_params(get_task("ucr:GunPoint"), {"train_fraction": bad})


def test_a_dataset_aeon_does_not_ship_is_named_in_the_error():
    with pytest.raises(UserError, match="'Wafer' is not available offline"):
        get_task("ucr:Wafer")


def test_cli_lists_the_bundled_datasets_and_rejects_unknown_ones_in_one_line():
    r = CliRunner().invoke(app, ["tasks"])
    assert r.exit_code == 0
    for name in SHIPPED:
        assert f"ucr:{name}" in r.output
    assert "charlm:pydoc" in r.output and "chorales" in r.output
    bad = CliRunner().invoke(app, ["run", "-t", "ucr:Wafer", "--out", "/nonexistent/x"])
    assert bad.exit_code == 2
    assert bad.output.count("\n") == 1 and "error: UCR/UEA dataset 'Wafer'" in bad.output


def test_a_per_seed_subset_is_redrawn_per_seed_with_validation_and_class_counts_fixed():
    labels = np.repeat([0, 1, 2], 20)
    tr0, va0 = carve(labels, 0.2, 0.25, subset_seed=0)
    tr0b, _ = carve(labels, 0.2, 0.25, subset_seed=0)
    tr1, va1 = carve(labels, 0.2, 0.25, subset_seed=1)
    _, va_fixed = carve(labels, 0.2, 0.25)
    assert tr0.tolist() == tr0b.tolist()  # both archs of a seed see the same subset
    assert tr0.tolist() != tr1.tolist()
    assert va0.tolist() == va1.tolist() == va_fixed.tolist()
    assert np.bincount(labels[tr0]).tolist() == np.bincount(labels[tr1]).tolist() == [4, 4, 4]
    assert not set(tr1) & set(va1)


def test_a_fold_draws_validation_per_seed_stratified_and_the_same_for_both_archs_of_a_seed():
    labels = np.repeat([0, 1, 2], 20)
    tr0, va0 = carve(labels, 0.2, 1.0, subset_seed=0, val_seed=0)
    tr0b, va0b = carve(labels, 0.2, 1.0, subset_seed=0, val_seed=0)
    tr1, va1 = carve(labels, 0.2, 1.0, subset_seed=1, val_seed=1)
    _, va_fixed = carve(labels, 0.2, 1.0)
    assert (tr0.tolist(), va0.tolist()) == (tr0b.tolist(), va0b.tolist())
    assert va0.tolist() != va1.tolist() and va0.tolist() != va_fixed.tolist()
    for tr, va in ((tr0, va0), (tr1, va1)):
        assert np.bincount(labels[va]).tolist() == [4, 4, 4]  # stratified as the fixed split
        assert sorted([*tr, *va]) == list(range(60))  # every series used, none twice


def test_subset_fold_builds_a_per_seed_split_and_says_it_is_not_shared():
    task = get_task("ucr:UnitTest")
    fixed = [task.build(resolve_params(task, {}), s) for s in (0, 1)]
    fold = [task.build(resolve_params(task, {"subset": "fold"}), s) for s in (0, 1)]
    assert fixed[0].info["val_shared"] is True and fold[0].info["val_shared"] is False
    assert torch.equal(fixed[0].val.x, fixed[1].val.x)
    assert not torch.equal(fold[0].val.x, fold[1].val.x)
    # The archive's test series, always (normalised by each seed's own training split).
    assert torch.equal(fold[0].test.y, fixed[0].test.y) and fold[0].info["n_test"] == 22
    # A task whose split is published cannot draw one.
    jsb_like = get_task("chorales")
    with pytest.raises(UserError, match="'subset' must be one of fixed, seed, got 'fold'"):
        jsb_like.build(resolve_params(jsb_like, {"subset": "fold", "n_chorales": 20}), 0)


def test_patches_feed_runs_of_steps_in_time_order_with_lengths_in_runs():
    from grubench.tasks.ucr import auto_patch, patched

    x = torch.arange(2 * 7 * 2, dtype=torch.float32).reshape(2, 7, 2)  # [N, T, C]
    y, lengths = patched(x, torch.tensor([7, 4]), 3)
    assert y.shape == (2, 3, 6) and lengths.tolist() == [3, 2]
    # Run 1 of series 0: steps 3, 4, 5, each step's channels together.
    assert y[0, 1].tolist() == x[0, 3:6].reshape(-1).tolist()
    assert y[0, 2].tolist() == [*x[0, 6].tolist(), 0.0, 0.0, 0.0, 0.0]  # zeros fill the last
    same, none = patched(x, None, 1)
    assert same is x and none is None
    assert [auto_patch(n, 32) for n in (24, 32, 33, 251, 1460)] == [1, 1, 2, 8, 46]


def test_a_patched_set_is_the_same_numbers_in_fewer_longer_steps():
    plain, patch = _build("ArrowHead"), _build("ArrowHead", patch=8)
    assert (patch.input_size, plain.input_size) == (8, 1)
    assert patch.train.x.shape[1] == 32 and patch.info["cell_steps"] == 32
    assert plain.info["cell_steps"] == 251 and patch.info["patch"] == 8
    flat = patch.train.x.reshape(len(patch.train), -1)
    assert torch.equal(flat[:, :251], plain.train.x[:, :, 0])  # normalised once, then cut
    assert float(flat[:, 251:].abs().sum()) == 0.0
    # Variable lengths count in runs of steps, rounded up.
    jv = _build("JapaneseVowels", patch=4)
    assert jv.input_size == 48
    assert jv.train.lengths.tolist() == ((_build("JapaneseVowels").train.lengths + 3) // 4).tolist()


def test_an_adhoc_run_patches_the_long_sets_only():
    from grubench.tasks import ADHOC_CELL_STEPS, adhoc_params

    assert ADHOC_CELL_STEPS == 32
    assert adhoc_params("ucr:ArrowHead") == {"subset": "fold", "patch": 8}  # 251 steps
    assert adhoc_params("ucr:GunPoint") == {"subset": "fold", "patch": 5}  # 150
    assert adhoc_params("ucr:ItalyPowerDemand") == {"subset": "fold", "patch": 1}  # 24
    assert adhoc_params("adding") == {}
    with pytest.raises(UserError, match="UCR/UEA dataset 'Nope' is not available"):
        adhoc_params("ucr:Nope")


def test_a_trial_made_before_patches_keeps_its_id():
    from grubench.config import suite_from_dict

    def trial(**params):
        return suite_from_dict({"task": [{"name": "ucr:GunPoint", **params}]}).trials()[0]

    # The id of a trial at patch 1 hashes as before the parameter existed (the committed
    # records' ids are recomputed from their specs in test_committed_claims).
    assert trial().id == trial(patch=1).id
    assert trial(patch=2).id != trial().id


def test_the_longest_series_read_from_headers_is_the_one_aeon_loads():
    from grubench.tasks.ucr import SPLITS, _load, longest

    for name in available():
        loaded = max(len(s) for split in SPLITS for s in _load(name, split)[0])
        assert longest(name) == loaded, name
