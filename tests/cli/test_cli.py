import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from grubench.cli import app
from grubench.models.sizing import params_recurrent, params_total

runner = CliRunner()


def test_run_writes_results_and_prints_the_table(tiny_suite: Path, tmp_path: Path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(tiny_suite), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "adding" in result.output and "mse" in result.output
    lines = (out / "trials.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 4
    for r in records:
        for key in (
            "task",
            "arch",
            "seed",
            "hidden",
            "params_total",
            "test_metric",
            "train_seconds",
            "peak_mem_mb",
            "history",
            "diverged",
        ):
            assert key in r
        assert r["status"] == "ok"
    run = json.loads((out / "run.json").read_text())
    assert run["environment"]["torch"] and run["suite"]["name"] == "tiny"
    assert "cpu" in run["environment"] and "git_sha" in run["environment"]
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("task,setting,arch") and len(summary) == 3
    # It ends with the answer, the line report.md opens with (without its Markdown).
    from grubench.analysis.answer import answers
    from grubench.outputs.sections import answer_line, verdict_line

    (a,) = answers(records, ("gru", "lstm"))
    last = result.output.strip().splitlines()[-1]
    assert last == answer_line(a) and last.startswith("adding: ")
    assert verdict_line(a).startswith(f"**{a.setting}**: ") and "sign-flip p = " in last
    assert verdict_line(a).split("sign-flip p = ")[1][:4] == last.split("sign-flip p = ")[1][:4]


def test_cli_overrides_replace_suite_values(tiny_suite: Path, tmp_path: Path):
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "run",
            str(tiny_suite),
            "--arch",
            "rnn",
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    assert [(r["arch"], r["epochs_run"]) for r in records] == [("rnn", 1)]


def test_size_json_lists_every_arch_and_rule():
    result = runner.invoke(
        app, ["size", "--input", "88", "--hidden", "36", "--output", "88", "--json"]
    )
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert {(r["arch"], r["rule"]) for r in rows} >= {("gru", "params"), ("lstm", "hidden")}
    for r in rows:
        assert set(r) == {
            "arch",
            "rule",
            "hidden",
            "params_recurrent",
            "params_total",
            "flops_per_step",
        }
        assert r["params_total"] == params_total(r["arch"], 88, r["hidden"], 1, 88)


def test_size_takes_archs_repeated_or_comma_separated_and_shows_the_minimal_cells():
    base = ["size", "--input", "16", "--hidden", "48", "--layers", "3", "--json"]
    one = json.loads(runner.invoke(app, [*base, "-a", "gru,mingru", "-a", "minlstm"]).output)
    assert {r["arch"] for r in one} == {"gru", "mingru", "minlstm"}
    mingru = next(r for r in one if r["arch"] == "mingru" and r["rule"] == "hidden")
    assert mingru["params_recurrent"] == params_recurrent("mingru", 16, 48, 3)


def test_size_table_states_the_achieved_gap():
    result = runner.invoke(app, ["size", "--input", "4", "--hidden", "20"])
    assert result.exit_code == 0 and "integer sizes cannot match" in result.output
    result = runner.invoke(app, ["size", "--input", "4", "--hidden", "200"])
    assert "within 0." in result.output


def test_tasks_and_archs_list_one_line_each():
    tasks = runner.invoke(app, ["tasks"]).output
    for name in ("adding", "copy", "anbn", "sines"):
        assert name in tasks
    archs = runner.invoke(app, ["archs"]).output.strip().splitlines()
    names = [a.split()[0] for a in archs]
    assert names == ["gru", "lstm", "rnn", "gru-seed", "gru-seed-jit", "lstm-seed", "mingru",
                     "minlstm", "mingru-seq", "minlstm-seq"]  # fmt: skip


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "--task", "addition"], "unknown task 'addition'"),
        (["run", "--task", "adding", "--arch", "transformer"], "unknown arch 'transformer'"),
        (["run", "--task", "adding", "--device", "tpu"], "'tpu' is not one of cpu, cuda, cuda:N"),
        (["run", "--task", "adding", "--device", "cuda:0"], "not available"),
        (["run", "missing.toml"], "does not exist"),
        (["run", "--task", "adding", "--seeds", "0"], "--seeds must be positive"),
        (["run", "--task", "adding", "--hidden", "-5"], "--hidden must be positive"),
        (["run", "--task", "adding", "--epochs", "0"], "--epochs must be positive"),
        (
            ["run", "--task", "adding", "--match", "flops"],
            "'flops' is not one of 'params', 'hidden'",
        ),
        (["run", "--task", "adding", "--seeds", "many"], "Invalid value for '--seeds'"),
        (["size", "--input", "0", "--hidden", "8"], "--input must be positive"),
        (["size", "--input", "3", "--hidden", "8", "--arch", "gru9"], "unknown arch 'gru9'"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_two(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("name = [", "not valid TOML"),
        ('name = "x"\ncolour = 3\n[[task]]\nname = "adding"', "unknown key 'colour'"),
        ('seeds = "three"\n[[task]]\nname = "adding"', "seeds must be int"),
        ('[[task]]\nname = "adding"\nlength = -1', "'length' must be positive"),
    ],
)
def test_bad_suite_files_are_one_line_errors(tmp_path: Path, content, message):
    path = tmp_path / "suite.toml"
    path.write_text(content)
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_resume_runs_only_what_is_missing(tiny_clean, tmp_path: Path):
    out = tmp_path / "run"
    shutil.copytree(tiny_clean[0], out)
    lines = (out / "trials.jsonl").read_text().splitlines()
    (out / "trials.jsonl").write_text("\n".join(lines[:2]) + "\n")  # as if killed after two
    result = runner.invoke(app, ["run", "--resume", str(out)])
    assert result.exit_code == 0, result.output
    assert "(2 already done)" in result.output
    again = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    first = {r["trial_id"]: r["test_metric"] for r in map(json.loads, lines)}
    assert {r["trial_id"]: r["test_metric"] for r in again} == first  # CPU runs repeat exactly
