"""A task's one-off preparation runs once per distinct parameters, in the parent process."""

from dataclasses import replace
from pathlib import Path

from grubench.run import plan as runs
from grubench.tasks import TASKS


def test_prepare_runs_once_per_task_parameters_and_reports_progress(monkeypatch, tmp_path):
    calls = []

    def prepare(params, progress):
        calls.append(params["n_chorales"])
        progress(1, 1)

    monkeypatch.setitem(TASKS, "chorales", replace(TASKS["chorales"], prepare=prepare))
    source = {
        "archs": ["gru", "lstm"],
        "seeds": 2,
        "task": [{"name": "chorales", "n_chorales": 3}, {"name": "adding"}],
    }
    plan = runs.plan_new(source, Path(tmp_path / "out"))
    seen = []
    runs.prepare(plan, lambda name, done, total: seen.append((name, done, total)))
    assert calls == [3] and seen == [("chorales", 1, 1)]
