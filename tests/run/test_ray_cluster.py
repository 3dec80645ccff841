"""A real Ray cluster joined by address, the way a user does it: ``ray start --head``, one more
node with ``ray start --address``, then ``grubench run --executor ray --address ...`` in a
process of its own, under Ray's token authentication and on loopback only (see ray_cluster.py).

Slow (a cluster start and four CLI runs): ``pytest -m slow tests/run/test_ray_cluster.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from ray_cluster import HEAD_PORT, LoopbackCluster, NoNamespace
from scale_helpers import is_trial, lines, metrics, run_in_process

from grubench.config import read_suite_file
from grubench.run import plan as runs

pytest.importorskip("ray", reason="ray is not installed: pip install 'grubench[ray]'")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "tasks" / "smoke.toml"
ADDRESS = f"127.0.0.1:{HEAD_PORT}"
RUN_TIMEOUT = 600  # one CLI run of the smoke suite; a loaded 2-core machine needs about 2 min


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head and a worker node with one CPU each (so two trials run at once, one on each);
    every process of it is killed at the end, whatever the outcome."""
    try:
        c = LoopbackCluster(tmp_path_factory.mktemp("cluster"))
    except NoNamespace as e:
        pytest.skip(f"no loopback-only network namespace here: {e}")
    try:
        c.start_node("head", cpus=1)
        c.start_node("worker", cpus=1)
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The smoke suite on the local executor: the reference the cluster must match bit for bit."""
    out = tmp_path_factory.mktemp("local") / "smoke"
    run_in_process(out, read_suite_file(SMOKE))
    return metrics(out)


def grubench(cluster: LoopbackCluster, *args: str, **env: str) -> subprocess.CompletedProcess:
    return cluster.run([sys.executable, "-m", "grubench", *args], RUN_TIMEOUT, **env)


JOIN = """
import sys
from grubench.errors import UserError
from grubench.run.ray_connect import connect
if len(sys.argv) > 2:
    import ray
    ray.__version__ = sys.argv[2]  # a client of another Ray version
try:
    connect(sys.argv[1])
except UserError as e:
    print("error:", e)
else:
    import ray
    print("nodes:", sorted({n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]}))
"""


def join(
    cluster: LoopbackCluster, address: str, *version: str, **env: str
) -> tuple[str, str, float]:
    """What a process joining ``address`` prints, and the seconds it took."""
    began = time.monotonic()
    done = cluster.run([sys.executable, "-c", JOIN, address, *version], 60, **env)
    return done.stdout.strip(), done.stderr, time.monotonic() - began


def test_joining_needs_the_token_and_says_so_in_one_line(cluster):
    out, err, _ = join(cluster, ADDRESS)
    assert out == "nodes: ['127.0.0.1']"  # both nodes on loopback; the token came from the env

    out, err, took = join(cluster, ADDRESS, RAY_AUTH_TOKEN="not-the-token")
    assert out.startswith(f"error: the Ray cluster at '{ADDRESS}' refused our token")
    assert "ray get-auth-token" in out
    assert "Authentication token is missing" not in err  # Ray's retry logs were kept aside
    assert took < 30  # Ray alone takes over 20 s; allow for a loaded machine's start-up

    out, err, _ = join(cluster, ADDRESS, "2.0.0")
    assert out.startswith(f"error: the Ray cluster at '{ADDRESS}' runs Ray ")
    assert "this machine Ray 2.0.0: install the same version here (pip install 'ray==" in out

    out, _, _ = join(cluster, f"127.0.0.1:{HEAD_PORT + 1}")
    assert out.startswith(f"error: cannot reach Ray at '127.0.0.1:{HEAD_PORT + 1}'")


def test_the_cli_without_a_token_fails_in_one_line_with_the_fix(cluster, tmp_path):
    done = grubench(
        cluster, "run", str(SMOKE), "--executor", "ray", "--address", ADDRESS,
        "--out", str(tmp_path / "no-token"), RAY_AUTH_MODE="", RAY_AUTH_TOKEN="",
        HOME=str(tmp_path),  # no ~/.ray/auth_token either
    )  # fmt: skip
    assert done.returncode == 2
    # The run's one status line (what it is about to run) comes first; then one error line.
    *status, error = done.stderr.strip().splitlines()
    assert len(status) == 1 and status[0].startswith("smoke: 4 trials")
    assert error == (
        f"error: the Ray cluster at '{ADDRESS}' wants a token: export RAY_AUTH_MODE=token and "
        "the head's token: RAY_AUTH_TOKEN=... (run 'ray get-auth-token' on the head)"
    )


def nodes_shown(stderr: str) -> dict[tuple[str, int], str]:
    """(arch, seed) -> node, from the CLI's progress lines on a pipe:
    "[2/4] adding gru seed 0 on head: ok, test mse 0.157 in 0.5 s"."""
    lines = (
        re.match(r"\[\d+/\d+\] adding (\S+) seed (\d+) on (\S+): ", x) for x in stderr.splitlines()
    )
    return {(m[1], int(m[2])): m[3] for m in lines if m}


def test_smoke_through_the_address_matches_the_local_run_bit_for_bit(cluster, local, tmp_path):
    out = tmp_path / "ray"
    done = grubench(cluster, "run", str(SMOKE), "--executor", "ray", "--address", ADDRESS,
                    "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    assert metrics(out) == local  # same trial ids, same test metrics to the last bit
    records = runs.results(out)
    assert {r["node"] for r in records} == {"head", "worker"}  # both nodes ran trials
    assert nodes_shown(done.stderr) == {(r["arch"], r["seed"]): r["node"] for r in records}
    assert runs.read_run(out)["executor"] == {"kind": "ray", "address": ADDRESS}


def trial_on(cluster: LoopbackCluster, node: str, timeout: float = 300) -> psutil.Process:
    """Wait for a trial's worker process to run under ``node``'s ``ray start``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        root = psutil.Process(cluster.nodes[node].pid)
        for p in root.children(recursive=True):
            if is_trial(p):
                return p
        time.sleep(0.1)
    raise AssertionError(f"no trial started on {node} within {timeout} s")


def test_a_dead_node_fails_its_trial_the_others_finish_and_resume_completes(
    cluster, local, tmp_path
):
    out = tmp_path / "kill"
    run = cluster.popen(
        [sys.executable, "-m", "grubench", "run", str(SMOKE), "--executor", "ray",
         "--address", "auto", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        trial_on(cluster, "worker")
        cluster.kill_node("worker")  # SIGKILL: the raylet, its Ray workers, the trial
        stdout, stderr = run.communicate(timeout=RUN_TIMEOUT)
    finally:
        run.kill()
    assert run.returncode == 1, stderr[-3000:]  # a run with a failed trial exits 1

    records = runs.results(out)
    failed = [r for r in records if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["node"] == "worker"
    assert "node" in failed[0]["error"].lower(), failed[0]["error"]  # the reason names the node
    ok = {r["trial_id"]: r["test_metric"] for r in records if r["status"] == "ok"}
    assert len(ok) == 3 and ok == {k: local[k] for k in ok}
    assert len(lines(out)) == 4

    resumed = grubench(cluster, "run", "--resume", str(out), "--executor", "ray",
                       "--address", ADDRESS)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    state = runs.progress(out)
    assert state.counts == {"ok": 4} and state.missing == 0
    latest = {r["trial_id"]: r for r in runs.results(out)}
    assert {k: r["test_metric"] for k, r in latest.items()} == local
    assert latest[failed[0]["trial_id"]]["node"] == "head"  # the worker is gone
    assert json.loads((out / "run.json").read_text())["executor"]["address"] == ADDRESS
