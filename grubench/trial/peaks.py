"""Peak memory of a trial's training and of its evaluations, each measured in windows of its own.

Before this split, one peak was read after training, validation and the test pass, so a model
evaluated at batch 512 reported mostly evaluation memory as "training memory". Now every
training epoch is a window (the peak is reset as it opens and read before validation runs) and
every evaluation is another; each kind keeps the maximum over its windows. Copies of the best
weights are made between windows, and the bytes they keep are taken off later readings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from grubench.measure.clocks import sync
from grubench.measure.memory import (
    peak_rss_bytes,
    release_free_memory,
    reset_peak_rss,
    rss_bytes,
)

MIB = 2**20


class Peaks:
    """Training and evaluation peaks in bytes above the baseline taken at construction (after
    the warm-up): peak RSS on the CPU, the allocator's peak on CUDA."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.cuda = device.startswith("cuda")
        self.train = 0
        self.eval = 0
        self.held = 0  # bytes kept between windows that are not the window's own (best weights)
        self._reset()
        self.base = self._current()

    def _current(self) -> int:
        return torch.cuda.memory_allocated() if self.cuda else rss_bytes()

    def _reset(self) -> None:
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        else:
            # Freed pages go back to the OS first, or garbage left by the previous window (an
            # evaluation's activations) would sit in the next window's high-water mark.
            release_free_memory()
            reset_peak_rss()

    def _peak(self) -> int:
        return torch.cuda.max_memory_allocated() if self.cuda else peak_rss_bytes()

    @contextmanager
    def window(self, kind: str) -> Iterator[None]:
        """Measure the block as a ``"train"`` or an ``"eval"`` window."""
        self._reset()
        yield
        sync(self.device)
        value = max(0, self._peak() - self.base - self.held)
        setattr(self, kind, max(getattr(self, kind), value))

    def hold(self, state: dict[str, torch.Tensor]) -> None:
        """Note a copy of the weights kept outside the windows (replacing the previous one)."""
        self.held = sum(t.numel() * t.element_size() for t in state.values())

    @property
    def base_mib(self) -> float:
        return self.base / MIB
