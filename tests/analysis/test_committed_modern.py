"""The 2026-12-04 modern page says what its committed records say: both tables (selective copy
by cell and depth beside Feng et al., steps to target on adding and copy) are recomputed from
the records and the step timings committed beside the page, and must appear in it verbatim."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PAGE = Path(__file__).parents[2] / "docs/findings/2026-12-04-modern.md"
RECORDS = PAGE.with_suffix("")


def _tables():
    spec = importlib.util.spec_from_file_location("modern_tables", RECORDS / "tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_selective_copy_table_is_recomputed_from_the_records():
    t = _tables()
    rows = t.selective_rows(RECORDS)
    assert {r[1] for r in rows} == {"1", "2", "3"}  # the paper's depths, all run
    page = PAGE.read_text()
    for row in rows:
        assert "| " + " | ".join(row) + " |" in page, row


def test_the_time_to_target_table_is_recomputed_from_the_records_and_timings():
    t = _tables()
    rows = t.target_rows(RECORDS, t.step_costs(RECORDS))
    page = PAGE.read_text()
    for row in rows:
        assert "| " + " | ".join(row) + " |" in page, row
