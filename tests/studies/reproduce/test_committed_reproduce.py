"""The committed reproduce runs (docs/reproduce/MODE) ship their per-trial records
(trials.jsonl.gz), and every figure, ordering and reach rate on their page follows from them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from grubench.store import planned
from grubench.studies.reproduce.judge import judge
from grubench.studies.reproduce.setups import SETUPS

DOCS = Path(__file__).resolve().parents[3] / "docs" / "reproduce"
MODES = [p.name for p in sorted(DOCS.iterdir()) if (p / "reproduce.json").exists()]


def _records(folder: Path) -> list[dict]:
    """The records of the trials the run plans (finals at a rate the tuning rule no longer
    chooses stay recorded, unplanned)."""
    with gzip.open(folder / "trials.jsonl.gz", "rt") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    return planned(recs, json.loads((folder / "run.json").read_text()))


@pytest.mark.parametrize("mode", MODES)
def test_every_line_of_the_committed_page_recomputes_from_its_records(mode: str):
    page = json.loads((DOCS / mode / "reproduce.json").read_text())
    assert page["mode"] == mode
    checked = 0
    for s in page["setups"]:
        if s["error"]:
            continue
        setup = SETUPS[s["name"]]
        r = judge(setup, _records(DOCS / mode / s["name"]), ran=setup.experiment(mode == "quick"))
        assert r.left_out == s["left_out"]
        assert len(r.figures) == len(s["figures"]) and len(r.orderings) == len(s["orderings"])
        for mine, theirs in zip(r.figures, s["figures"], strict=True):
            assert mine.ours.n == theirs["ours_n"] and mine.near == theirs["near"]
            if mine.ours.n:
                assert mine.ours.mean == pytest.approx(theirs["ours_mean"], rel=1e-12)
        for mine, theirs in zip(r.orderings, s["orderings"], strict=True):
            assert (mine.n, mine.verdict, mine.reason) == (
                theirs["n"],
                theirs["verdict"],
                theirs["reason"],
            )
            assert mine.p == pytest.approx(theirs["p"], rel=1e-12, nan_ok=True)
            assert mine.p_better == pytest.approx(theirs["p_better"], rel=1e-12, nan_ok=True)
        reach = [(x.setting, x.arch, x.reached, x.runs, list(x.steps)) for x in r.reach]
        assert reach == [
            (x["setting"], x["arch"], x["reached"], x["runs"], x["steps_to_target"])
            for x in s["reach"]
        ]
        checked += 1
    assert checked == len(page["setups"]) == 3
