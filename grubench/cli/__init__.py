"""The command line: parse, call the library, render. No logic worth testing lives here.

Each module registers one group of commands on the app in ``app.py``; none imports another.
"""

import signal

from grubench.cli import (  # noqa: F401  (importing registers them)
    compare,
    data,
    info,
    reproduce,
    runs,
    speed,
    studies,
    suites,
)
from grubench.cli.app import app, on_sigterm


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    app()
