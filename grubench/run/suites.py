"""Finding a suite: a file, a name in ``./tasks``, or a suite shipped inside the package; and the
raw suite a run starts from (a file's, or ``--task`` names alone).

The packaged files live once, in the repository's top-level ``tasks/``; ``grubench/tasks/suites``
is a symlink to it, so a checkout and an installed wheel (which holds real copies) read the same
bytes. ``grubench run NAME`` finds them from any working directory.
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from grubench.errors import UserError


def packaged() -> dict[str, Traversable]:
    """Suite name -> its file inside the installed package, sorted by name."""
    folder = files("grubench").joinpath("tasks", "suites")
    found = [f for f in folder.iterdir() if f.name.endswith(".toml")]
    return {f.name.removesuffix(".toml"): f for f in sorted(found, key=lambda f: f.name)}


def find_suite(suite: str) -> Path:
    """A suite argument as a file: an existing path; else a name in ``./tasks`` (a checkout's
    suites, the user's own copies among them); else a packaged suite's name."""
    path = Path(suite)
    if path.exists() or suite.endswith(".toml") or "/" in suite:
        return path  # read_suite_file names what is wrong with it
    local = Path("tasks") / f"{suite}.toml"
    if local.is_file():
        return local
    known = packaged()
    if suite not in known:
        raise UserError(
            f"no suite file '{suite}' and no packaged suite of that name "
            f"(packaged: {', '.join(known)}; see grubench suites)"
        )
    return Path(str(known[suite]))


def suite_source(suite: str | None, tasks: list[str] | None) -> dict[str, Any]:
    """The raw suite to run: a file, a packaged suite's name, or ``--task`` names alone."""
    from grubench.config import adhoc_source, read_suite_file, suite_from_dict

    if suite is None and tasks:
        return adhoc_source(tasks)
    path = find_suite(suite or "default")
    raw = read_suite_file(path)
    suite_from_dict(raw, where=str(path))  # the file on its own must be valid, errors name it
    if tasks:
        by_name = {t.get("name"): t for t in raw.get("task", []) if isinstance(t, dict)}
        raw["task"] = [by_name.get(t, {"name": t}) for t in tasks]
    return raw


def summary(text: str) -> str:
    """The first sentence of a suite's opening comment: what it is for."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    first = re.split(r"\.\s+(?=[A-Z])", " ".join(lines))[0].removesuffix(".")
    return first if len(first) <= 100 else first[:99] + "…"
