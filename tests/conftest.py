"""Shared fixtures: tiny suites that run in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_SUITE = """
name = "tiny"
archs = ["gru", "lstm"]
seeds = 2
hidden = 8
workers = 2

[train]
epochs = 2
batch_size = 32

[[task]]
name = "adding"
length = 10
n_train = 64
n_val = 32
n_test = 32
"""


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SUITE)
    return path
