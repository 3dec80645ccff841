import time

import pytest
import torch

from grubench.errors import UserError
from grubench.measure import clocks as devtimer


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
    monkeypatch.setattr(devtimer, "time_calls", lambda fn, number, device, clock: 1e-3)
    assert devtimer.calibrate(lambda: None, "cpu", min_sample_s=0.004) == 4
    assert devtimer.calibrate(lambda: None, "cpu", min_sample_s=0.005) == 8
    assert devtimer.calibrate(lambda: None, "cpu", min_sample_s=1.0, max_number=8) == 8


def test_thread_cpu_clock_leaves_out_time_spent_waiting():
    wall = devtimer.time_calls(lambda: time.sleep(0.01), 2, "cpu", "wall")
    cpu = devtimer.time_calls(lambda: time.sleep(0.01), 2, "cpu", "thread-cpu")
    assert wall >= 0.009
    assert cpu < 0.002


def test_thread_cpu_clock_counts_work():
    def work():
        x = 0
        for i in range(200_000):
            x += i

    assert devtimer.time_calls(work, 2, "cpu", "thread-cpu") > 1e-3


@pytest.mark.parametrize(
    "clock, device, threads, picked",
    [
        ("auto", "cpu", 1, "thread-cpu"),
        ("auto", "cpu", 2, "wall"),
        ("wall", "cpu", 1, "wall"),
        ("cpu", "cpu", 1, "thread-cpu"),
        ("auto", "cuda", 1, "cuda-events"),
        ("wall", "cuda:0", 4, "cuda-events"),
    ],
)
def test_pick_clock(clock, device, threads, picked):
    assert devtimer.pick_clock(clock, device, threads) == picked


@pytest.mark.parametrize(
    "clock, device, threads, message",
    [
        ("cpu", "cpu", 2, "needs --threads 1"),
        ("cpu", "cuda", 1, "CUDA events"),
        ("tsc", "cpu", 1, "unknown clock 'tsc'"),
    ],
)
def test_impossible_clocks_are_user_errors(clock, device, threads, message):
    with pytest.raises(UserError, match=message):
        devtimer.pick_clock(clock, device, threads)


def test_interleaved_rounds_warms_up_then_times_each_fn_once_per_round():
    from grubench.measure.clocks import interleaved_rounds

    calls: list[str] = []
    fns = {name: (lambda n=name: calls.append(n)) for name in ("a", "b", "c")}
    samples = interleaved_rounds(fns, rounds=4, warmup=2)
    assert calls[:6] == ["a", "a", "b", "b", "c", "c"]  # warm-up, untimed
    timed = calls[6:]
    assert {k: len(v) for k, v in samples.items()} == {"a": 4, "b": 4, "c": 4}
    rounds = [sorted(timed[i : i + 3]) for i in range(0, 12, 3)]
    assert rounds == [["a", "b", "c"]] * 4  # each round times every fn exactly once
    assert len({tuple(timed[i : i + 3]) for i in range(0, 12, 3)}) > 1  # order reshuffled
    assert all(t >= 0 for v in samples.values() for t in v)


def test_median_time_warms_up_then_summarises_single_timed_calls(monkeypatch):
    calls, timed = [], []
    readings = iter(range(1, 16))  # 15 samples 1..15 s: median 8, quartiles 4 and 12

    def fake_time_calls(fn, number, device, clock="wall"):
        timed.append(number)
        fn()
        return float(next(readings))

    monkeypatch.setattr(devtimer, "time_calls", fake_time_calls)
    assert devtimer.median_time(lambda: calls.append(1), "cpu") == (8.0, 8.0)
    assert len(calls) == 3 + 15 and timed == [1] * 15
