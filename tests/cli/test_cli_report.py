"""`grubench report` and `grubench claims` through Typer's runner: output and exit codes."""

from pathlib import Path

from fake_records import paired_records, write_folder
from typer.testing import CliRunner

from grubench.cli import app

runner = CliRunner()


def test_report_writes_both_reports_and_the_charts(tmp_path: Path):
    run = write_folder(tmp_path / "run", paired_records([0.1] * 3, [0.2] * 3))
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert "report.md" in result.output and "report.html" in result.output
    assert (run / "report.html").stat().st_size > 10_000  # the images are inside
    # curves, target, cost; no size chart: the paired records' archs have matched sizes
    charts = sorted(p.name.split("-")[0] for p in (run / "plots").glob("*.png"))
    assert charts == ["cost", "curves", "target"]


def test_report_on_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path):
    result = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "error: results folder" in result.output and "does not exist" in result.output


def test_report_on_a_corrupt_trials_file_names_the_line(tmp_path: Path):
    run = write_folder(tmp_path / "run", paired_records([0.1], [0.2]))
    with (run / "trials.jsonl").open("a") as f:
        f.write('{"torn": \n')
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 2
    assert "trials.jsonl:3: not valid JSON" in result.output


def test_claims_with_an_unknown_key_fails_before_running_anything(tmp_path: Path):
    result = runner.invoke(app, ["claims", "--only", "z", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: unknown claim 'z'" in result.output
    assert not (tmp_path / "full").exists()


def test_exact_claims_get_verdicts_without_training(tmp_path: Path):
    result = runner.invoke(
        app, ["claims", "--quick", "--only", "a,c", "--no-run", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "supported" in result.output and "0 trials run" in result.output
    md = (tmp_path / "quick" / "claims.md").read_text()
    # (c) without timings rests on FLOPs at equal hidden; equal params is context, not counted.
    assert "| FLOPs/step at equal params | context | none |" in md
    assert "| (a) GRUs have fewer parameters than LSTMs |" in md
    assert "| total params at equal hidden (24 sizes) | yes | for |" in md
    assert "exact: total params GRU/LSTM ×0.750–0.753 over the sizes" in md
    assert (tmp_path / "quick" / "plots" / "claim-a-c-exact.png").exists()


def test_a_claim_whose_task_is_missing_is_marked_not_run(tmp_path: Path, monkeypatch):
    from dataclasses import replace

    from grubench.studies.claims import judge as claims

    missing = replace(claims.DATA[0], task="ucr:NoSuchDataset")
    monkeypatch.setattr(claims, "DATA", [missing, *claims.DATA[1:]])
    result = runner.invoke(
        app, ["claims", "--quick", "--only", "d", "--no-run", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    md = (tmp_path / "quick" / "claims.md").read_text()
    assert "not run (UCR/UEA dataset 'NoSuchDataset' is not available offline" in md


def test_run_ends_by_writing_the_report(tmp_path: Path):
    suite = tmp_path / "tiny.toml"
    suite.write_text(
        'name = "tiny"\nseeds = 1\nhidden = 4\nworkers = 2\nthreads = 1\n[train]\nepochs = 1\n'
        '[[task]]\nname = "adding"\nlength = 5\nn_train = 32\nn_val = 16\nn_test = 16\n'
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(suite), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "report.md, report.html, plots/" in result.output
    assert "| adding | gru | 1 |" in (out / "report.md").read_text()
    assert (out / "plots" / "curves-adding.png").exists()
