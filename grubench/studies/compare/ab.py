"""An A/B run of two code revisions on this machine, trial by trial, alternating the sides.

Each revision runs from its own checkout (``git worktree add``; the working tree is its own
checkout) through that revision's own ``python -m grubench.run.worker``: the trial spec on
stdin, the record on stdout. Each side expands the suite with its own code (so a change to a
default shows), both with the same seeds and threads. The two trials of a pair run side by
side (one core each; ``together``), or one after the other; within each task × arch, which
side starts first alternates. Either way, drift and other load land on both sides alike: side
by side, within the same second. The pairs are compared by ``compare_runs(..., paired=True)``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from grubench.errors import UserError
from grubench.measure.env import environment
from grubench.run.local import start_worker, worker_events
from grubench.store import append_trial, write_run
from grubench.studies.compare.load import Comparison, RunData, compare_runs, load_run
from grubench.studies.compare.rows import Thresholds

# Revisions before the package layout (grubench/worker.py, grubench/runs.py) have no such file.
WORKER = Path("grubench/run/worker.py")
# Run with the side's code: its suite expansion, as ``grubench run`` would plan it.
EXPAND = """
import json, sys
from pathlib import Path
from grubench.run.plan import plan_new
from grubench.config import trial_to_dict
plan = plan_new(json.loads(sys.stdin.read()), Path(sys.argv[1]))
print(json.dumps([trial_to_dict(t) for t in plan.trials], default=str))
"""


@dataclass(frozen=True)
class Side:
    """One revision: where its code is and how its processes find it."""

    label: str  # "BASE" or "NEW"
    rev: str  # as given, or "working tree"
    sha: str
    root: Path  # its checkout
    pythonpath: str  # what its processes import from (the checkout, then its own packages)


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise UserError(f"git {' '.join(args)}: {(out.stderr.strip() or 'failed').splitlines()[0]}")
    return out.stdout.strip()


def repo_root(start: Path) -> Path:
    try:
        return Path(git(start, "rev-parse", "--show-toplevel"))
    except UserError:
        raise UserError(f"'{start}' is not in a git repository: ab compares revisions") from None


def resolve(repo: Path, rev: str) -> str:
    """The commit a revision names, or a one-line error."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except UserError:
        raise UserError(f"unknown revision '{rev}'") from None


@contextmanager
def checkouts(
    repo: Path, base: str, new: str | None, keep: Path | None = None
) -> Iterator[tuple[Side, Side]]:
    """BASE (a commit) and NEW (a commit, or None for the working tree) checked out side by
    side in a temporary folder, each with the packages it needs; removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="grubench-ab-"))
    added: list[Path] = []
    try:
        sides = []
        for label, rev in (("BASE", base), ("NEW", new)):
            if rev is None:
                sha = git(repo, "rev-parse", "HEAD") + ("-dirty" if _dirty(repo) else "")
                sides.append(Side(label, "working tree", sha, repo, str(repo)))
                continue
            sha = resolve(repo, rev)
            root = tmp / label.lower()
            git(repo, "worktree", "add", "--detach", "--quiet", str(root), sha)
            added.append(root)
            sides.append(Side(label, rev, sha, root, str(root)))
        for side in sides:
            if not (side.root / WORKER).exists():
                raise UserError(
                    f"{side.label} {side.rev} ({side.sha[:8]}) predates the package layout "
                    f"(no {WORKER}): ab runs revisions from ca10c05 on"
                )
        base_side, new_side = (_own_packages(s, repo, tmp) for s in sides)
        yield base_side, new_side
    finally:
        for root in added:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(root)])
        subprocess.run(["rm", "-rf", str(tmp)])


def _dirty(repo: Path) -> bool:
    return bool(git(repo, "status", "--porcelain", "--untracked-files=no"))


def dependencies(root: Path) -> Any:
    """What a checkout's pyproject.toml asks to be installed."""
    project = tomllib.loads((root / "pyproject.toml").read_text()).get("project", {})
    return project.get("dependencies", []), project.get("optional-dependencies", {})


def _own_packages(side: Side, repo: Path, tmp: Path) -> Side:
    """``side`` as it is when it needs the packages this environment was installed for (the
    working tree's); else with its own dependencies installed into a folder on its path."""
    if dependencies(side.root) == dependencies(repo):
        return side
    target = tmp / f"{side.label.lower()}-packages"
    deps, _ = dependencies(side.root)
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), *deps]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip() or "pip failed").splitlines()[-1]
        raise UserError(f"cannot install {side.label}'s dependencies: {tail}")
    path = f"{side.root}{os.pathsep}{target}"
    return Side(side.label, side.rev, side.sha, side.root, path)


def _env(side: Side) -> dict[str, str]:
    """What makes a process run ``side``'s code."""
    return {
        "PYTHONPATH": side.pythonpath,
        # ``python -m`` and ``-c`` put the current folder first on the path, ahead of
        # PYTHONPATH: run from a checkout, every side would import that checkout's code.
        "PYTHONSAFEPATH": "1",
    }


def expand(side: Side, source: dict[str, Any]) -> list[dict[str, Any]]:
    """The trial specs ``side``'s code makes of the suite."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-c", EXPAND, str(Path(tmp) / "plan")],
            input=json.dumps(source),
            capture_output=True,
            text=True,
            env={**os.environ, **_env(side)},
        )
    if done.returncode != 0:
        lines = (done.stderr.strip() or "no output").splitlines()
        raise UserError(f"{side.label} {side.rev} cannot plan the suite: {lines[-1]}")
    return json.loads(done.stdout)


def key(spec: dict[str, Any]) -> str:
    """What pairs two trials: task, its parameters, arch and seed."""
    fields = ("task", "task_params", "arch", "seed")
    return json.dumps([spec[f] for f in fields], sort_keys=True, default=str)


def run_one(side: Side, spec: dict[str, Any]) -> dict[str, Any]:
    """One trial in a fresh worker process of ``side``'s code: its record, or a failed one."""
    proc = start_worker(spec, int(spec.get("threads") or 1), _env(side))
    error = "the worker ended without a result"
    for event in worker_events(proc):
        if event["event"] == "result":
            return event["record"]
        if event["event"] == "failed":
            error = event["error"]
    fields = ("task", "task_params", "arch", "seed")
    return {"spec": spec, **{f: spec[f] for f in fields}, "status": "failed", "error": error}


Progress = Callable[[int, int, Side, dict[str, Any]], None]


def run_pairs(
    base: Side,
    new: Side,
    source: dict[str, Any],
    out: Path,
    on_trial: Progress,
    together: bool = False,
) -> list[str]:
    """Every trial both sides plan, alternating the sides (``together``: the two trials of a
    pair at the same time, one per core), into ``out``/base and ``out``/new (results folders
    ``compare`` reads too); returns warnings about unpaired trials."""
    plans = {side.label: {key(s): s for s in expand(side, source)} for side in (base, new)}
    shared = [k for k in plans["BASE"] if k in plans["NEW"]]
    if not shared:
        raise UserError("BASE and NEW plan no trial in common: nothing to pair")
    warnings = [
        f"{len(only)} trial(s) planned by {label} only, not run"
        for label, only in (
            ("BASE", plans["BASE"].keys() - plans["NEW"].keys()),
            ("NEW", plans["NEW"].keys() - plans["BASE"].keys()),
        )
        if only
    ]
    env = environment()
    for side in (base, new):
        folder = out / side.label.lower()
        folder.mkdir(parents=True, exist_ok=True)
        info = {
            "suite_source": source,
            "environment": {**env, "git_sha": side.sha, "git_dirty": side.sha.endswith("dirty")},
            "revision": side.rev,
            "ab": True,
            "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        write_run(folder, info)
    total = 2 * len(shared)
    done = 0
    seen: dict[str, int] = defaultdict(int)
    for k in shared:
        # Which side goes first alternates within each task × arch, so that neither side of
        # any compared group always runs first (or always second, after the other's trial).
        group = json.dumps(json.loads(k)[:3])
        order = (base, new) if seen[group] % 2 == 0 else (new, base)
        seen[group] += 1
        if together:
            with ThreadPoolExecutor(2) as pool:
                futures = [pool.submit(run_one, s, plans[s.label][k]) for s in order]
                records = [f.result() for f in futures]
        else:
            records = [run_one(s, plans[s.label][k]) for s in order]
        for side, record in zip(order, records, strict=True):
            append_trial(out / side.label.lower(), record)
            done += 1
            on_trial(done, total, side, record)
    return warnings


def run_ab(
    repo: Path,
    base_rev: str,
    new_rev: str | None,
    source: dict[str, Any],
    out: Path,
    th: Thresholds,
    on_trial: Progress,
    together: bool = False,
) -> tuple[Comparison, RunData, RunData]:
    """Check out both revisions, run the suite's trials in alternating pairs into ``out``, and
    compare the pairs."""
    if (out / "base").exists() or (out / "new").exists():
        raise UserError(f"'{out}' already holds an A/B run: choose another --out")
    with checkouts(repo, base_rev, new_rev) as (base, new):
        warnings = run_pairs(base, new, source, out, on_trial, together)
    b, n = load_run(out / "base", "BASE"), load_run(out / "new", "NEW")
    c = compare_runs(b, n, th, absolute=True, paired=True)
    return replace(c, warnings=warnings + c.warnings), b, n
