"""A real Ray cluster for tests: a head and worker nodes started with ``ray start``, as a user
would, inside a private network namespace that has nothing but loopback.

Why a namespace: on Linux, Ray replaces a loopback address (``--node-ip-address=127.0.0.1``,
``--address 127.0.0.1:PORT``) with the address of the machine's default route, and its servers
listen on every interface. Without a route, Ray falls back to the hostname's address and then to
127.0.0.1, so inside the namespace every node and every connection is on loopback, by
construction. The namespace also makes fixed ports safe: no other cluster on the machine can
hold them.

Token authentication stays on: every process gets ``RAY_AUTH_MODE=token`` and a fresh
``RAY_AUTH_TOKEN``, so the cluster never reads or writes ``~/.ray/auth_token``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

RAY = shutil.which("ray", path=os.path.dirname(sys.executable)) or "ray"
HEAD_PORT = 6390
STARTED = "Ray runtime started"


class NoNamespace(RuntimeError):
    """This machine cannot give us a loopback-only network namespace."""


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _kill_all(procs: list[psutil.Process]) -> None:
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)


class LoopbackCluster:
    """``ray start`` nodes in a loopback-only namespace; ``stop`` kills every process of it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "ray"  # Ray's temp dir: sessions, logs, the address file for 'auto'
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(32)
        self.env = {
            **os.environ,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": self.token,
            "RAY_USAGE_STATS_ENABLED": "0",  # nothing phones home
            "RAY_TMPDIR": str(root),  # 'auto' then reads this cluster's address file
        }
        self.env.pop("RAY_ADDRESS", None)
        self.nodes: dict[str, subprocess.Popen] = {}
        self.holder = self._namespace()
        inner = psutil.Process(self.holder.pid).children()
        self.enter = ["nsenter", "-t", str(inner[0].pid), "-U", "-n", "--preserve-credentials"]

    def _namespace(self) -> subprocess.Popen:
        if not shutil.which("unshare") or not shutil.which("nsenter") or not shutil.which("ip"):
            raise NoNamespace("needs unshare, nsenter and ip (util-linux, iproute2)")
        holder = subprocess.Popen(
            ["unshare", "-rn", "--fork", "sh", "-c", "ip link set lo up && echo up && exec cat"],
            stdin=subprocess.PIPE,  # the holder lives until we close its stdin (or kill it)
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if holder.stdout.readline().strip() != "up":
            holder.kill()
            raise NoNamespace(holder.communicate(timeout=10)[1].strip() or "unshare -rn failed")
        return holder

    def command(self, args: list[str]) -> list[str]:
        """``args`` run inside the cluster's namespace."""
        return [*self.enter, "--", *args]

    def popen(self, args: list[str], **kw) -> subprocess.Popen:
        return subprocess.Popen(self.command(args), env={**self.env, **kw.pop("env", {})}, **kw)

    def run(self, args: list[str], timeout: float, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(args),
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_node(self, name: str, cpus: int, timeout: float = 120) -> None:
        """``ray start --block`` for a head (the first node) or a worker joining it."""
        where = (
            ["--head", "--node-ip-address=127.0.0.1", f"--port={HEAD_PORT}"]
            + ["--include-dashboard=false"]
            if not self.nodes
            else [f"--address=127.0.0.1:{HEAD_PORT}"]
        )
        log = self.root / f"{name}.log"
        with log.open("w") as f:
            self.nodes[name] = self.popen(
                [RAY, "start", *where, f"--num-cpus={cpus}", f"--node-name={name}"]
                + [f"--temp-dir={self.tmp}", "--block"],
                stdout=f,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while STARTED not in log.read_text():
            if self.nodes[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray start ({name}) did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def kill_node(self, name: str) -> None:
        """SIGKILL a node and everything it started (raylet, its workers, their trials)."""
        _kill_all(_tree(self.nodes.pop(name).pid))

    def stop(self) -> None:
        """Kill every process of the cluster: the nodes' trees, then anything still naming our
        temp dir (Ray workers start sessions of their own), then the namespace."""
        for name in list(self.nodes):
            self.kill_node(name)
        mine = []
        for p in psutil.process_iter(["cmdline"]):
            if any(str(self.tmp) in arg for arg in p.info["cmdline"] or ()):
                mine.append(p)
        _kill_all(mine)
        _kill_all(_tree(self.holder.pid))
        self.holder.wait(timeout=10)
