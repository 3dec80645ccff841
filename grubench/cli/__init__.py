"""The command line: parse, call the library, render. No logic worth testing lives here.

Each module registers one group of commands on the app in ``app.py``; none imports another.
"""

from grubench.cli import info, runs, studies  # noqa: F401  (importing registers the commands)
from grubench.cli.app import app


def main() -> None:
    app()
