"""Task registry: a name (or ``family:NAME``) maps to a TaskDef; parameters are validated here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grubench.errors import UnavailableTask, UserError
from grubench.tasks import files, text, ucr
from grubench.tasks.base import FOLD, TaskDef
from grubench.tasks.counting import ANBN_LM
from grubench.tasks.jsb import JSB
from grubench.tasks.music import CHORALES
from grubench.tasks.synthetic import TASKS as SYNTHETIC

TASKS: dict[str, TaskDef] = {t.name: t for t in [*SYNTHETIC, ANBN_LM, CHORALES, JSB]}
# Families whose members are named at run time (``ucr:GunPoint``): prefix -> resolver.
FAMILIES: dict[str, Callable[[str], TaskDef]] = {
    "ucr": ucr.ucr,
    "charlm": text.charlm,
    "file": files.file_task,
}
# What follows a family's prefix, as `grubench tasks` shows it (NAME where not listed).
MEMBER_ARG = {"file": "PATH"}
# What an ad-hoc run (``grubench run -t NAME``, no suite) sets for a family's members:
# - a data set of a few dozen series leaves one fixed validation split of 4 to 8 of them, too
#   few to show learning (or its absence), so each seed draws its own (``subset = "fold"``);
# - a series of hundreds of steps is fed in patches so the cell takes at most ADHOC_CELL_STEPS
#   steps over it: one value a step over ArrowHead's 251, neither cell generalised (test
#   accuracy 0.39-0.56 against 1-NN's 0.80, 2000 full-batch steps), and patches of 4 or 8 steps
#   lifted both (docs/findings/2026-12-04-ucr-adhoc.md, with what they change on the other
#   sets); the long sets' trials also get 10-40× cheaper.
ADHOC_CELL_STEPS = 32


def _series_params(longest: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"subset": FOLD}
    if longest is not None:
        out["patch"] = ucr.auto_patch(longest, ADHOC_CELL_STEPS)
    return out


ADHOC: dict[str, Callable[[str], dict[str, Any]]] = {
    "ucr": lambda member: _series_params(ucr.longest(member)),
    "file": lambda member: _series_params(files.longest(member)),
}


def adhoc_params(name: str) -> dict[str, Any]:
    """The parameters an ad-hoc run of task ``name`` sets (none for most tasks)."""
    prefix, sep, member = name.partition(":")
    if not sep or prefix not in ADHOC:
        return {}
    get_task(name)  # an unknown set or a bad file fails here, in one line, before it is read
    return ADHOC[prefix](member)


# The members each family can offer on this machine, for ``grubench tasks``.
MEMBERS: dict[str, Callable[[], list[str] | tuple[str, ...]]] = {
    "ucr": ucr.available,
    "charlm": text.corpora,
}


def get_task(name: str) -> TaskDef:
    """Look up a task by name; unknown names are a user error that lists what is known."""
    if name in TASKS:
        return TASKS[name]
    prefix, sep, member = name.partition(":")
    if sep and prefix in FAMILIES:
        return FAMILIES[prefix](member)
    known = ", ".join(list(TASKS) + [f"{f}:{MEMBER_ARG.get(f, 'NAME')}" for f in FAMILIES])
    raise UnavailableTask(f"unknown task '{name}' (known: {known})")


def resolve_params(task: TaskDef, given: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``given``; unknown keys, wrong types and non-positive sizes fail."""
    out: dict[str, Any] = {}
    for key in given:
        if key not in task.params:
            raise UnavailableTask(
                f"task '{task.name}' has no parameter '{key}' (known: {', '.join(task.params)})"
            )
    for key, param in task.params.items():
        value = given.get(key, param.default)
        kind = type(param.default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not kind:
            raise UserError(
                f"task '{task.name}' parameter '{key}' must be {kind.__name__}, got {value!r}"
            )
        if kind in (int, float) and value <= 0 and not (kind is float and value == 0):
            raise UserError(f"task '{task.name}' parameter '{key}' must be positive, got {value}")
        if param.interval is not None and not param.interval[0] < value <= param.interval[1]:
            low, high = param.interval
            raise UserError(
                f"task '{task.name}' parameter '{key}' must be in ({low:g}, {high:g}], got {value}"
            )
        if param.choices is not None and value not in param.choices:
            raise UserError(
                f"task '{task.name}' parameter '{key}' must be one of "
                f"{', '.join(param.choices)}, got {value!r}"
            )
        out[key] = value
    return out
