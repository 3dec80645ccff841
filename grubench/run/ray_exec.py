"""Run trials as Ray tasks on a cluster (or a local Ray instance), with the local event protocol.

Each trial is one Ray task that asks for ``threads`` CPUs (and a GPU for cuda) and runs the same
``python -m grubench.run.worker`` as the local executor in a fresh subprocess, so its peak memory is
its own. The task is a Ray generator: the worker's events stream back as they happen.
"""

from __future__ import annotations

import os
import queue
import socket
from collections.abc import Callable, Iterator
from typing import Any

from grubench.config import Trial, trial_from_dict, trial_to_dict
from grubench.errors import UserError
from grubench.run.local import Event, Sink, drive, feed, spawn, worker_events

INSTALL = "pip install 'grubench[ray]'"


def trial_stream(spec: dict[str, Any], env: dict[str, str]) -> Iterator[Event]:
    """The body of a trial's Ray task: the worker's events, on whichever node Ray chose."""
    yield from worker_events(spawn(trial_from_dict(spec), env))


def resources(trial: Trial) -> dict[str, Any]:
    """The Ray resource request of one trial: its threads as CPUs, one GPU for cuda."""
    gpus = 1 if trial.device.startswith("cuda") else 0
    return {"num_cpus": trial.threads, "num_gpus": gpus}


def in_flight(trials: list[Trial], cluster: dict[str, float], serial: bool) -> int:
    """How many trials to hand Ray at once: as many as its CPUs (and GPUs) can hold."""
    if serial or not trials:
        return 1
    need = resources(trials[0])
    fits = int(cluster.get("CPU", 0) // need["num_cpus"])
    if need["num_gpus"]:
        fits = min(fits, int(cluster.get("GPU", 0)))
    return max(1, fits)


def check_fits(trials: list[Trial], cluster: dict[str, float]) -> None:
    """Refuse trials no node could ever run (Ray would wait for them forever)."""
    for t in trials:
        need = resources(t)
        if need["num_cpus"] > cluster.get("CPU", 0):
            raise UserError(
                f"the Ray cluster has {cluster.get('CPU', 0):g} CPUs; a trial asks for "
                f"{need['num_cpus']} (--threads)"
            )
        if need["num_gpus"] > cluster.get("GPU", 0):
            raise UserError(f"device '{t.device}' needs a GPU and the Ray cluster has none")


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a ``host:port`` nobody listens on (Ray itself retries for minutes)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        if address in ("auto", "local"):
            return
        raise UserError(f"--address '{address}' is not HOST:PORT, ray://HOST:PORT, auto or local")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise UserError(f"cannot reach Ray at '{address}': {e.strerror or e}") from None


def preflight(address: str | None) -> None:
    """Check before a run starts that Ray is installed and the cluster answers."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise UserError(f"--executor ray needs the ray package: {INSTALL}") from None
    if address:
        check_reachable(address)


def _connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (or start a local instance); True if we started Ray."""
    preflight(address)
    import ray

    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as e:
        where = f"at '{address}'" if address else "locally"
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"cannot start or reach Ray {where}: {first}") from None
    return True


def run_ray(
    trials: list[Trial],
    on_record: Sink,
    on_event: Sink,
    address: str | None = None,
    serial: bool = False,
) -> None:
    """Run every trial as a Ray task; records and events arrive as they do from run_local."""
    started = _connect(address)
    import ray

    try:
        cluster = ray.cluster_resources()
        check_fits(trials, cluster)
        task = ray.remote(trial_stream)
        # Test hooks such as GRUBENCH_FAULT travel with the task: remote nodes have their own env.
        env = {k: v for k, v in os.environ.items() if k.startswith("GRUBENCH_")}

        def launch(index: int, trial: Trial, events: queue.Queue) -> Callable[[], None]:
            gen = task.options(
                **resources(trial),
                max_retries=0,  # a failed trial is recorded; --resume decides to try again
                name=f"grubench {trial.task} {trial.arch} seed {trial.seed}",
            ).remote(trial_to_dict(trial), env)
            feed(index, (ray.get(ref) for ref in gen), events)
            return lambda: ray.cancel(gen, force=True)

        drive(trials, in_flight(trials, cluster, serial), launch, on_record, on_event)
    finally:
        if started:
            ray.shutdown()
