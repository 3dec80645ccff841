import pytest

from grubench.studies.speed.memprobe import (
    MemPoint,
    measure_fresh,
    measure_here,
    optimizer_state_bytes,
    saved_activation_bytes,
)


def test_saved_activations_closed_form():
    # LSTM keeps input + (4 gates + c, tanh c, previous h) per unit: 2 + 7*4 floats per step
    lstm = MemPoint("lstm", input_size=2, hidden=4, layers=1, seq_len=10, batch=3)
    assert saved_activation_bytes(lstm) == (2 + 7 * 4) * 10 * 3 * 4
    gru = MemPoint("gru", input_size=2, hidden=4, layers=2, seq_len=10, batch=3)
    assert saved_activation_bytes(gru) == ((2 + 5 * 4) + (4 + 5 * 4)) * 10 * 3 * 4


def test_saved_activations_grow_linearly_with_sequence_length():
    short = saved_activation_bytes(MemPoint("gru", 8, 16, 1, 50, 4))
    long = saved_activation_bytes(MemPoint("gru", 8, 16, 1, 200, 4))
    assert long == 4 * short


def test_optimizer_state_is_four_copies_of_the_weights():
    assert optimizer_state_bytes(1000) == 16000


@pytest.mark.parametrize("arch", ["gru", "lstm"])
def test_measured_peak_grows_with_sequence_length(arch):
    short = measure_here(MemPoint(arch, 16, 32, 1, 20, 64))["peak_bytes"]
    long = measure_here(MemPoint(arch, 16, 32, 1, 200, 64))["peak_bytes"]
    # 10x the steps: at least 4x the memory, and above what autograd must save
    assert long > 4 * max(short, 1)
    assert long > saved_activation_bytes(MemPoint(arch, 16, 32, 1, 200, 64))


def test_fresh_process_reports_peak_baseline_and_params():
    got = measure_fresh(MemPoint("gru", 4, 8, 1, 20, 16))
    assert got["params"] == 3 * (8 * 4 + 8 * 8 + 2 * 8) + 8 + 1
    assert got["baseline_bytes"] > 10 * 2**20  # torch alone is tens of MiB
    assert got["peak_bytes"] > 0
