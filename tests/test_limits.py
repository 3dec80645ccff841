import pytest

from grubench.limits import Gemm, GemmResult, LimitCache, measure_gemm, step_gemms
from grubench.speed_stats import Spread


def test_gemm_flops_are_two_per_multiply_add():
    assert Gemm("square", 4, 5, 6).flops == 240


def test_step_gemms_are_the_input_and_recurrent_products():
    inp, rec = step_gemms(gates=4, input_size=32, hidden=64, batch=8, seq_len=10)
    assert (inp.m, inp.k, inp.n) == (80, 32, 256)
    assert (rec.m, rec.k, rec.n) == (8, 64, 256)


def test_measured_gemm_has_positive_throughput_and_a_stop_reason():
    r = measure_gemm(Gemm("square", 64, 64, 64), "cpu", min_rounds=3, max_rounds=5, time_cap=1)
    assert r.gflops > 0
    assert 3 <= r.rounds <= 5
    assert r.stop in ("converged", "max-repeats", "time-cap")


def test_step_limit_adds_input_and_seq_len_recurrent_products():
    cache = LimitCache("cpu")
    inp, rec = step_gemms(3, 2, 4, 5, 10)
    cache.results[inp] = GemmResult(inp, Spread(1e-3, 1e-3, 1e-3, 5), 5, "converged")
    cache.results[rec] = GemmResult(rec, Spread(1e-4, 1e-4, 1e-4, 5), 5, "converged")
    flops = inp.flops + 10 * rec.flops
    assert cache.step_limit(3, 2, 4, 5, 10, 1) == pytest.approx(flops / 2e-3 / 1e9)
