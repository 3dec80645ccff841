"""The CI loop for real: the smoke suite twice, compared; then a 20% slowdown injected."""

from __future__ import annotations

import json

import pytest
from synthetic_runs import inject_slowdown
from typer.testing import CliRunner

from grubench.cli import app


@pytest.mark.slow
def test_two_clean_smoke_runs_pass_and_an_injected_slowdown_fails(tmp_path):
    runner = CliRunner()
    for name in ("a", "b"):
        r = runner.invoke(app, ["run", "tasks/smoke.toml", "--out", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
    clean = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert clean.exit_code == 0, clean.output
    slow = inject_slowdown(tmp_path / "b", tmp_path / "slow", 1.2)
    out = tmp_path / "c.json"
    r = runner.invoke(app, ["compare", str(tmp_path / "a"), str(slow), "--json", str(out)])
    assert r.exit_code == 1, r.output
    flagged = {
        (x["arch"], x["metric"])
        for x in json.loads(out.read_text())["rows"]
        if x["verdict"] == "regression"
    }
    assert {("gru", "sec_per_epoch"), ("lstm", "sec_per_epoch")} <= flagged
