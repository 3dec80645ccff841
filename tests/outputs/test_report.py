"""report.md / report.html / plots: contents from the records, and identical bytes each time."""

import json
from pathlib import Path

import pytest
from fake_records import paired_records, tuning_records, write_folder

from grubench.outputs.report import to_markdown, write_report
from grubench.outputs.sections import Block, table


def _folder(tmp_path: Path) -> Path:
    gru = [0.05, 0.06, 0.04, 0.05, 0.07, 0.05]
    lstm = [0.10, 0.12, 0.11, 0.10, 0.13, 0.12]
    recs = paired_records(gru, lstm, params={"length": 10}, to_target=3.0)
    for r in recs[1::2]:  # the LSTM runs never reach the target: censored at 4 s
        r["time_to_target_s"] = r["epochs_to_target"] = None
    recs += paired_records(lstm, lstm, params={"length": 20})
    return write_folder(tmp_path / "run", recs)


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """One folder reported twice: its paths and both snapshots of every file."""
    run = _folder(tmp_path_factory.mktemp("report"))
    snaps = []
    for _ in range(2):
        paths = write_report(run)
        snaps.append(
            {p.relative_to(run): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}
        )
    return paths, snaps


def test_report_is_byte_identical_when_run_twice(twice):
    _, (first, second) = twice
    assert first == second
    assert Path("plots/curves-adding_length=10.png") in first
    assert Path("plots/target-adding.png") in first


def test_report_holds_the_summary_paired_test_and_censored_time_to_target(twice):
    (md, page), _ = twice
    text = md.read_text()
    # the 95% t-interval: 0.05333 ± 2.5706 · 0.01033 / √6
    assert "| adding length=10 | gru | 6 | ? | mse↓ 0.05333 ± 0.01 | [0.0425, 0.0642] |" in text
    # six seeds all in GRU's favour: exact p = 2/64, GRU named, P(GRU better) 1 [0.025^(1/6), 1]
    assert "| adding length=10 | test metric | 6 | 0.05333 | 0.1133 |" in text
    assert "| 0.031 | 1 [0.54, 1] | gru |" in text
    # length=20 has identical archs: no winner
    assert "| adding length=20 | test metric | 6 |" in text and "no clear difference" in text
    # every GRU run reached it by 3 s; the LSTM's were censored at 4 s: both known to 4 s
    assert "| adding length=10 | gru | 0.01 | 6/6 | 3 | 3 (τ=4) | 3 |" in text
    assert "| adding length=10 | lstm | 0.01 | 0/6 | not reached | 4 (τ=4) | – | 0.0" in text
    assert "| adding length=20 | gru | 0.01 | 0/6 | not reached |" in text
    html = page.read_text()
    assert html.count("data:image/png;base64,") == text.count("![")
    assert "<table>" in html and "plots/" not in html.split("<body>")[1]


def test_report_opens_with_one_verdict_line_per_setting(twice):
    (md, _), _ = twice
    blocks = md.read_text().split("\n\n")
    assert blocks[0] == "# grubench report: fake"
    # length=10: GRU wins the test but scores 0.053 against a target of 0.01: not learned
    assert blocks[1].startswith(
        "**adding length=10**: no winner (not learned within budget). GRU, the better"
    )
    assert "P(GRU better) = 1 [0.54, 1]." in blocks[1]
    assert blocks[2].startswith("**adding length=20**: no winner (no clear difference).")
    assert blocks[3].startswith("Suite `fake`")


def test_stale_charts_are_removed(tmp_path: Path):
    run = _folder(tmp_path)
    (run / "plots").mkdir()
    (run / "plots" / "curves-old.png").write_bytes(b"old")
    write_report(run)
    assert not (run / "plots" / "curves-old.png").exists()


def test_markdown_tables_escape_pipes():
    md = to_markdown([Block("h2", "T"), table(["a", "b"], [["x|y", 1]])])
    assert md == "## T\n\n| a | b |\n|---|---|\n| x\\|y | 1 |\n"


def test_a_folder_of_failures_or_of_nothing_still_reports(tmp_path: Path):
    recs = paired_records([0.1], [0.2])
    for r in recs:
        r["status"] = "failed"
    md, _ = write_report(write_folder(tmp_path / "failed", recs))
    assert "| adding | gru | 0 (0 div, 1 fail) | ? | mse↓ – ± – |" in md.read_text()
    md, _ = write_report(write_folder(tmp_path / "empty", []))
    assert "No trials finished yet." in md.read_text()


def test_new_fields_show_lr_grid_lr_curve_eval_memory_and_capped_groups(tmp_path: Path):
    gru, lstm = [0.005, 0.006, 0.004, 0.005, 0.007, 0.005], [0.009, 0.008, 0.009, 0.007, 0.01, 0.02]
    recs = paired_records(gru, lstm, converged=True, lr_grid=[0.001, 0.01], peak_eval_mb=30.0)
    for r in recs:
        r["lr"] = 0.01 if r["arch"] == "gru" else 0.001
    recs[-1]["converged"] = False  # one LSTM run ended at its budget while still improving
    recs += tuning_records("gru", {0.001: [0.2, 0.3], 0.01: [0.1, 0.1]})
    recs += tuning_records("lstm", {0.001: [0.1, 0.1], 0.01: [0.3, 0.2]})
    md, page = write_report(write_folder(tmp_path / "run", recs))
    text = md.read_text()
    # At equal steps the run counts; the answer says it ended still improving.
    assert text.split("\n\n")[1].startswith("**adding**: GRU wins.")
    assert "At equal steps: runs that ended at the budget while still improving: LSTM 1/6." in text
    assert " 12 trials and 8 tuning trials." in text
    assert "| adding | gru | 6 | yes | mse↓ 0.005333 ± 0.001 |" in text
    assert "| adding | lstm | 6 | no: 1/6 at cap |" in text
    assert "**Stopped at the cap while still improving**: adding lstm (1/6)." in text
    # lr, grid, the rates within one SE (run.json says none here), tuning trials
    assert "| adding | gru | 0.01 | 0.001 0.01 | – | 4 |" in text
    assert "peak train MiB (median) | peak eval MiB (median) |" in text
    assert "| 20 | 30 |" in text
    assert "| adding | peak eval MiB | 6 |" in text
    assert "![lr-adding](plots/lr-adding.png)" in text
    assert (tmp_path / "run" / "plots" / "lr-adding.png").stat().st_size > 1000
    assert "<b>adding</b>: GRU wins." in page.read_text()


def test_a_rate_chosen_at_the_edge_of_its_grid_is_flagged(tmp_path):
    from fake_records import paired_records

    from grubench.outputs.sections import lr_blocks

    recs = paired_records([0.05] * 3, [0.1] * 3, lr=0.02, lr_grid=[0.002, 0.006, 0.02])
    recs += paired_records([0.05] * 3, [0.1] * 3, lr=0.006, lr_grid=[0.002, 0.006, 0.02])
    for r in recs[6:]:
        r["task_params"] = {"length": 20}
    (table,) = [b for b in lr_blocks(recs, [], tmp_path) if b.kind == "table"]
    lrs = sorted(row[2] for row in table.rows)
    assert lrs == ["0.006", "0.006", "0.02 (grid's edge)", "0.02 (grid's edge)"]


def test_the_rates_tuning_could_not_tell_apart_are_shown_per_setting_and_arch(tmp_path):
    grid = [0.001, 0.003, 0.01]
    recs = paired_records([0.05] * 3, [0.1] * 3, lr=0.003, lr_grid=grid)
    recs += paired_records([0.05] * 3, [0.1] * 3, lr=0.01, lr_grid=grid, params={"length": 20})
    run = write_folder(tmp_path / "run", recs)
    info = json.loads((run / "run.json").read_text())
    # run.json as a tuned run writes it: the suite, and per (task index, arch) the set.
    info["suite_source"] = {
        "archs": ["gru", "lstm"],
        "task": [{"name": "adding", "length": 10}, {"name": "adding", "length": 20}],
        "tune": {"lr": grid},
    }
    info["tuning"] = [
        {"task_index": 0, "arch": "gru", "within": [0.001, 0.003, 0.01]},
        {"task_index": 0, "arch": "lstm", "within": [0.003]},
        {"task_index": 1, "arch": "gru", "within": [0.003, 0.01]},
    ]  # the second task's LSTM: not recorded
    (run / "run.json").write_text(json.dumps(info))
    text = write_report(run)[0].read_text()
    assert "| adding length=10 | gru | 0.003 | 0.001 0.003 0.01 | 0.001 0.003 0.01 | 0 |" in text
    assert "| adding length=10 | lstm | 0.003 | 0.001 0.003 0.01 | 0.003 | 0 |" in text
    assert (
        "| adding length=20 | gru | 0.01 (grid's edge) | 0.001 0.003 0.01 | 0.003 0.01 | 0 |"
        in text
    )
    assert "| adding length=20 | lstm | 0.01 (grid's edge) | 0.001 0.003 0.01 | – | 0 |" in text
    assert "'Within one SE' lists the rates the tuning seeds cannot tell from the best" in text


def test_the_report_names_the_cpu_precisely_and_older_runs_by_their_name():
    from grubench.outputs.report import environment_line

    env = {
        "cpu": "AMD EPYC",
        "cpu_label": "AMD EPYC (family 23 model 49 stepping 0, Zen 2, AVX2)",
        "onednn_isa": "Intel AVX2",
        "cpu_count": 2,
    }
    line = environment_line({"environment": env, "suite": {"name": "s"}})
    assert (
        "AMD EPYC (family 23 model 49 stepping 0, Zen 2, AVX2), oneDNN Intel AVX2 (2 cores)" in line
    )
    old = environment_line({"environment": {"cpu": "AMD EPYC", "cpu_count": 2}})
    assert "; AMD EPYC (2 cores)" in old


def test_a_report_builds_each_records_table_once(tmp_path: Path, monkeypatch):
    """Finals and tuning trials are each made into a frame once, however many sections,
    paired tests and charts read them (it was about a dozen times each)."""
    from fake_records import tuning_records

    from grubench.analysis import frames
    from grubench.outputs.report import build

    scores = {1e-3: [0.2, 0.3], 1e-2: [0.1, 0.2]}
    tuned = {"params": {"length": 10}, "lr": 1e-2, "lr_grid": sorted(scores)}
    recs = paired_records([0.05, 0.06, 0.04], [0.10, 0.12, 0.11], **tuned)
    tunes = [r for a in ("gru", "lstm") for r in tuning_records(a, scores, params={"length": 10})]
    run = write_folder(tmp_path / "run", recs + tunes)
    built = []
    real = frames._frame_of
    monkeypatch.setattr(frames, "_frame_of", lambda rs: built.append(len(rs)) or real(rs))
    summed, real_summary = [], frames._summary_of
    monkeypatch.setattr(
        frames, "_summary_of", lambda rs: summed.append(len(rs)) or real_summary(rs)
    )
    blocks = build(run)
    assert any(b.kind == "table" for b in blocks) and any(b.kind == "img" for b in blocks)
    assert sorted(built) == sorted([len(recs), len(tunes)])
    assert summed == [len(recs)]  # the summary table and the learning-rate table share it


def test_bold_in_a_table_cell_is_bold_in_html_too(tmp_path: Path):
    from grubench.outputs.report import to_html

    page = to_html([table(["verdict"], [["**holds** (p < 0.05)"]])], tmp_path, "t")
    assert "<td><b>holds</b> (p &lt; 0.05)</td>" in page and "**" not in page


def test_published_figures_sit_beside_ours_of_the_same_family_and_depth(tmp_path: Path):
    import json

    recs = paired_records([0.30, 0.32, 0.34], [0.5, 0.5, 0.5], params={"length": 10})
    for r in recs:
        r["arch"] = "mingru-seq" if r["arch"] == "gru" else r["arch"]
        r["layers"] = 2
    run = write_folder(tmp_path / "run", recs)
    info = json.loads((run / "run.json").read_text())
    fig = {"task": "adding", "value": 0.37, "spread": 0.02, "quantity": "q", "source": "Feng"}
    info["suite"]["published"] = [
        {**fig, "arch": "mingru", "layers": 2},
        {**fig, "arch": "mingru", "layers": 3},
        {**fig, "task": "copy", "arch": "mingru", "layers": 2},  # a task not in this run
    ]
    (run / "run.json").write_text(json.dumps(info))
    md = write_report(run)[0].read_text()
    section = md.split("## Published figures beside ours")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| adding")]
    assert len(rows) == 2 and "copy" not in section
    two, three = rows
    assert "| 0.37 ± 0.02 |" in two and "| mingru-seq | 3 | 0.32 ± 0.02 |" in two
    assert "not run at this depth (this run: 2)" in three
