import pandas as pd
import pytest
from typer.testing import CliRunner

from grubench.cli import app

runner = CliRunner()
TINY = ["speed", "--hidden", "8", "--seq-len", "3,6", "--batch", "2", "--input", "3"]
QUICK = ["--repeats", "3", "--min-repeats", "3", "--time-cap", "0.3"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--hidden", "x"], "error: --hidden takes whole numbers, got 'x'"),
        (["--seq-len", "0"], "error: --seq-len must be positive, got 0"),
        (["--arch", "tcn"], "error: unknown arch 'tcn'"),
        (["--device", "cuda"], "error: device 'cuda' is not available"),
        (["--device", "tpu"], "error: Invalid value for '--device': 'tpu' is not one of"),
        (["--repeats", "1"], "error: --repeats must be at least 3"),
        (["--threads", "0"], "error: --threads must be positive"),
        (["--clock", "cpu", "--threads", "2"], "error: --clock cpu needs --threads 1"),
    ],
)
def test_speed_mistakes_are_one_line_errors(args, message):
    result = runner.invoke(app, ["speed", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_speed_writes_csv_and_prints_the_table(tmp_path):
    out = tmp_path / "s"
    args = [*TINY, *QUICK, "--no-memory", "--no-plots", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "speed: " in result.output and "gru (" in result.output
    df = pd.read_csv(out / "speed.csv")
    assert len(df) == 2 * 2 * 3  # seq lens x archs x measures
    assert set(df["arch"]) == {"gru", "lstm"}
    assert df.loc[df["arch"] == "gru", "ratio_to"].eq("lstm").all()
    assert (df["rounds"] == 3).all()
    assert (df["clock"] == "thread-cpu").all()  # auto with one CPU thread


def test_speed_aa_compares_each_arch_with_its_twin(tmp_path):
    out = tmp_path / "aa"
    args = [*TINY, "--seq-len", "3", *QUICK, "--aa", "--arch", "gru", "--no-plots"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "A/A noise floor" in result.output
    df = pd.read_csv(out / "speed.csv")
    assert set(df["label"]) == {"gru#a", "gru#b"}
    assert df.loc[df["label"] == "gru#a", "ratio_to"].eq("gru#b").all()
    assert not (out / "memory.csv").read_text().strip()  # no memory sweep in A/A runs
