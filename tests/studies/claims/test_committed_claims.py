"""The committed claims runs can be recomputed from the repository: each experiment ships its
per-trial records (trials.jsonl.gz), and the verdicts' conditions follow from them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from grubench.store import planned
from grubench.studies.claims.experiments import Outcome
from grubench.studies.claims.judge import CLAIMS, sweeps

CLAIMS_DIR = Path(__file__).resolve().parents[3] / "docs" / "claims"


def _outcomes(mode: str) -> dict[str, Outcome]:
    out = {}
    for name, sweep in sweeps(mode == "quick").items():
        folder = CLAIMS_DIR / mode / name
        with gzip.open(folder / "trials.jsonl.gz", "rt") as f:
            lines = [json.loads(line) for line in f if line.strip()]
        latest = {r["trial_id"]: r for r in lines}  # a retried trial: its last record counts
        # Finals at a rate the tuning rule no longer chooses stay recorded, unplanned.
        info = json.loads((folder / "run.json").read_text())
        out[name] = Outcome(sweep, folder, tuple(planned(list(latest.values()), info)))
    return out


@pytest.mark.parametrize("mode", ["quick", "full"])
def test_every_trained_condition_recomputes_from_the_committed_records(mode: str):
    committed = json.loads((CLAIMS_DIR / mode / "claims.json").read_text())["claims"]
    timing = json.loads((CLAIMS_DIR / mode / "timing" / "timing.json").read_text())
    got = {**_outcomes(mode), "timing": timing}
    checked = 0
    for claim, saved in zip(CLAIMS, committed, strict=True):
        verdict = claim.judge(got)
        assert verdict.verdict == saved["verdict"], claim.key
        by_name = {c["name"]: c for c in saved["conditions"]}
        for f in verdict.findings:
            if f.kind not in ("metric", "time to target"):
                continue
            c = by_name[f.condition]
            for value, kept in ((f.effect, c["effect"]), (f.p, c["p"])):
                if kept is None:  # nothing to compare (no run reached the target)
                    assert value is None or value != value, f.condition
                else:
                    assert value == pytest.approx(kept, rel=1e-9, abs=1e-12), f.condition
            assert f.outcome == c["counts"], f.condition
            checked += 1
    assert checked >= 5
