import pandas as pd

from grubench.studies.speed.plots import all_plots, memory_vs_seq, ratio_heatmap

ROWS = [
    {
        "hidden": h,
        "seq_len": t,
        "batch": 64,
        "layers": 1,
        "input_size": 32,
        "label": arch,
        "arch": arch,
        "measure": "train",
        "median_ms": ms * h * t / 640,
        "q1_ms": 0.9 * ms * h * t / 640,
        "q3_ms": 1.1 * ms * h * t / 640,
        "ratio_to": "lstm" if arch == "gru" else None,
        "ratio_median": 1.25 if arch == "gru" else None,
    }
    for h in (64, 128)
    for t in (10, 20)
    for arch, ms in (("gru", 2.0), ("lstm", 1.6))
]


def test_all_four_plots_are_written(tmp_path):
    mem = pd.DataFrame(
        [
            {
                "arch": a,
                "seq_len": t,
                "peak_mb": t,
                "saved_activations_mb": t / 3,
                "optimizer_state_mb": 0.1,
            }
            for a in ("gru", "lstm")
            for t in (25, 50)
        ]
    )
    made = all_plots(pd.DataFrame(ROWS), mem, tmp_path)
    assert sorted(made) == [
        "memory_vs_seq_len.png",
        "ratio_heatmap.png",
        "time_vs_hidden.png",
        "time_vs_seq_len.png",
    ]
    assert all(p.stat().st_size > 1000 for p in made.values())


def test_plots_with_nothing_to_show_are_left_out(tmp_path):
    one_arch = pd.DataFrame([r for r in ROWS if r["label"] == "lstm"])
    assert ratio_heatmap(one_arch, tmp_path / "h.png") is None
    assert memory_vs_seq(pd.DataFrame(), tmp_path / "m.png") is None
    assert not list(tmp_path.iterdir())
