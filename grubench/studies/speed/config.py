"""What one ``grubench speed`` run measures and how: the grid and the timing rules, with their
defaults stated once (the CLI shows and applies these). Importable without torch, so the
command line stays fast."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from grubench.errors import UserError
from grubench.measure.clocks import pick_clock
from grubench.models.registry import PAIR, get_arch
from grubench.models.sizing import MATCH_RULES


@dataclass(frozen=True)
class SpeedConfig:
    """The grid and the timing rules of one ``grubench speed`` run."""

    archs: tuple[str, ...] = PAIR
    hidden: tuple[int, ...] = (64, 256)
    seq_len: tuple[int, ...] = (25, 100)
    batch: tuple[int, ...] = (64,)
    layers: tuple[int, ...] = (1,)
    input_size: tuple[int, ...] = (32,)
    match: str = "params"
    device: str = "cpu"
    threads: int = 1
    min_repeats: int = 5
    repeats: int = 25  # the most rounds per measure; fewer once the IQR settles
    rel_iqr: float = 0.05
    time_cap: float = 4.0  # seconds of rounds per point and measure
    warmup: int = 2
    aa: bool = False
    clock: str = "auto"  # see grubench.measure.clocks.pick_clock
    square: int = 1024
    mem_seq_len: tuple[int, ...] = (25, 50, 100, 200)
    seed: int = 0

    def validate(self) -> SpeedConfig:
        """Reject what cannot be measured, as one-line user errors."""
        names = tuple(get_arch(a).name for a in self.archs)
        if len(set(names)) != len(names):
            raise UserError(f"--arch lists an arch twice: {', '.join(self.archs)}")
        if self.match not in MATCH_RULES:
            raise UserError(f"unknown matching rule '{self.match}' (known: params, hidden)")
        grid = ("hidden", "seq_len", "batch", "layers", "input_size", "mem_seq_len")
        for name in grid:
            for v in getattr(self, name):
                if v <= 0:
                    raise UserError(f"--{name.replace('_', '-')} must be positive, got {v}")
        for name in ("threads", "min_repeats", "repeats", "rel_iqr", "time_cap", "square"):
            if getattr(self, name) <= 0:
                raise UserError(f"--{name.replace('_', '-')} must be positive")
        if self.repeats < 3:
            raise UserError("--repeats must be at least 3: a spread needs three samples")
        pick_clock(self.clock, self.device, self.threads)
        return self

    @property
    def timer(self) -> str:
        """The clock actually used: cuda-events, thread-cpu or wall."""
        return pick_clock(self.clock, self.device, self.threads)

    def points(self) -> list[dict[str, int]]:
        """Grid points ordered hidden → seq_len → batch → layers → input."""
        keys = ("hidden", "seq_len", "batch", "layers", "input_size")
        return [dict(zip(keys, v, strict=True)) for v in itertools.product(*self.grid())]

    def grid(self) -> tuple[tuple[int, ...], ...]:
        return self.hidden, self.seq_len, self.batch, self.layers, self.input_size


def parse_ints(flag: str, values: list[str] | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """``--hidden 64 --hidden 256`` or ``--hidden 64,256``; anything else is a user error."""
    if not values:
        return default
    out = []
    for v in values:
        for part in str(v).split(","):
            try:
                out.append(int(part))
            except ValueError:
                raise UserError(f"{flag} takes whole numbers, got '{part}'") from None
    return tuple(out)
