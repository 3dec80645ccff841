"""Your own data (``file:PATH``): every format, every kind, the archives' own files giving what
``ucr:NAME`` gives, and each bad input refused in one line before a results folder exists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from grubench.cli import app
from grubench.config import adhoc_source, read_suite_file
from grubench.errors import UserError
from grubench.run import plan as runs
from grubench.tasks import get_task, resolve_params
from grubench.tasks.files import per_class_need
from grubench.tasks.ucr import data_dir, load_ts

runner = CliRunner()
# One thread a trial: two OpenMP threads on a loaded 2-core runner spin against each other, and
# a 30-step trial then took a minute.
FAST = ["--seeds", "2", "--steps", "30", "--no-tune", "--hidden", "8", "--threads", "1"]


def _data(kind: str, n: int = 60, t: int = 12, seed: int = 0) -> dict[str, np.ndarray]:
    """Learnable data of each kind: the label or target follows the first channel's mean."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, t, 2)).astype(np.float32)
    signal = X[:, :, 0].mean(1)
    if kind == "classification":
        return {"X": X, "y": (signal > 0).astype(np.int64)}
    if kind == "regression":
        return {"X": X, "y": np.stack([3 * signal + 10, -signal], 1).astype(np.float32)}
    y = np.cumsum(X[:, :, :1], axis=1).astype(np.float32)  # a running sum, one target a step
    return {"X": X, "y": y}


def _npz(tmp: Path, name: str = "data.npz", **arrays: np.ndarray) -> Path:
    path = tmp / name
    np.savez(path, **arrays)
    return path


def _build(name: str, seed: int = 0, **given):
    task = get_task(name)
    return task, task.build(resolve_params(task, given), seed)


@pytest.mark.parametrize(
    "kind, metric, direction, baseline_name",
    [
        ("classification", "accuracy", "max", "majority class of the training split"),
        ("regression", "mse", "min", "the training mean"),
        ("forecast", "mse", "min", "persistence: each step's target as the previous one's"),
    ],
)
def test_the_kind_is_inferred_and_sets_metric_loss_and_baseline(
    tmp_path, kind, metric, direction, baseline_name
):
    path = _npz(tmp_path, **_data(kind))
    task, d = _build(f"file:{path}")
    assert (task.family, task.metric, task.direction) == ("file", metric, direction)
    assert d.baseline_name == baseline_name and d.info["kind"] == kind
    assert d.per_step is (kind == "forecast")
    # 60 series: a quarter carved for test (stratified for classification), a fifth of the rest
    # for validation.
    assert (len(d.train), len(d.val), len(d.test)) == (36, 9, 15)
    assert d.info["sha256"] == task.citation.split()[-1]
    if kind == "classification":
        majority = int(torch.bincount(d.train.y).argmax())
        assert d.baseline == pytest.approx(float((d.test.y == majority).float().mean()))
    elif kind == "regression":
        # Standardised on training: predicting the training mean scores about 1 on test.
        assert d.output_size == 2 and d.baseline == pytest.approx(float((d.test.y**2).mean()))
        torch.testing.assert_close(d.train.y.mean(0), torch.zeros(2), atol=1e-5, rtol=0)
    else:
        prev = torch.cat([torch.zeros_like(d.test.y[:, :1]), d.test.y[:, :-1]], 1)
        assert d.baseline == pytest.approx(float(((prev - d.test.y) ** 2).mean()), rel=1e-5)
        assert d.val_baseline is not None and d.output_size == 1


def test_normalisation_is_fitted_on_the_training_steps_only(tmp_path):
    data = _data("classification")
    data["X"][:, :, 1] += 100.0  # an offset the normalisation must remove
    path = _npz(tmp_path, **data)
    _, d = _build(f"file:{path}")
    flat = d.train.x.reshape(-1, 2)
    torch.testing.assert_close(flat.mean(0), torch.zeros(2), atol=1e-4, rtol=0)
    torch.testing.assert_close(flat.std(0, unbiased=False), torch.ones(2), atol=1e-4, rtol=0)
    assert abs(float(d.test.x.reshape(-1, 2).mean(0)[1])) < 0.5  # scaled by train, not by test


def test_the_kind_can_be_overridden_in_the_name_and_in_a_suite(tmp_path):
    path = _npz(tmp_path, **_data("classification"))
    task, d = _build(f"file:{path}?kind=regression")
    assert task.metric == "mse" and d.info["kind"] == "regression" and d.output_size == 1
    suite = tmp_path / "suites" / "mine.toml"
    suite.parent.mkdir()
    suite.write_text('[[task]]\nname = "file"\npath = "../data.npz"\nkind = "regression"\n')
    (entry,) = read_suite_file(suite)["task"]
    assert entry == {"name": f"file:{path.resolve()}?kind=regression"}  # relative to the suite
    with pytest.raises(UserError, match="only kind=KIND is understood"):
        get_task(f"file:{path}?kind=ranking")


def test_a_given_test_split_is_kept_by_arrays_or_by_a_split_array(tmp_path):
    data = _data("classification", n=80)
    given = _npz(tmp_path, "given.npz", X=data["X"][:60], y=data["y"][:60],
                 X_test=data["X"][60:], y_test=data["y"][60:])  # fmt: skip
    _, d = _build(f"file:{given}")
    assert len(d.test) == 20 and len(d.train) + len(d.val) == 60
    split = np.array(["train"] * 60 + ["test"] * 20)
    by_split = _npz(tmp_path, "split.npz", X=data["X"], y=data["y"], split=split)
    _, e = _build(f"file:{by_split}")
    torch.testing.assert_close(e.test.x, d.test.x)


def test_variable_lengths_are_padded_and_kept(tmp_path):
    data = _data("classification")
    lengths = np.random.default_rng(1).integers(4, 13, size=60)
    data["X"][np.arange(12)[None, :] >= lengths[:, None]] = np.nan  # padding may be anything
    path = _npz(tmp_path, **data, lengths=lengths)
    _, d = _build(f"file:{path}")
    for s in (d.train, d.val, d.test):
        pad = torch.arange(s.x.shape[1])[None, :] >= s.lengths[:, None]
        assert float(s.x[pad].abs().sum()) == 0.0 and torch.isfinite(s.x).all()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """ItalyPowerDemand's .ts pair copied out of aeon's data folder, and its .tsv form."""
    folder = tmp_path_factory.mktemp("ipd")
    src = data_dir() / "ItalyPowerDemand"
    for split in ("TRAIN", "TEST"):
        shutil.copy(src / f"ItalyPowerDemand_{split}.ts", folder)
        series, labels, _, _ = load_ts(src / f"ItalyPowerDemand_{split}.ts", split)
        lines = [
            "\t".join([lab, *(f"{v:.9g}" for v in s[:, 0])])
            for lab, s in zip(labels, series, strict=True)
        ]
        (folder / f"ItalyPowerDemand_{split}.tsv").write_text("\n".join(lines) + "\n")
    return folder


def test_an_archives_ts_pair_builds_exactly_as_ucr_does(archive):
    given = {"train_fraction": 0.5, "subset": "seed"}
    _, ucr = _build("ucr:ItalyPowerDemand", seed=3, **given)
    _, ts = _build(f"file:{archive / 'ItalyPowerDemand_TRAIN.ts'}", seed=3, **given)
    _, tsv = _build(f"file:{archive / 'ItalyPowerDemand_TRAIN.tsv'}", seed=3, **given)
    for mine in (ts, tsv):
        for a, b in ((mine.train, ucr.train), (mine.val, ucr.val), (mine.test, ucr.test)):
            torch.testing.assert_close(a.x, b.x, rtol=0, atol=1e-6)
            assert torch.equal(a.y, b.y)
        assert mine.baseline == ucr.baseline
    assert ts.info["sha256"] != tsv.info["sha256"]


def _run_metrics(name: str, out: Path) -> list[tuple]:
    """``grubench run -t NAME`` with the fast options: (arch, seed, test metric) per trial."""
    result = runner.invoke(app, ["run", "-t", name, *FAST, "--out", str(out)])
    assert result.exit_code == 0, result.output
    recs = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    return sorted((r["arch"], r["seed"], r["test_metric"]) for r in recs)


def test_the_archive_files_run_gives_ucrs_test_metrics_for_the_same_seeds(archive, tmp_path):
    # The .tsv form builds the same tensors (the test above), so one file run stands for both.
    ucr = _run_metrics("ucr:ItalyPowerDemand", tmp_path / "ucr")
    mine = _run_metrics(f"file:{archive / 'ItalyPowerDemand_TRAIN.ts'}", tmp_path / "f")
    assert mine == ucr and len(mine) == 4


@pytest.mark.parametrize("kind", ["classification", "regression", "forecast"])
def test_each_kind_runs_end_to_end_with_a_report(tmp_path, kind):
    path = _npz(tmp_path, **_data(kind))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "-t", f"file:{path}", *FAST, "--out", str(out)])
    assert result.exit_code == 0, result.output
    recs = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    assert {r["status"] for r in recs} == {"ok"} and len(recs) == 4
    assert {r["task_params"]["sha256"] for r in recs} == {recs[0]["data_info"]["sha256"]}
    assert (out / "report.md").exists()
    assert f"file:{path}" in (out / "report.md").read_text()


def _bad_npz(**arrays) -> callable:
    return lambda tmp: _npz(tmp, **arrays)


def _with(kind: str = "classification", **change) -> callable:
    def make(tmp: Path) -> Path:
        data = {**_data(kind), **change}
        return _npz(tmp, **{k: v for k, v in data.items() if v is not None})

    return make


def _nan(tmp: Path) -> Path:
    data = _data("classification")
    data["X"][4, 7, 1] = np.nan
    data["X"][9, 0, 0] = np.inf
    return _npz(tmp, **data)


def _raw(name: str, content: bytes) -> callable:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(content)
        return tmp / name

    return make


def _small_class(tmp: Path) -> Path:
    data = _data("classification")
    data["y"][:] = 0
    data["y"][:30] = 1
    data["y"][5] = 2  # one member: a carved test split cannot hold it
    return _npz(tmp, **data)


BAD = [
    ("missing-key", _with(y=None), "has no array 'y'"),
    ("mismatched-n", _with(y=np.zeros(59, dtype=np.int64)), "y has 59 rows but X has 60"),
    ("nan", _nan, "X holds 2 NaN or infinite values (first at (4, 7, 1))"),
    ("single-class", _with(y=np.zeros(60, dtype=np.int64)), "y has a single class ('0')"),
    ("small-class", _small_class, "class '2' has 1 member; carving a test split needs at least 3"),
    ("object", _with(y=np.array([{"a": 1}] * 60, dtype=object)), "array 'y' holds Python objects"),
    ("empty", _raw("empty.npz", b""), "is empty"),
    ("not-zip", _raw("broken.npz", b"not a zip at all"), "is not a readable .npz"),
    ("format", _raw("data.parquet", b"PAR1"), "unsupported format '.parquet' (formats: .npz"),
    ("missing-file", lambda tmp: tmp / "nowhere.npz", "does not exist"),
    ("lengths", _with(lengths=np.full(60, 13)), "lengths[0] = 13 is outside 1..12"),
    ("half-test", _with(X_test=np.zeros((5, 12, 2), np.float32)), "has X_test without y_test"),
    ("text-regression", _raw("r.tsv", b"a\t1\t2\nb\t3\t4\n"), "regression needs numeric"),
]


@pytest.mark.parametrize("make, message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_data_is_one_line_exit_two_and_no_results_folder(tmp_path, make, message):
    path = make(tmp_path)
    name = f"file:{path}" + ("?kind=regression" if path.suffix == ".tsv" else "")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "-t", name, *FAST, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"error: file '{path}'") and message in result.stderr, (
        result.stderr
    )
    assert not out.exists()


def test_a_file_changed_since_the_run_started_is_refused_on_resume(tmp_path):
    path = _npz(tmp_path, **_data("classification"))
    out = tmp_path / "out"
    plan = runs.plan_new(adhoc_source([f"file:{path}"]), out)
    runs.start(plan)
    _npz(tmp_path, **_data("classification", seed=1))  # the same name, other numbers
    result = runner.invoke(app, ["run", "--resume", str(out)])
    assert result.exit_code == 2, result.output
    assert "cannot resume: file" in result.stderr and "changed since the run started" in (
        result.stderr
    )


def test_a_class_needs_members_for_each_carved_split():
    assert (
        per_class_need(0.25) == 3 and per_class_need(0.5) == 2 and per_class_need(0.1) == 6
    )  # round(0.5) is 0


def test_tasks_lists_the_family(tmp_path):
    result = runner.invoke(app, ["tasks"])
    assert "file:PATH" in result.stdout and ".npz, .ts, .tsv, .csv" in result.stdout


def test_an_adhoc_run_patches_a_long_file_but_never_a_forecast(tmp_path):
    from grubench.tasks import adhoc_params

    long = _npz(tmp_path, "long.npz", **_data("classification", t=100))
    assert adhoc_params(f"file:{long}") == {"subset": "fold", "patch": 4}
    _, d = _build(f"file:{long}", patch=4)
    assert d.input_size == 8 and d.train.x.shape[1] == 25 and d.info["cell_steps"] == 25
    regression = _npz(tmp_path, "reg.npz", **_data("regression", t=100))
    _, r = _build(f"file:{regression}?kind=regression", patch=4)
    assert r.input_size == 8 and r.train.x.shape[1] == 25
    forecast = _npz(tmp_path, "fc.npz", **_data("forecast", t=100))
    assert adhoc_params(f"file:{forecast}") == {"subset": "fold"}
    with pytest.raises(UserError, match=f"task 'file:{forecast}' has no parameter 'patch'"):
        _build(f"file:{forecast}", patch=4)
