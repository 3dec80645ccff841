"""The README's headline claims row says what the committed full-mode claims.json says."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT / "docs" / "claims" / "full"


def claims_row() -> str:
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if "(e) " in line]
    assert len(rows) == 1, "one README table row holds the claims' verdicts"
    return rows[0]


def test_the_readme_row_gives_every_full_mode_verdict_and_links_its_page():
    data = json.loads((FULL / "claims.json").read_text())
    assert data["mode"] == "full" and data["seeds"] >= 10
    row = claims_row()
    for claim in data["claims"]:
        # "(b) <words>: depends" — the verdict word right after the claim's own words.
        said = re.search(rf"\({claim['id']}\)[^;:|]*: ([a-z]+)", row)
        assert said, f"claim ({claim['id']}) is missing from the README row"
        assert said.group(1) == claim["verdict"].split(" ")[0], claim["id"]
    assert f"{data['seeds']} seeds" in row
    assert "(docs/claims/full/claims.md)" in row


def test_the_full_mode_outputs_are_committed_together():
    data = json.loads((FULL / "claims.json").read_text())
    md = (FULL / "claims.md").read_text()
    for claim in data["claims"]:
        assert f"({claim['id']}) {claim['text']}: {claim['verdict'].split(' (')[0]}" in md
    for chart in ("claim-b-c-crossover.png", "claim-d-data.png", "claim-e-long.png"):
        assert (FULL / "plots" / chart).stat().st_size > 10_000
