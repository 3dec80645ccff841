from grubench.studies.speed.limits import Gemm, gemm_floor, measure_gemm, step_gemms


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


def test_gemm_floor_flops_cover_input_once_and_recurrent_each_step():
    _, fwd = gemm_floor(3, 2, 4, 1, 5, 10, train=False, device="cpu")
    assert fwd == 2 * (50 * 2 * 12) + 10 * 2 * (5 * 4 * 12)
    _, train = gemm_floor(3, 2, 4, 1, 5, 10, train=True, device="cpu")
    assert train == 3 * fwd  # each product plus its two gradient products


def test_gemm_floor_stacks_layers_on_the_hidden_size():
    _, one = gemm_floor(4, 8, 16, 1, 2, 3, train=False, device="cpu")
    _, two = gemm_floor(4, 8, 16, 2, 2, 3, train=False, device="cpu")
    assert two - one == 2 * (6 * 16 * 64) + 3 * 2 * (2 * 16 * 64)


def test_gemm_floor_runs_every_product(monkeypatch):
    import torch

    calls = []
    real = torch.mm
    monkeypatch.setattr(torch, "mm", lambda a, b, out: calls.append(a.shape) or real(a, b, out=out))
    fn, _ = gemm_floor(3, 2, 4, 1, 5, 10, train=True, device="cpu")
    fn()
    assert len(calls) == 3 * (1 + 10)


def test_the_square_limit_is_the_faster_library_timed_interleaved_and_names_both():
    import torch

    from grubench.measure.probe import gemm_call
    from grubench.studies.speed.limits import LIBRARIES, fastest_gemm
    from grubench.studies.speed.report import square_text

    best = fastest_gemm(Gemm("square", 128, 128, 128), "cpu", rounds=3)
    assert best.library in LIBRARIES.values() and best.rounds == 3
    if torch.backends.mkldnn.is_available():
        ((other, gflops),) = best.others
        assert other != best.library and 0 < gflops <= best.gflops
        assert square_text(best).count("GFLOP") == 1 and other in square_text(best)
        # oneDNN's call computes the same product as MKL's, on the same seeded operands
        from grubench.measure.probe import gemm_operands

        a, b, _ = gemm_operands(8, 5, 3)
        assert torch.allclose(gemm_call((8, 5, 3), "cpu", "onednn")().to_dense(), a @ b, atol=1e-5)
        assert torch.allclose(gemm_call((8, 5, 3), "cpu", "mkl", allocate=True)(), a @ b)
