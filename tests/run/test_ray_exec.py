"""The Ray executor: resource requests, and a real run on a local Ray instance."""

from __future__ import annotations

from dataclasses import replace

import pytest
from scale_helpers import TINY, metrics, run_in_process

from grubench.config import suite_from_dict
from grubench.errors import UserError
from grubench.run import faults
from grubench.run import plan as runs
from grubench.run.ray_connect import check_reachable
from grubench.run.ray_exec import check_fits, in_flight, resources


def _trials(**over):
    return suite_from_dict({**TINY, **over}).trials()


def test_each_trial_asks_ray_for_its_threads_and_a_gpu_only_on_cuda():
    t = _trials(threads=3)[0]
    assert resources(t) == {"num_cpus": 3, "num_gpus": 0}
    assert resources(replace(t, device="cuda:0"))["num_gpus"] == 1


def test_trials_in_flight_fill_the_cluster_or_one_when_serial():
    assert in_flight(_trials(threads=2), {"CPU": 16.0}, serial=False) == 8
    assert in_flight(_trials(threads=4), {"CPU": 2.0}, serial=False) == 1
    assert in_flight(_trials(threads=1), {"CPU": 16.0}, serial=True) == 1


def test_trials_no_node_could_run_are_refused_up_front():
    with pytest.raises(UserError, match="has 2 CPUs; a trial asks for 4"):
        check_fits(_trials(threads=4), {"CPU": 2.0})


@pytest.mark.parametrize(
    "address, message",
    [("nonsense", "is not HOST:PORT"), ("127.0.0.1:1", "cannot reach Ray at '127.0.0.1:1'")],
)
def test_bad_addresses_fail_fast(address, message):
    with pytest.raises(UserError, match=message):
        check_reachable(address, timeout=2)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'grubench[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_run_streams_the_same_results_as_local_processes(
    local_ray, tiny_clean, tmp_path, monkeypatch
):
    source = {**TINY, "seeds": 1, "archs": ["gru", "lstm", "rnn"]}
    monkeypatch.setenv(faults.ENV, "rnn:0=sigkill")  # travels to the task with the spec
    events = run_in_process(tmp_path / "ray", source, kind="ray")

    records = {r["arch"]: r for r in runs.results(tmp_path / "ray")}
    assert records["gru"]["status"] == records["lstm"]["status"] == "ok"
    assert records["rnn"]["status"] == "failed"
    assert records["rnn"]["error"].startswith("worker killed by SIGKILL")
    # Each record names the Ray node that ran it (a local instance: this machine's node).
    assert len({r["node"] for r in records.values()}) == 1 and records["gru"]["node"]
    kinds = [ev["event"] for ev in events]
    assert kinds.count("start") == kinds.count("finish") == kinds.count("node") == 3
    assert kinds.count("epoch") == 4  # two epochs each for gru and lstm, streamed as they ran
    info = runs.read_run(tmp_path / "ray")
    assert info["executor"] == {"kind": "ray", "address": None}

    # Bit-identical to the local executor's run of the same suite: same ids, same metrics.
    ray_ok = {k: v for k, v in metrics(tmp_path / "ray").items() if v is not None}
    local = metrics(tiny_clean[0])
    assert len(ray_ok) == 2 and ray_ok.keys() <= local.keys()
    assert ray_ok == {k: local[k] for k in ray_ok}
