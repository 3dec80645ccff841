"""``grubench reproduce`` end to end on a tiny set-up: it runs, resumes without re-running,
writes reproduce.md/json/html and a chart, and reports a set-up it cannot run."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from grubench.cli import app
from grubench.studies.claims.experiments import Sweep
from grubench.studies.reproduce import report as rr
from grubench.studies.reproduce.setups import ADDING, SETUPS, Ordering, Published, Setup

TINY = Sweep(
    "tiny-adding",
    "adding",
    "length",
    (8, 16),
    (("n_train", 64), ("n_val", 32), ("n_test", 32)),
    hidden=8,
    seeds=2,
    steps=6,
    target=0.01,
    lr_grid=(1e-2,),
    tune_seeds=1,
    batch_size=32,
)
SETUP = Setup(
    "tiny-adding",
    "tiny adding",
    TINY,
    dict(values=(8,)),
    (Published("gru", 0.05, "MSE", "paper A", setting=16),),
    (Ordering("gru", "lstm", "paper A", 16),),
    ("tiny",),
    tolerance=1.0,
    reach=True,
)
MISSING = Setup(
    "missing",
    "a set-up on data this machine lacks",
    replace(TINY, name="missing", task="ucr:NoSuchSet", param=None, values=(), fixed=()),
    None,
    (),
    (),
    (),
)


TINY_SETUPS = {"tiny-adding": SETUP, "missing": MISSING}


@pytest.fixture()
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rr, "SETUPS", TINY_SETUPS)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory):
    """The tiny set-ups run once in full mode: (results folder, the result)."""
    out = tmp_path_factory.mktemp("reproduce")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(rr, "SETUPS", TINY_SETUPS)
        return out, rr.run_reproduce(out, False, None, lambda e: None)


def test_a_tiny_setup_runs_resumes_and_writes_every_output(tiny, ran):
    tmp_path, result = ran
    tiny_r, missing_r = result.results
    assert result.outcomes["tiny-adding"].ran == 2 * 2 * (2 + 1)  # 2 lengths x 2 archs x 3
    assert missing_r.error and "NoSuchSet" in missing_r.error
    assert [x.arch for x in tiny_r.reach] == ["gru", "lstm", "gru", "lstm"]
    assert tiny_r.figures[0].ours.n == 2 and tiny_r.orderings[0].n == 2
    paths = rr.write_reproduce(result)
    md = (tmp_path / "full" / "reproduce.md").read_text()
    assert "## tiny adding" in md and "Not run: " in md and "gru beats lstm" in md
    assert "| gru | length = 16 | MSE | 0.05 |" in md
    blob = json.loads(paths[1].read_text())
    (t, m) = blob["setups"]
    assert t["orderings"][0]["verdict"] in ("holds", "reversed", "not shown")
    assert t["figures"][0]["paper"] == 0.05 and t["figures"][0]["ours_n"] == 2
    assert len(t["reach"]) == 4 and m["error"]
    assert (tmp_path / "full" / "plots" / "tiny-adding.png").stat().st_size > 5000
    assert (tmp_path / "full" / "tiny-adding" / "report.md").exists()
    # Again: everything is reused, and the comparison is the same.
    again = rr.run_reproduce(tmp_path, False, None, lambda e: None)
    assert again.outcomes["tiny-adding"].ran == 0
    assert again.results[0].orderings[0].p == tiny_r.orderings[0].p


def test_quick_mode_applies_its_changes_and_reports_cut_setups(tiny, tmp_path):
    result = rr.run_reproduce(tmp_path, True, None, lambda e: None)
    assert result.folder.name == "quick"
    assert {x.setting for x in result.results[0].reach} == {8}
    assert result.results[1].error == "cut from quick mode"


def test_select_names_the_known_setups():
    assert [s.name for s in rr.select("adding-long")] == ["adding-long"]
    assert len(rr.select(None)) == len(SETUPS) == 3
    with pytest.raises(Exception, match="unknown set-up 'x'"):
        rr.select("adding-long,x")


def test_the_published_setups_are_what_the_papers_ran_where_they_can_be():
    jsb = SETUPS["chung2014-jsb"].sweep.source()
    assert jsb["arch_hidden"] == {"rnn": 100, "gru-seed": 46, "lstm": 36}
    assert jsb["train"]["optimizer"] == "rmsprop" and jsb["task"] == [{"name": "jsb"}]
    anbn = SETUPS["weiss2018-anbn"].sweep.source()["task"][0]
    assert anbn == {"name": "anbn-lm", "max_n": 100, "max_n_test": 1000}
    adding = ADDING.sweep.source()
    assert [t["length"] for t in adding["task"]] == [100, 200, 400]
    assert adding["train"]["target"] == 0.01
    # An equal step budget for every arch, never a seconds cap that binds.
    for s in SETUPS.values():
        assert s.sweep.steps and (s.sweep.seconds or 0) >= 600


def test_the_cli_prints_the_orderings_and_writes_the_page(tiny, ran, tmp_path):
    out = ran[0]  # the trials the module ran once: the CLI reuses them
    res = CliRunner().invoke(app, ["reproduce", "--out", str(out), "--only", "tiny-adding"])
    assert res.exit_code == 0, res.output
    assert "0 trials run, 12 reused" in res.output
    assert "Published results against ours" in res.output and "gru beats lstm" in res.output
    assert (out / "full" / "reproduce.html").exists()
    # --no-run on an empty folder compares nothing and says so.
    res = CliRunner().invoke(
        app, ["reproduce", "--out", str(tmp_path / "empty"), "--only", "tiny-adding", "--no-run"]
    )
    assert res.exit_code == 0 and "not run" in res.output
