"""Re-tuning the claims on other tuning seeds: only tuning runs, on the new seeds, and each
choice set against the run's."""

from dataclasses import replace
from pathlib import Path

import pytest

from grubench.errors import UserError
from grubench.run import plan as runs
from grubench.studies.claims.experiments import Sweep, run_sweep
from grubench.studies.claims.retune import FAR, NEIGHBOUR, SAME, compare, retune_sweep, write

TINY = Sweep(
    "tiny",
    "adding",
    "n_train",
    (32,),
    (("length", 5), ("n_val", 16), ("n_test", 16)),
    hidden=4,
    seeds=1,
    steps=1,
)


def _choice(i, arch, lr, grid):
    return {"task_index": i, "arch": arch, "lr": lr, "grid": list(grid)}


def test_a_choice_is_the_same_a_neighbour_or_further_in_the_union_of_both_grids():
    sweep = replace(TINY, values=(32, 64))
    grid = (0.001, 0.003, 0.01)
    first = [
        _choice(0, "gru", 0.003, grid),
        _choice(0, "lstm", 0.001, grid),
        _choice(1, "gru", 0.01, grid),
        _choice(1, "lstm", 0.001, grid),
    ]
    again = [
        _choice(0, "gru", 0.003, grid),
        _choice(0, "lstm", 0.003, grid),
        # The re-tune grew its grid up to 0.03: one step from 0.01 in the union.
        _choice(1, "gru", 0.03, (*grid, 0.03)),
        _choice(1, "lstm", 0.01, grid),
    ]
    got = compare(sweep, first, again)
    assert [(r.condition, r.arch, r.steps_apart, r.verdict) for r in got] == [
        ("n_train = 32", "gru", 0, SAME),
        ("n_train = 32", "lstm", 1, NEIGHBOUR),
        ("n_train = 64", "gru", 1, NEIGHBOUR),
        ("n_train = 64", "lstm", 2, FAR),
    ]


def test_retuning_runs_only_tuning_trials_on_the_new_seeds_and_compares(tmp_path: Path):
    folder = tmp_path / "tiny"
    with pytest.raises(UserError, match="run grubench claims first"):
        retune_sweep(TINY, folder, 2000, lambda ev: None)
    run_sweep(TINY, folder, lambda ev: None)
    got = retune_sweep(TINY, folder, 2000, lambda ev: None)
    redone = runs.results(folder / "retune-2000")
    assert redone and {r["role"] for r in redone} == {"tune"}
    assert {r["seed"] for r in redone} == {2000, 2001}
    assert {(r.condition, r.arch) for r in got} == {
        ("n_train = 32", "gru"),
        ("n_train = 32", "lstm"),
    }
    assert all(r.verdict in (SAME, NEIGHBOUR, FAR) for r in got)
    # A second call reuses the re-tuning: nothing runs again.
    before = len(runs.results(folder / "retune-2000"))
    assert retune_sweep(TINY, folder, 2000, lambda ev: None) == got
    assert len(runs.results(folder / "retune-2000")) == before
    md, js = write(got, tmp_path, 2000)
    assert "2 choices re-made" in md.read_text() and '"first_seed": 2000' in js.read_text()
