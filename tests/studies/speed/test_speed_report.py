import json

import pandas as pd
import pytest

from grubench.analysis.stats import summarise
from grubench.studies.speed.config import SpeedConfig
from grubench.studies.speed.limits import Gemm, GemmResult
from grubench.studies.speed.report import (
    crossover_text,
    crossovers,
    markdown_table,
    ratio_summary,
    write_outputs,
)


def _row(label, hidden, seq_len, median, ratio):
    return {
        "hidden": hidden,
        "seq_len": seq_len,
        "batch": 64,
        "layers": 1,
        "input_size": 32,
        "label": label,
        "arch": label,
        "hidden_arch": hidden,
        "params_total": 1000,
        "measure": "train",
        "measure_batch": 64,
        "median_ms": median,
        "q1_ms": median * 0.9,
        "q3_ms": median * 1.1,
        "rel_iqr": 0.2,
        "rounds": 7,
        "calls_per_sample": 1,
        "stop": "converged",
        "flops": 1e9,
        "gflops": 1e3 / median,
        "gemm_floor_ms": median / 2,
        "gemm_flops": 9e8,
        "step_limit_gflops": 50.0,
        "pct_step_limit": 2e3 / median,
        "square_gflops": 100.0,
        "pct_square": 1e3 / median,
        "ratio_to": "lstm" if ratio else None,
        "ratio_median": ratio,
        "ratio_q1": ratio and ratio - 0.1,
        "ratio_q3": ratio and ratio + 0.1,
        "device": "cpu",
        "threads": 1,
    }


ROWS = [
    _row(a, h, t, m, r)
    for h in (64, 128)
    for t in (10, 20)
    for a, m, r in (("gru", 2.0 * h * t / 640, 1.25), ("lstm", 1.6 * h * t / 640, None))
]


def _square():
    g = Gemm("square", 64, 64, 64)
    return GemmResult(g, summarise([8e-5, 9e-5, 1e-4, 1.1e-4, 1.2e-4]), 5, "converged")


def test_markdown_table_has_a_line_per_row_with_ratio_and_stop():
    md = markdown_table(pd.DataFrame(ROWS)).splitlines()
    assert len(md) == 2 + len(ROWS)
    assert "1.250 [1.150–1.350] vs lstm" in md[2]
    assert md[2].endswith("| 7 (converged) |")


def test_ratio_summary_keeps_only_compared_rows():
    s = ratio_summary(pd.DataFrame(ROWS))
    assert list(s["label"].unique()) == ["gru"]
    assert len(s) == 4


def test_write_outputs_writes_every_file_and_plot(tmp_path):
    mem = [
        {
            "arch": a,
            "hidden": 64,
            "batch": 64,
            "seq_len": t,
            "peak_mb": t * k,
            "saved_activations_mb": t * k / 3,
            "optimizer_state_mb": 0.1,
        }
        for a, k in (("gru", 0.1), ("lstm", 0.12))
        for t in (25, 50)
    ]
    paths = write_outputs(
        tmp_path, SpeedConfig(), ROWS, _square(), mem, {"cpu": "test cpu", "torch": "x"}
    )
    for name in ("speed.csv", "limits.csv", "memory.csv", "speed.md", "env.json"):
        assert (tmp_path / name).stat().st_size > 0
    for name in ("time_vs_seq_len", "time_vs_hidden", "ratio_heatmap", "memory_vs_seq_len"):
        assert (tmp_path / "plots" / f"{name}.png").stat().st_size > 1000
    assert len(paths) == 9
    csv = pd.read_csv(tmp_path / "speed.csv")
    assert len(csv) == len(ROWS) and csv["median_ms"].iloc[0] == ROWS[0]["median_ms"]
    limits = pd.read_csv(tmp_path / "limits.csv")
    assert limits["gflops"].iloc[0] == pytest.approx(2 * 64**3 / 1e-4 / 1e9)
    assert list(limits["kind"][:2]) == ["square GEMM", "gru train GEMMs"]
    assert len(limits) == 1 + len(ROWS)
    env = json.loads((tmp_path / "env.json").read_text())
    assert env["config"]["hidden"] == [64, 256] and env["environment"]["cpu"] == "test cpu"
    assert "Peak training memory" in (tmp_path / "speed.md").read_text()
    assert not list(tmp_path.rglob(".*tmp"))  # no temporary files left behind


def _timed(label, seq_len, ms, measure="train"):
    return _row(label, 64, seq_len, ms[len(ms) // 2], None) | {
        "measure": measure,
        "samples_ms": tuple(ms),
    }


def test_crossovers_pair_every_implementation_with_gru_and_lstm_round_by_round():
    # The scan costs 8, 8, 8 ms at every length; the GRU 2, 8, 32 (it crosses at 128 exactly,
    # a single length later than where the LSTM at 1, 4, 16 is overtaken); rounds agree.
    rows = [
        _timed(label, t, [ms] * 5)
        for t, scale in ((32, 1), (128, 4), (512, 16))
        for label, ms in (("mingru", 8.0), ("gru", 2.0 * scale), ("lstm", 1.0 * scale))
    ]
    cross = crossovers(pd.DataFrame(rows)).set_index(["label", "vs"])
    assert set(cross.index) == {
        ("mingru", "gru"),
        ("lstm", "gru"),
        ("mingru", "lstm"),
        ("gru", "lstm"),
    }
    r = cross.loc[("mingru", "gru")]
    assert r["where"] == "within" and r["at"] == pytest.approx(128.0)
    assert r["ratio_first"] == pytest.approx(4.0) and r["ratio_last"] == pytest.approx(0.25)
    assert r["seq_lens"] == (32, 128, 512)  # what the chart draws, per length
    assert r["ratio_quartiles"] == ((4.0, 4.0, 4.0), (1.0, 1.0, 1.0), (0.25, 0.25, 0.25))
    assert cross.loc[("mingru", "lstm"), "at"] == pytest.approx(256.0)
    assert cross.loc[("lstm", "gru"), "where"] == "below"  # 0.5 throughout
    assert cross.loc[("gru", "lstm"), "where"] == "above"
    assert crossover_text(cross.loc[("mingru", "gru")]) == "faster from T ≈ 128 [128, 128]"
    assert crossover_text(cross.loc[("lstm", "gru")]) == "faster at every length (32–512)"
    assert crossover_text(cross.loc[("gru", "lstm")]) == "slower at every length up to 512"


def test_a_grid_of_one_length_has_no_crossover_and_infer_is_left_out():
    rows = [_timed(a, 32, [1.0, 2.0, 3.0]) for a in ("mingru", "gru")]
    assert crossovers(pd.DataFrame(rows)).empty
    rows = [_timed(a, t, [1.0, 2.0, 3.0], "infer") for a in ("mingru", "gru") for t in (32, 64)]
    assert crossovers(pd.DataFrame(rows)).empty


def test_write_outputs_adds_the_rounds_the_crossover_table_and_its_chart(tmp_path):
    rows = [
        _timed(label, t, [ms * (1 + 0.01 * i) for i in range(5)])
        for t, scale in ((32, 1), (128, 4), (512, 16))
        for label, ms in (("mingru", 8.0), ("gru", 2.0 * scale))
    ]
    paths = write_outputs(tmp_path, SpeedConfig(), rows, _square(), [], {"cpu": "test"})
    rounds = pd.read_csv(paths["rounds.csv"])
    assert len(rounds) == 6 * 5 and list(rounds["round"][:5]) == [0, 1, 2, 3, 4]
    assert rounds["ms"].iloc[1] == pytest.approx(8.08)
    assert "samples_ms" not in pd.read_csv(paths["speed.csv"]).columns
    md = paths["speed.md"].read_text()
    assert "## Crossover" in md and "| 64 | 64 | train | mingru | gru | 4 / 0.25 |" in md
    assert paths["ratio_vs_seq_len.png"].stat().st_size > 10_000
