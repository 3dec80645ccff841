"""The command line: parse, call the library, render. No logic worth testing lives here.

Each module registers one group of commands on the app in ``app.py``; none imports another.
"""

import signal

from grubench.cli import data, info, reproduce, runs, studies, suites  # noqa: F401  (importing registers them)
from grubench.cli.app import app, on_sigterm


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    app()
