"""``grubench ab``: checkouts of two revisions, trials paired and alternated, the paired verdict."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scale_helpers import TINY_TOML
from typer.testing import CliRunner

import grubench.studies.compare.ab as ab
from grubench.cli import app
from grubench.errors import UserError

ROOT = Path(__file__).resolve().parents[3]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def repo_with(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    return repo


def test_a_revision_before_the_package_layout_is_a_one_line_error(tmp_path):
    repo = repo_with(tmp_path, {"grubench/worker.py": "", "pyproject.toml": ""})
    with pytest.raises(UserError, match=r"^BASE HEAD \([0-9a-f]{8}\) predates the package layout"):
        with ab.checkouts(repo, "HEAD", None):
            pass
    assert git(repo, "worktree", "list").count("\n") == 0  # the temporary checkout is gone


def test_an_unknown_revision_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(app, ["ab", "no-such-rev", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert r.output.strip() == "error: unknown revision 'no-such-rev'"


def test_pairs_alternate_sides_and_unpaired_trials_are_named(tmp_path, monkeypatch):
    def spec(arch: str, seed: int) -> dict:
        return {"task": "adding", "task_params": {"length": 10}, "arch": arch, "seed": seed}

    plans = {
        "BASE": [spec(a, s) for s in (0, 1) for a in ("gru", "lstm")],
        "NEW": [spec(a, s) for s in (0, 1) for a in ("gru", "lstm")] + [spec("rnn", 0)],
    }
    ran = []

    def fake_run(side: ab.Side, s: dict) -> dict:
        ran.append((side.label, s["arch"], s["seed"]))
        return {**s, "trial_id": f"{s['arch']}-{s['seed']}", "status": "ok"}

    monkeypatch.setattr(ab, "expand", lambda side, source: plans[side.label])
    monkeypatch.setattr(ab, "run_one", fake_run)
    sides = [ab.Side(x, "r", "abc", tmp_path, str(tmp_path)) for x in ("BASE", "NEW")]
    warnings = ab.run_pairs(*sides, {}, tmp_path / "out", lambda *a: None)
    assert warnings == ["1 trial(s) planned by NEW only, not run"]
    # Within each arch, the first side alternates from seed to seed.
    assert ran == [
        ("BASE", "gru", 0),
        ("NEW", "gru", 0),
        ("BASE", "lstm", 0),
        ("NEW", "lstm", 0),
        ("NEW", "gru", 1),
        ("BASE", "gru", 1),
        ("NEW", "lstm", 1),
        ("BASE", "lstm", 1),
    ]
    info = json.loads((tmp_path / "out" / "new" / "run.json").read_text())
    assert info["ab"] is True and info["environment"]["git_sha"] == "abc"


def test_ab_runs_the_gate_suite_by_default_with_its_seeds_and_fixed_work(tmp_path, monkeypatch):
    from grubench.run.plan import plan_new

    got = {}

    def fake_run_ab(repo, base, new, source, out, th, on_trial, together):
        got["source"] = source
        raise UserError("stopped here")

    monkeypatch.setattr(ab, "run_ab", fake_run_ab)
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(app, ["ab", "HEAD", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and r.output.strip() == "error: stopped here"
    source = got["source"]
    assert source["name"] == "gate" and source["seeds"] == 6 and source["workers"] == 1
    trials = plan_new(source, tmp_path / "plan").trials
    assert sorted({t.arch for t in trials}) == ["gru", "lstm"] and len(trials) == 12
    # Both sides of a pair do the same steps: no early stop can end a gate trial.
    assert {(t.budget.epochs, t.budget.patience, t.budget.target) for t in trials} == {(8, 8, None)}
    assert {t.threads for t in trials} == {1}
    r = CliRunner().invoke(app, ["ab", "HEAD", "--seeds", "3", "--out", str(tmp_path / "y")])
    assert got["source"]["seeds"] == 3


@pytest.mark.slow
def test_ab_of_two_commits_flags_a_slower_training_step(tmp_path, monkeypatch):
    # A repository of this code, then a commit whose training step sleeps 50 ms per batch:
    # several times a tiny epoch, so that 6 pairs pass Holm even on a loaded machine.
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("grubench", "tasks"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    (repo / "tasks" / "tiny.toml").write_text(TINY_TOML)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    train = repo / "grubench" / "trial" / "train.py"
    text = train.read_text()
    step = "        opt.step()\n        total += loss.detach()"
    assert step in text
    train.write_text(text.replace(step, "        time.sleep(0.05)\n" + step))
    git(repo, "commit", "-qam", "slower")
    monkeypatch.chdir(repo)
    out = tmp_path / "ab"
    args = ["ab", "HEAD~1", "HEAD", "--suite", "tiny", "--seeds", "6", "--out", str(out)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 1, r.output
    rows = json.loads((out / "compare.json").read_text())["rows"]
    epoch = {x["arch"]: x for x in rows if x["metric"] == "sec_per_epoch"}
    assert {epoch[a]["verdict"] for a in ("gru", "lstm")} == {"regression"}
    assert all(epoch[a]["base_n"] == 6 for a in ("gru", "lstm"))
    # Same seeds, same data, same numbers: the sleep changes no test metric.
    metric = [x for x in rows if x["metric"] == "test_metric" and "/" not in x["arch"]]
    assert {x["noise"] for x in metric} == {"identical in all 6 pairs"}
    for name in ("compare.md", "gh-benchmark.json", "gh-benchmark-bigger.json", "compare.png"):
        assert (out / name).exists()


def test_a_sides_processes_import_its_checkout_not_the_current_folder(tmp_path, monkeypatch):
    # Run from this repository (which holds a grubench package), a side whose checkout is
    # elsewhere must still import its own: `python -m` puts the current folder first.
    (tmp_path / "grubench").mkdir()
    (tmp_path / "grubench" / "__init__.py").write_text("")
    side = ab.Side("BASE", "r", "abc", tmp_path, str(tmp_path))
    monkeypatch.chdir(ROOT)
    code = "import grubench; print(grubench.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **ab._env(side)},
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == str(tmp_path / "grubench" / "__init__.py")
