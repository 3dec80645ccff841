"""Joining a Ray cluster: addresses, the one-line errors, Ray's logs kept aside, and the node
each trial ran on reaching its record. (The real cluster is in test_ray_cluster.py.)"""

from __future__ import annotations

import os
import queue

import pytest
from scale_helpers import TINY

from grubench.config import suite_from_dict
from grubench.errors import UserError
from grubench.run.local import drive, feed
from grubench.run.ray_connect import explain, split_address, stderr_aside

AUTH = (
    "Failed to connect to GCS. Last connection error: ray.exceptions.AuthenticationError: "
    "RPC error: InvalidAuthToken: Authentication token is missing or incorrect."
)


def _failed_connect(cause: str) -> ConnectionError:
    e = ConnectionError("Failed to connect to Ray cluster at 192.0.2.2:6390")
    e.__cause__ = RuntimeError(cause)
    return e


@pytest.mark.parametrize(
    "address, parts",
    [("127.0.0.1:6390", ("127.0.0.1", 6390)), ("ray://head:10001", ("head", 10001)),
     ("[::1]:6390", ("::1", 6390)), ("auto", None), ("local", None)],
)  # fmt: skip
def test_addresses_are_host_and_port_or_auto(address, parts):
    assert split_address(address) == parts


@pytest.mark.parametrize("address", ["nonsense", ":6390", "head:port"])
def test_an_address_without_host_and_port_is_refused(address):
    with pytest.raises(UserError, match="is not HOST:PORT, ray://HOST:PORT, auto or local"):
        split_address(address)


def test_a_missing_token_names_the_variables_and_where_the_token_comes_from(monkeypatch):
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    line = explain("127.0.0.1:6390", _failed_connect(AUTH), [])
    assert line == (
        "the Ray cluster at '127.0.0.1:6390' wants a token: export RAY_AUTH_MODE=token and the "
        "head's token: RAY_AUTH_TOKEN=... (run 'ray get-auth-token' on the head)"
    )


def test_a_wrong_token_is_told_apart_from_a_missing_one(monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    # Ray's own log line is enough when the exception chain lost the cause.
    logs = ["[W gcs_client.cc:210] Unauthenticated: RPC error: InvalidAuthToken: ..."]
    line = explain("head:6390", ConnectionError("Failed to connect"), logs)
    assert line.startswith("the Ray cluster at 'head:6390' refused our token: use the head's")


def test_a_version_mismatch_names_the_version_to_install():
    ray = pytest.importorskip("ray")
    e = RuntimeError(
        "Version mismatch: The cluster was started with:\n    Ray: 2.99.1\n    Python: 3.11.7\n"
        f"This process on node 127.0.0.1 was started with:\n    Ray: {ray.__version__}\n"
    )
    assert explain("auto", e, []) == (
        f"the Ray cluster at 'auto' runs Ray 2.99.1, this machine Ray {ray.__version__}: "
        "install the same version here (pip install 'ray==2.99.1')"
    )


def test_other_failures_keep_their_first_line():
    e = ConnectionError("Failed to connect to Ray cluster at 10.0.0.5:6379\nmore")
    assert explain(None, e, []) == (
        "cannot start or reach Ray locally: Failed to connect to Ray cluster at 10.0.0.5:6379"
    )


def test_logs_written_to_file_descriptor_2_are_kept_aside():
    with stderr_aside() as caught:
        os.write(2, b"[W gcs_client.cc] retry 1\n[W gcs_client.cc] retry 2\n")
    assert caught == ["[W gcs_client.cc] retry 1", "[W gcs_client.cc] retry 2"]


def test_the_node_an_executor_names_reaches_the_records_and_the_progress_events():
    trials = suite_from_dict({**TINY, "seeds": 1}).trials()  # gru and lstm
    t = trials[0]
    ok = {"trial_id": t.id, "task": t.task, "arch": t.arch, "seed": t.seed, "status": "ok"}

    def launch(index, trial, events: queue.Queue):
        if index == 0:
            script = [{"event": "node", "node": "10.0.0.7"}, {"event": "result", "record": ok}]
        else:
            script = [{"event": "node", "node": "10.0.0.8"}, {"event": "failed", "error": "gone"}]
        feed(index, iter(script), events)
        return lambda: None

    records, shown = [], []
    drive(trials, 2, launch, records.append, shown.append)
    by_arch = {r.arch: r for r in records}
    assert by_arch["gru"].trial_id == t.id and by_arch["gru"].node == "10.0.0.7"
    assert by_arch["lstm"].status == "failed" and by_arch["lstm"].node == "10.0.0.8"
    assert sorted(ev["node"] for ev in shown if ev["event"] == "node") == ["10.0.0.7", "10.0.0.8"]
