"""JSB Chorales on the published split: fetched on request with a pinned SHA-256, from a local
copy (the shared file) or a URL, and refused cleanly when missing or corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from grubench.cli import app
from grubench.errors import UnavailableTask
from grubench.tasks import get_task, resolve_params
from grubench.tasks.jsb import FILE, data_path

runner = CliRunner()
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / FILE


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_missing_data_set_names_both_ways_to_get_it(cache):
    task = get_task("jsb")
    with pytest.raises(UnavailableTask, match="grubench data fetch jsb` .* --from FILE"):
        task.build(resolve_params(task, {}), 0)


@pytest.mark.parametrize("how", ["file", "url"])
def test_fetch_from_a_local_copy_gives_the_published_split(cache, how):
    source = str(SHARED) if how == "file" else SHARED.as_uri()
    result = runner.invoke(app, ["data", "fetch", "jsb", "--from", source])
    assert result.exit_code == 0, result.output
    assert data_path().is_file() and str(cache) in str(data_path())
    task = get_task("jsb")
    d = task.build(resolve_params(task, {}), 0)
    assert d.info["chorales"] == {"train": 229, "val": 76, "test": 77}
    # Frames per split in the data's README (13,807 / 4,602 / 4,725), less one per piece: the
    # model predicts frame t + 1 from frames up to t.
    assert d.info["frames"] == {"train": 13807 - 229, "val": 4602 - 76, "test": 4725 - 77}
    assert d.input_size == d.output_size == 88 and d.per_step
    assert 5 < d.baseline < 20 and d.val_baseline is not None


def test_a_file_that_is_not_the_pinned_one_is_refused_and_nothing_is_stored(cache, tmp_path):
    bad = tmp_path / "jsb.json"
    bad.write_bytes(SHARED.read_bytes()[:-10] + b"          ")
    result = runner.invoke(app, ["data", "fetch", "jsb", "--from", str(bad)])
    assert result.exit_code == 2 and "is not the pinned JSB Chorales file" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and not data_path().exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["data", "fetch", "jsb", "--from", "/nowhere/jsb.json"], "does not exist"),
        (["data", "fetch", "nottingham"], "unknown data set 'nottingham' (known: jsb)"),
        (["data", "fetch", "jsb", "--from", "file:///nowhere/jsb.json"], "cannot read"),
    ],
)
def test_fetch_mistakes_are_one_line_and_exit_two(cache, argv, message):
    result = runner.invoke(app, argv)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert result.stderr.strip().count("\n") == 0


def test_a_damaged_cache_is_refused(cache):
    runner.invoke(app, ["data", "fetch", "jsb", "--from", str(SHARED)])
    data_path().write_text("{}")
    task = get_task("jsb")
    with pytest.raises(Exception, match="damaged"):
        task.build(resolve_params(task, {}), 0)
