import time

import pytest
import torch

from grubench import devtimer
from grubench.errors import UserError


def test_auto_picks_cpu_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert devtimer.resolve_device("auto") == "cpu"
    assert devtimer.resolve_device("cpu") == "cpu"


def test_auto_picks_cuda_when_a_gpu_is_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devtimer.resolve_device("auto") == "cuda"
    assert devtimer.resolve_device("cuda:1") == "cuda:1"


def test_missing_or_unknown_devices_are_user_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="not available"):
        devtimer.resolve_device("cuda")
    with pytest.raises(UserError, match="unknown device 'tpu'"):
        devtimer.resolve_device("tpu")


def test_cpu_clock_reports_seconds_per_call():
    per_call = devtimer.time_calls(lambda: time.sleep(0.01), 3, "cpu")
    assert 0.009 <= per_call < 0.05


class FakeEvent:
    """Stands in for torch.cuda.Event: 12 ms pass between the two records."""

    clock = 0.0

    def __init__(self, enable_timing: bool):
        assert enable_timing
        self.at = None

    def record(self):
        FakeEvent.clock += 12.0
        self.at = FakeEvent.clock

    def synchronize(self):
        FakeEvent.synced = True

    def elapsed_time(self, other):
        return other.at - self.at


def test_cuda_clock_uses_events_after_a_sync(monkeypatch):
    synced = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: synced.append(device))
    monkeypatch.setattr(torch.cuda, "Event", FakeEvent)
    calls = []
    per_call = devtimer.time_calls(lambda: calls.append(1), 4, "cuda")
    assert synced == ["cuda"]  # queued work drained before the first event
    assert FakeEvent.synced
    assert len(calls) == 4
    assert per_call == pytest.approx(0.012 / 4)


def test_calibrate_doubles_calls_until_a_sample_lasts_the_minimum(monkeypatch):
    monkeypatch.setattr(devtimer, "time_calls", lambda fn, number, device: 1e-3)
    assert devtimer.calibrate(lambda: None, "cpu", min_sample_s=0.004) == 4
    assert devtimer.calibrate(lambda: None, "cpu", min_sample_s=0.005) == 8
    assert devtimer.calibrate(lambda: None, "cpu", min_sample_s=1.0, max_number=8) == 8
