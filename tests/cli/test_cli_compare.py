"""``grubench compare`` end to end: exit codes 0 / 1 / 2 and what each output file holds."""

from __future__ import annotations

import json

import pytest
from synthetic_runs import make_run
from typer.testing import CliRunner

from grubench.cli import app
from grubench.store import read_run, write_run


def run(*args: str):
    return CliRunner().invoke(app, ["compare", *map(str, args)])


@pytest.fixture
def base(tmp_path):
    return make_run(tmp_path / "base", 0)


def test_a_run_against_itself_is_all_unchanged(base):
    r = run(base, base)
    assert r.exit_code == 0, r.output
    assert "no regression (16 unchanged)" in r.output


def test_an_honest_rerun_is_not_flagged(base, tmp_path):
    r = run(base, make_run(tmp_path / "rerun", 1))
    assert r.exit_code == 0, r.output
    assert "regression" not in r.output.split("\n")[0].replace("no regression", "")


def test_an_injected_20_percent_slowdown_fails_with_exit_1(tmp_path):
    # One sample per trial: five seeds a side give Welch's t the power Holm's correction needs.
    base = make_run(tmp_path / "base", 0, seeds=5)
    slow = make_run(tmp_path / "slow", 1, slow=1.2, seeds=5)
    r = run(base, slow, "--json-file", tmp_path / "c.json", "--markdown", tmp_path / "c.md")
    assert r.exit_code == 1, r.output
    data = json.loads((tmp_path / "c.json").read_text())
    bad = {(x["arch"], x["metric"]) for x in data["rows"] if x["verdict"] == "regression"}
    assert {(a, m) for a in ("gru", "lstm") for m in ("sec_per_epoch", "throughput")} <= bad
    assert bad <= {
        (a, m) for a in ("gru", "lstm") for m in ("sec_per_epoch", "throughput", "latency_ms")
    }
    # Latency has a noisier sample: flagged or inconclusive, never "unchanged".
    latency = [x["verdict"] for x in data["rows"] if x["metric"] == "latency_ms"]
    assert set(latency) <= {"regression", "inconclusive"}
    epoch = next(x for x in data["rows"] if (x["arch"], x["metric"]) == ("gru", "sec_per_epoch"))
    assert epoch["change"] == pytest.approx(0.20, abs=0.04)
    assert epoch["p_value"] < 0.01
    md = (tmp_path / "c.md").read_text()
    assert md.startswith(f"### grubench compare: ❌ {len(bad)} regressions")
    assert md.index("**Regressions**") < md.index("<details>")


def test_an_accuracy_drop_fails_with_exit_1(base, tmp_path):
    r = run(base, make_run(tmp_path / "worse", 1, mse=1.3), "--json-file", tmp_path / "c.json")
    assert r.exit_code == 1, r.output
    rows = json.loads((tmp_path / "c.json").read_text())["rows"]
    bad = {(x["arch"], x["metric"]) for x in rows if x["verdict"] == "regression"}
    assert bad == {("gru", "test_metric"), ("lstm", "test_metric")}
    # Two seeds a side: Welch's t, Holm-adjusted over the 8 gated tests of the comparison.
    assert all(x["p_adjusted"] < 0.05 for x in rows if x["verdict"] == "regression")


def test_a_slower_machine_is_normalised_away_unless_absolute(base, tmp_path):
    # Everything twice as slow, the probe too: a slower runner, not slower code.
    slower = make_run(tmp_path / "slower", 1, slow=2.0, probe=0.004)
    assert run(base, slower).exit_code == 0
    r = run(base, slower, "--absolute")
    assert r.exit_code == 1
    assert "times compared raw (--absolute)" in r.output


def test_large_but_noisy_changes_are_inconclusive_not_regressions(tmp_path):
    # Two runs of the same code on a machine with 50% timing noise: large swings, no change.
    a = make_run(tmp_path / "a", 0, noise=0.5)
    b = make_run(tmp_path / "b", 1, noise=0.5)
    r = run(a, b, "--json-file", tmp_path / "c.json")
    assert r.exit_code == 0, r.output
    rows = {
        (x["arch"], x["metric"]): x for x in json.loads((tmp_path / "c.json").read_text())["rows"]
    }
    for key in (("gru", "sec_per_epoch"), ("lstm", "sec_per_epoch")):
        assert abs(rows[key]["worse_by"]) > 0.18  # beyond the 15% threshold…
        assert rows[key]["verdict"] == "inconclusive"  # …but not beyond the noise


def test_gh_benchmark_files_split_by_direction(base, tmp_path):
    out = tmp_path / "bench.json"
    assert run(base, base, "--gh-benchmark", out).exit_code == 0
    smaller = json.loads(out.read_text())
    bigger = json.loads((tmp_path / "bench-bigger.json").read_text())
    assert {e["name"] for e in bigger} == {
        "adding gru training throughput",
        "adding lstm training throughput",
    }
    epoch = next(e for e in smaller if e["name"] == "adding gru time per epoch")
    assert epoch["unit"] == "probe times"
    assert epoch["value"] == pytest.approx(0.12 / 0.002, rel=0.05)
    assert all(set(e) == {"name", "unit", "value", "extra"} for e in smaller + bigger)


def test_chart_is_written(base, tmp_path):
    assert (
        run(base, make_run(tmp_path / "b", 1, slow=1.5), "--chart", tmp_path / "c.png").exit_code
        == 1
    )
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_differences_are_warned_on_stderr(base, tmp_path):
    r = run(base, make_run(tmp_path / "b", 1, torch_version="2.14.0"))
    assert r.exit_code == 0
    assert "warning: environment differs: torch 2.13.0 vs 2.14.0" in r.output


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (None, ["missing", "{base}"], "error: BASE 'missing' does not exist"),
        ("corrupt", ["{base}", "{tmp}/corrupt"], "trials.jsonl:3: not valid JSON"),
        ("schema", ["{base}", "{tmp}/schema"], "different schema versions"),
        (None, ["{base}", "{base}", "-T", "speed=1"], "unknown threshold 'speed'"),
        (None, ["{base}", "{base}", "--thresholds", "{tmp}/none.toml"], "does not exist"),
        ("other", ["{base}", "{tmp}/other"], "share no task × arch"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(base, tmp_path, monkeypatch, setup, args, message):
    if setup == "corrupt":
        make_run(tmp_path / "corrupt", 1)
        path = tmp_path / "corrupt" / "trials.jsonl"
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:2] + ['{"torn": '] + lines[2:]) + "\n")
    elif setup == "schema":
        import grubench.store

        # NEW written (and read) by a grubench one schema newer than the one that wrote BASE.
        now = grubench.store.SCHEMA_VERSION
        monkeypatch.setattr(grubench.store, "SCHEMA_VERSION", now + 1)
        make_run(tmp_path / "schema", 1, schema=now + 1)
    elif setup == "other":
        make_run(tmp_path / "other", 1)
        path = tmp_path / "other" / "trials.jsonl"
        path.write_text(path.read_text().replace('"task": "adding"', '"task": "copy"'))
    argv = [a.format(base=base, tmp=tmp_path) for a in args]
    r = CliRunner().invoke(app, ["compare", *argv])
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert "Traceback" not in r.output


def test_skip_bad_lines_compares_what_is_readable(base, tmp_path):
    new = make_run(tmp_path / "new", 1)
    with open(new / "trials.jsonl", "a") as f:
        f.write('{"torn": \n')
    assert run(base, new).exit_code == 2
    assert run(base, new, "--skip-bad-lines").exit_code == 0


def on_machine(run_dir, **env):
    """``run_dir`` as if it had run on a machine with these environment fields."""
    info = read_run(run_dir)
    info["environment"] = {**info["environment"], **env}
    write_run(run_dir, info)
    return run_dir


def test_times_from_another_cpu_are_not_gated_but_accuracy_is(tmp_path):
    base = on_machine(make_run(tmp_path / "base", 0, seeds=5), cpu="AMD EPYC")
    # Slower on every time: the other CPU, not the code (and the probe cannot tell them apart).
    new = make_run(tmp_path / "new", 1, seeds=5, slow=1.5, mse=1.3)
    on_machine(new, cpu="Intel Xeon", cpu_capability="AVX2")
    r = run(base, new, "--json-file", tmp_path / "c.json")
    assert r.exit_code == 1, r.output  # the accuracy drop still fails
    data = json.loads((tmp_path / "c.json").read_text())
    verdicts = {(x["arch"], x["metric"]): x["verdict"] for x in data["rows"]}
    for arch in ("gru", "lstm"):
        for metric in ("sec_per_epoch", "throughput", "latency_ms"):
            assert verdicts[(arch, metric)] == "not comparable"
        assert verdicts[(arch, "test_metric")] == "regression"
    note = next(n for n in data["notes"] if n.startswith("times not comparable"))
    assert "cpu AMD EPYC vs Intel Xeon" in note  # the CPU of each, and the ISA apart only once
    assert "cpu_capability" not in note  # BASE did not record it: not held against it


def test_another_machine_passes_unless_allowed(tmp_path):
    base = on_machine(make_run(tmp_path / "base", 0, seeds=5), torch_git="abc")
    new = on_machine(make_run(tmp_path / "new", 1, seeds=5, slow=1.5), torch_git="def")
    r = run(base, new, "--markdown", tmp_path / "c.md")
    assert r.exit_code == 0, r.output
    assert "not comparable" in r.output and "torch_git abc vs def" in r.output
    assert "≠ not comparable" in (tmp_path / "c.md").read_text()
    assert run(base, new, "--allow-other-machine").exit_code == 1
    assert run(base, new, "--absolute").exit_code == 1


def test_an_internal_error_exits_3_in_one_line(base, monkeypatch):
    import grubench.studies.compare.load as load

    def broken(*args, **kwargs):
        raise KeyError("epoch_seconds")

    monkeypatch.setattr(load, "compare_runs", broken)
    r = CliRunner().invoke(app, ["compare", str(base), str(base)])
    assert r.exit_code == 3
    assert r.output.strip().startswith("internal error: KeyError: 'epoch_seconds' (traceback in ")
    assert len(r.output.strip().splitlines()) == 1
