"""Shared fixtures: tiny suites that run in seconds, and a one-thread torch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from scale_helpers import TINY_TOML, run_in_process


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


@pytest.fixture
def one_thread():
    """Tiny models: on a shared 2-core machine a second OpenMP thread only adds contention."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """The tiny suite run once through the library, uninterrupted (4 trials, 2 workers), and
    the events it emitted: the reference that resume, fault, Ray and CLI tests compare their
    numbers with. Read it, never write into it."""
    out = tmp_path_factory.mktemp("clean") / "run"
    return out, run_in_process(out)
