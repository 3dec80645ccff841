"""When a trial stops for lack of progress: a pure rule over its validation curve.

Patience looks at a window: after ``patience`` epochs, the run stops when the best value of
the last ``patience`` epochs does not beat the best before them by more than ``min_delta`` (in
the metric's own units). A curve that falls slowly but steadily keeps going, because its window
adds up small steps that an epoch-by-epoch threshold would each discard.

No patience stop on the trivial plateau: while the best value so far has not beaten the plateau
level (the trivial baseline moved a fraction of the way to a perfect score), the run goes on to
its budget. An LSTM on the adding problem sits at the trivial MSE for ten epochs and more before
it finds the markers; stopping it there would record a run that never started learning as one
that had finished.

No patience stop while the run's best epoch is one of its last two: a run that has just set its
best, by however little, is still moving, and a reader who sees the best at the end of a curve
reads "stopped while falling". The chorales LSTM of the full claims run (seed 2) was stopped at
epoch 43 with its best at 42, 0.006 nats under the window's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grubench.tasks.base import better, improved


@dataclass
class Stopper:
    """Feed it each epoch's validation value; it says whether patience ends the run."""

    direction: str  # "min" or "max"
    patience: int | None
    min_delta: float = 0.0  # in the metric's units
    plateau: float | None = None  # the level a run must beat before patience may stop it
    values: list[float] = field(default_factory=list)

    def update(self, value: float) -> None:
        self.values.append(value)

    def _best(self, values: list[float]) -> float:
        best = values[0]
        for v in values[1:]:
            if better(v, best, self.direction):
                best = v
        return best

    @property
    def best_epoch(self) -> int:
        """1-based epoch of the best value (the earliest of equals); 0 before any."""
        if not self.values:
            return 0
        return self.values.index(self._best(self.values)) + 1

    @property
    def on_plateau(self) -> bool:
        """Whether the run has not yet left the trivial plateau."""
        if self.plateau is None or not self.values:
            return False
        return not better(self._best(self.values), self.plateau, self.direction)

    @property
    def left_plateau_epoch(self) -> int | None:
        """The first epoch whose value beat the plateau level (None: never, or no level)."""
        if self.plateau is None:
            return None
        for i, v in enumerate(self.values, 1):
            if better(v, self.plateau, self.direction):
                return i
        return None

    def should_stop(self) -> bool:
        """Whether patience ends the run after the latest value."""
        p = self.patience
        if p is None or len(self.values) <= p or self.on_plateau:
            return False
        if self.best_epoch >= len(self.values) - 1:
            return False
        recent = self._best(self.values[-p:])
        before = self._best(self.values[:-p])
        return not improved(recent, before, self.direction, self.min_delta)


def first_stop(
    values: list[float],
    direction: str,
    patience: int | None,
    min_delta: float = 0.0,
    plateau: float | None = None,
) -> int | None:
    """The epoch (1-based) at which the rule would stop a recorded curve; None: never."""
    s = Stopper(direction, patience, min_delta, plateau)
    for epoch, v in enumerate(values, 1):
        s.update(v)
        if s.should_stop():
            return epoch
    return None
