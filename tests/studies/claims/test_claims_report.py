"""claims.md and claims.json from constructed evidence, written identically twice."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fake_records import paired_records, write_folder

from grubench.errors import UserError
from grubench.studies.claims.experiments import Outcome
from grubench.studies.claims.judge import CLAIMS, LONG
from grubench.studies.claims.report import (
    ClaimsResult,
    claims_json,
    select,
    verdict_rows,
    write_claims,
)

NOISE = np.array([0.01, -0.01, 0.02, -0.02, 0.005, -0.005, 0.015, -0.015, 0.0, 0.012])
ADDING = replace(LONG[0], values=(50, 100))


def _long_result(folder: Path) -> ClaimsResult:
    solved, stuck = 0.005 + NOISE / 10, 0.15 + NOISE
    recs = paired_records(list(solved), list(solved), params={"length": 50})
    recs += paired_records(list(stuck), list(solved), params={"length": 100})
    outcomes = {"long-adding": Outcome(ADDING, folder / "long-adding", tuple(recs))}
    claim = next(c for c in CLAIMS if c.key == "e")
    return ClaimsResult(folder, ((claim, claim.judge(outcomes)),), outcomes, 61.0)


def test_select_parses_keys_and_rejects_unknown_ones():
    assert [c.key for c in select("e, a")] == ["a", "e"]
    assert len(select(None)) == 5
    with pytest.raises(UserError, match="unknown claim 'x'"):
        select("a,x")


def test_verdict_row_names_the_deciding_condition(tmp_path: Path):
    row = verdict_rows(_long_result(tmp_path / "quick"))[0]
    assert row[0] == "(e) an LSTM may be preferred for long-term dependencies"
    assert row[2] == "adding length=100: for"
    assert row[3] == "supported (holds for adding length=100)"


def test_claims_json_has_the_documented_fields(tmp_path: Path):
    data = claims_json(_long_result(tmp_path / "quick"))
    assert (data["mode"], data["seeds"], data["wall_seconds"]) == ("quick", 6, 61.0)
    (claim,) = data["claims"]
    assert {"id", "verdict", "scope", "conditions"} <= claim.keys()
    assert claim["scope"]["seeds"] == 6 and claim["scope"]["stopped by"] == ["steps"]
    long = claim["conditions"][1]
    assert {
        "name",
        "kind",
        "decisive",
        "learned",
        "effect",
        "interval",
        "p",
        "p_holm",
    } <= long.keys()
    assert long["learned"] == {"gru": False, "lstm": True}
    assert (
        long["decisive"] and long["kind"] == "metric" and long["p_holm"] == pytest.approx(2 / 2**10)
    )
    assert claim["conditions"][0]["decisive"] is False  # length 50: context


def test_claims_md_and_json_are_written_identically_twice(tmp_path: Path):
    result = _long_result(tmp_path / "quick")
    md, js, _ = write_claims(result)
    first = md.read_bytes(), js.read_bytes()
    write_claims(result)
    assert (md.read_bytes(), js.read_bytes()) == first
    text = md.read_text()
    assert "### (e) an LSTM may be preferred for long-term dependencies: supported" in text
    assert "| adding length=100 | yes | for |" in text
    assert "Weiss, Goldberg & Yahav 2018" in text  # the literature beside ours
    assert "![claim-e-long](plots/claim-e-long.png)" in text
    assert json.loads(js.read_text())["claims"][0]["id"] == "e"


def test_an_experiment_that_ran_trials_gets_its_own_report(tmp_path: Path):
    recs = paired_records([0.1] * 2, [0.2] * 2, params={"length": 100})
    folder = write_folder(tmp_path / "long-adding", recs)
    ran = Outcome(replace(ADDING, values=(100,)), folder, tuple(recs), ran=4)
    claim = next(c for c in CLAIMS if c.key == "e")
    result = ClaimsResult(
        tmp_path / "quick", ((claim, claim.judge({"long-adding": ran})),), {"long-adding": ran}
    )
    write_claims(result)
    assert (folder / "report.md").exists() and (folder / "report.html").exists()


def test_wall_time_is_read_from_the_results_not_from_the_invocation():
    from grubench.studies.claims.report import measured_wall

    recs = paired_records([0.1], [0.2], params={"length": 100})
    recs[0].update(finished_at="2026-01-01T00:01:00+00:00", wall_seconds=30.0)
    recs[1].update(finished_at="2026-01-01T00:02:00+00:00", wall_seconds=20.0)
    got = {"long-adding": Outcome(ADDING, Path("/x"), tuple(recs)), "timing": {"wall_seconds": 5}}
    assert measured_wall(got) == pytest.approx(90.0 + 5.0)  # 00:00:30 → 00:02:00, plus the grid
    assert measured_wall({}) == 0.0
    # Resumed a day later: the pause between the parts is not the run's time, the part is.
    later = paired_records([0.1], [0.2], params={"length": 100})
    later[0].update(finished_at="2026-01-02T00:01:00+00:00", wall_seconds=60.0)
    later[1].update(finished_at="2026-01-02T00:00:30+00:00", wall_seconds=10.0)
    got["long-adding"] = Outcome(ADDING, Path("/x"), tuple(recs + later))
    assert measured_wall(got) == pytest.approx(90.0 + 60.0 + 5.0)
    # The tuning trials before the finals are the run's time too.
    tune = paired_records([0.1], [0.2], params={"length": 100})[:1]
    tune[0].update(finished_at="2026-01-01T00:00:30+00:00", wall_seconds=100.0, role="tune")
    got["long-adding"] = Outcome(ADDING, Path("/x"), tuple(recs + later), tuning=tuple(tune))
    assert measured_wall(got) == pytest.approx(100.0 + 90.0 + 60.0 + 5.0)
