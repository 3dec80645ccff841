"""A figure a paper prints, as grubench reads it beside its own runs: one record for the
published set-ups ``grubench reproduce`` re-runs and for the ``[[published]]`` figures a suite
file quotes. Importable without torch, so a report that prints them stays light."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNCHECKED = "as cited elsewhere; not re-checked against the paper here"


@dataclass(frozen=True)
class Published:
    """One figure a paper prints for one arch (ours standing for theirs: the same family, e.g.
    ``mingru-seq`` for a minGRU) at one setting, in our metric's units where it has one."""

    arch: str
    value: float | None  # None: the paper states a direction, not a number
    quantity: str  # what the number is, in the paper's words and units
    source: str
    checked: str = UNCHECKED
    setting: Any = None  # the swept value it belongs to (None: the only one)
    ours_at: Any = None  # the setting of ours it is read beside, when we do not run its own
    task: str | None = None  # a suite's figure: the task it is read beside
    layers: int | None = None  # a suite's figure: the depth it was measured at (None: any)
    spread: float | None = None  # the ± the paper prints beside it

    @property
    def beside(self) -> Any:
        return self.setting if self.ours_at is None else self.ours_at

    def text_value(self) -> str:
        if self.value is None:
            return "direction only"
        return f"{self.value:g}" + ("" if self.spread is None else f" ± {self.spread:g}")
