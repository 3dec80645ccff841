"""Joining a Ray cluster (or starting a local one): fast, quiet, and one line on failure.

Left to itself, ``ray.init(address=...)`` retries for about 20 s and logs every retry; a token
mismatch and an unreachable head both end in "Failed to connect to Ray cluster". Here the
address is checked first (a TCP connect), Ray gets a few seconds, its logs during the attempt
are kept aside, and the cause is named with its fix.

Authentication is Ray's own token mechanism: ``RAY_AUTH_MODE=token`` with the head's token in
``RAY_AUTH_TOKEN``, a file named by ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``. Ray turns
it on by itself only for a local cluster (no address, or ``auto``); for an explicit address we
apply Ray's same rule: a client with a token at hand and no ``RAY_AUTH_MODE`` sends its token.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Iterator

from grubench.errors import UserError

INSTALL = "pip install 'grubench[ray]'"
# Seconds Ray may spend reaching the head's GCS (its default is 20 tries, one a second).
CONNECT_SECONDS = "3"
TOKEN_FIX = (
    "export RAY_AUTH_MODE=token and the head's token: RAY_AUTH_TOKEN=... "
    "(run 'ray get-auth-token' on the head)"
)


def split_address(address: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (or ``ray://HOST:PORT``) as a pair; None for ``auto``/``local``."""
    if address in ("auto", "local"):
        return None
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise UserError(f"--address '{address}' is not HOST:PORT, ray://HOST:PORT, auto or local")
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a ``host:port`` nobody listens on (Ray itself retries for seconds)."""
    parts = split_address(address)
    if parts is None:
        return
    try:
        socket.create_connection(parts, timeout=timeout).close()
    except OSError as e:
        raise UserError(
            f"cannot reach Ray at '{address}' ({e.strerror or e}): start the head there "
            f"(ray start --head --port={parts[1]}) or fix --address"
        ) from None


def preflight(address: str | None) -> None:
    """Check before a run starts that Ray is installed and the cluster answers."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise UserError(f"--executor ray needs the ray package: {INSTALL}") from None
    if address:
        check_reachable(address)


def use_token_if_available() -> None:
    """Ray's rule for local clusters, for any address: RAY_AUTH_MODE unset and a token at hand
    means token mode. An explicit RAY_AUTH_MODE is always obeyed."""
    if os.environ.get("RAY_AUTH_MODE") is not None:
        return
    try:
        from ray._private.authentication import authentication_token_setup as setup
    except ImportError:  # a Ray before token authentication (< 2.52)
        return
    quiet = logging.getLogger(setup.__name__)
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # its warning speaks of starting a cluster, not joining one
    try:
        setup.maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
    finally:
        quiet.setLevel(level)


@contextlib.contextmanager
def stderr_aside() -> Iterator[list[str]]:
    """Send file descriptor 2 (Ray's C++ and Python logs) to a file for the block; the lines
    it caught are in the yielded list afterwards."""
    caught: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield caught
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            f.seek(0)
            caught.extend(f.read().splitlines())


def explain(address: str | None, e: BaseException, logs: list[str]) -> str:
    """The one-line error, with its fix, for a failed ``ray.init``."""
    where = f"at '{address}'" if address else "locally"
    chain = " ".join([str(e), str(e.__cause__ or ""), *logs])
    if "AuthenticationError" in chain or "InvalidAuthToken" in chain:
        if os.environ.get("RAY_AUTH_MODE", "").lower() == "token":
            return f"the Ray cluster {where} refused our token: use the head's token; {TOKEN_FIX}"
        return f"the Ray cluster {where} wants a token: {TOKEN_FIX}"
    if "Version mismatch" in chain:
        import ray

        cluster = next((w for w in str(e).split("Ray: ")[1:2]), "?").split()[0]
        return (
            f"the Ray cluster {where} runs Ray {cluster}, this machine Ray {ray.__version__}: "
            f"install the same version here (pip install 'ray=={cluster}')"
        )
    if "Could not find any running Ray instance" in chain:
        return "--address auto found no Ray cluster on this machine: start one (ray start --head)"
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"cannot start or reach Ray {where}: {first}"


@contextlib.contextmanager
def _bounded(joining: bool) -> Iterator[None]:
    """Ray's wait for the head's GCS, cut to a few seconds while joining (a local start keeps
    its own: a loaded machine may need long to start a GCS)."""
    key = "RAY_gcs_server_port_wait_time_s"
    before = os.environ.get(key)
    if joining and before is None:
        os.environ[key] = CONNECT_SECONDS
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (or start a local instance); True if we started Ray."""
    preflight(address)
    import ray

    if ray.is_initialized():
        return False
    if address:
        use_token_if_available()
    # Only while joining: a local start spawns Ray's processes, which would inherit the file.
    aside = stderr_aside() if address else contextlib.nullcontext([])
    with aside as logs, _bounded(address is not None):
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
            error = None
        except (ConnectionError, ValueError, RuntimeError) as e:
            error = e
    if error is not None:
        ray.shutdown()  # a version mismatch is found after connecting
        raise UserError(explain(address, error, logs)) from None
    return True
