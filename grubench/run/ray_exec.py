"""Run trials as Ray tasks on a cluster (or a local Ray instance), with the local event protocol.

Each trial is one Ray task that asks for ``threads`` CPUs (and a GPU for cuda) and runs the trial
the way the local executor does: in a fresh process forked from a fork server that has imported
torch once (one server per Ray worker process, which Ray reuses across tasks), so its peak memory
is its own and the start-up is paid once per Ray worker, not once per trial.
The task is a Ray generator: the worker's events stream back as they happen, after a first event
naming the node it runs on (shown while it runs, and kept as the record's ``node``).
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Iterator
from typing import Any

from grubench.config import Trial, trial_from_dict, trial_to_dict
from grubench.errors import UserError
from grubench.run.local import Event, RecordSink, Sink, drive, feed, spawn
from grubench.run.ray_connect import connect


def trial_stream(
    spec: dict[str, Any], env: dict[str, str], cache: str | None = None
) -> Iterator[Event]:
    """The body of a trial's Ray task: which node Ray chose, then the worker's events.
    ``cache``: the run's data folder, made on each node that needs it."""
    import ray

    yield {"event": "node", "node_id": ray.get_runtime_context().get_node_id()}
    yield from spawn(trial_from_dict(spec), env, cache).events()


class NodeNames:
    """Ray node id -> the name a person knows it by (``ray start --node-name``; by default the
    node's IP address). Asked of the cluster again when a node joins mid-run."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, node_id: str) -> str:
        if node_id not in self.names:
            import ray

            self.names = {
                n["NodeID"]: n.get("NodeName") or n["NodeManagerAddress"] for n in ray.nodes()
            }
        return self.names.get(node_id, node_id[:12])

    def named(self, event: Event) -> Event:
        if event.get("event") != "node":
            return event
        return {"event": "node", "node": self(event["node_id"])}


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


def run_ray(
    trials: list[Trial],
    on_record: RecordSink,
    on_event: Sink,
    address: str | None = None,
    serial: bool = False,
    cache: str | None = None,
) -> int:
    """Run every trial as a Ray task; records and events arrive as they do from run_local.
    Returns how many trials it kept in flight."""
    started = connect(address)
    import ray

    try:
        cluster = ray.cluster_resources()
        check_fits(trials, cluster)
        task = ray.remote(trial_stream)
        # Test hooks such as GRUBENCH_FAULT travel with the task: remote nodes have their own env.
        env = {k: v for k, v in os.environ.items() if k.startswith("GRUBENCH_")}
        names = NodeNames()

        def launch(index: int, trial: Trial, events: queue.Queue) -> Callable[[], None]:
            gen = task.options(
                **resources(trial),
                max_retries=0,  # a failed trial is recorded; --resume decides to try again
                name=f"grubench {trial.task} {trial.arch} seed {trial.seed}",
            ).remote(trial_to_dict(trial), env, cache)
            feed(index, (names.named(ray.get(ref)) for ref in gen), events)
            return lambda: ray.cancel(gen, force=True)

        slots = in_flight(trials, cluster, serial)
        drive(trials, slots, launch, on_record, on_event)
        return slots
    finally:
        if started:
            ray.shutdown()
