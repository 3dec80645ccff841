"""claims.md: the verdict table from synthetic evidence, written identically twice."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fake_records import paired_records, write_folder

from grubench.errors import UserError
from grubench.studies.claims.experiments import Outcome
from grubench.studies.claims.judge import ANBN, CLAIMS, LONG_ADDING, LONG_COPY
from grubench.studies.claims.report import ClaimsResult, select, verdict_rows, write_claims

NOISE = np.array([0.01, -0.01, 0.02, -0.02, 0.005, -0.005])


def _long_result(folder: Path) -> ClaimsResult:
    base = np.full(6, 0.1) + NOISE

    def recs(task, param, values, lstm_better_at):
        out = []
        for v in values:
            gru = (
                base
                + (0.05 if v == lstm_better_at else 0.0)
                + (NOISE if v != lstm_better_at else 0)
            )
            params = {param: v} if param else {"max_n": 10}
            out += paired_records(list(gru), list(base), task=task, params=params)
        return out

    outcomes = {
        "long-adding": Outcome(
            LONG_ADDING, folder / "a", tuple(recs("adding", "length", (25, 100), 100))
        ),
        "long-copy": Outcome(
            LONG_COPY, folder / "c", tuple(recs("copy", "delay", (10, 40), "never"))
        ),
        "anbn": Outcome(ANBN, folder / "n", tuple(recs("anbn", None, (None,), "never"))),
    }
    claim = next(c for c in CLAIMS if c.key == "e")
    outcomes["long-adding"] = replace(
        outcomes["long-adding"], sweep=replace(LONG_ADDING, values=(25, 100))
    )
    outcomes["long-copy"] = replace(
        outcomes["long-copy"], sweep=replace(LONG_COPY, values=(10, 40))
    )
    return ClaimsResult(folder, ((claim, claim.judge(outcomes)),), outcomes)


def test_select_parses_keys_and_rejects_unknown_ones():
    assert [c.key for c in select("e, a")] == ["a", "e"]
    assert len(select(None)) == 5
    with pytest.raises(UserError, match="unknown claim 'x'"):
        select("a,x")


def test_verdict_row_names_the_condition_and_the_evidence(tmp_path: Path):
    row = verdict_rows(_long_result(tmp_path))[0]
    assert row[0] == "(e) an LSTM may be preferred for long-term dependencies"
    assert row[3] == "depends (holds for adding length=100)"
    assert row[2].startswith("[adding length=100] test metric GRU 0.15 vs LSTM 0.1")
    assert row[2].endswith("+3 more")


def test_claims_md_is_written_identically_twice_with_its_charts(tmp_path: Path):
    result = _long_result(tmp_path)
    md, _ = write_claims(result)
    first = md.read_bytes(), (tmp_path / "plots" / "claim-e-long.png").read_bytes()
    write_claims(result)
    assert (md.read_bytes(), (tmp_path / "plots" / "claim-e-long.png").read_bytes()) == first
    text = md.read_text()
    assert "### (e) an LSTM may be preferred for long-term dependencies: depends" in text
    assert "| adding length=100 | for |" in text
    assert "![claim-e-long](plots/claim-e-long.png)" in text


def test_an_experiment_that_ran_trials_gets_its_own_report(tmp_path: Path):
    recs = paired_records([0.1] * 2, [0.2] * 2, params={"length": 10})
    folder = write_folder(tmp_path / "long-adding", recs)
    ran = Outcome(replace(LONG_ADDING, values=(10,)), folder, tuple(recs), ran=4)
    claim = next(c for c in CLAIMS if c.key == "e")
    result = ClaimsResult(
        tmp_path, ((claim, claim.judge({"long-adding": ran})),), {"long-adding": ran}
    )
    write_claims(result)
    assert (folder / "report.md").exists() and (folder / "report.html").exists()
    assert "not run (experiment long-copy not run)" in (tmp_path / "claims.md").read_text()
