import random

import pytest
import torch

from grubench.errors import UserError
from grubench.studies.speed.bench import (
    SpeedConfig,
    contenders,
    interleaved,
    measure_point,
    memory_points,
    reference_of,
)
from grubench.studies.speed.config import parse_ints

TINY = SpeedConfig(
    hidden=(8,),
    seq_len=(4,),
    batch=(2,),
    input_size=(3,),
    repeats=3,
    min_repeats=3,
    time_cap=0.5,
    warmup=1,
    square=32,
)


pytestmark = pytest.mark.usefixtures("one_thread")


POINT = {"hidden": 8, "seq_len": 4, "batch": 2, "layers": 1, "input_size": 3}


def test_grid_points_cover_the_product_in_order():
    cfg = SpeedConfig(hidden=(64, 256), seq_len=(25, 100), batch=(8,))
    pts = cfg.points()
    assert len(pts) == 4
    assert [(p["hidden"], p["seq_len"]) for p in pts] == [
        (64, 25),
        (64, 100),
        (256, 25),
        (256, 100),
    ]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"hidden": (0,)}, "--hidden must be positive"),
        ({"archs": ("gru", "gru")}, "twice"),
        ({"archs": ("gru", "tcn")}, "unknown arch 'tcn'"),
        ({"match": "flops"}, "unknown matching rule"),
        ({"repeats": 2}, "at least 3"),
        ({"rel_iqr": 0.0}, "--rel-iqr must be positive"),
    ],
)
def test_invalid_configs_are_user_errors(bad, message):
    with pytest.raises(UserError, match=message):
        SpeedConfig(**bad).validate()


def test_parse_ints_accepts_repeats_and_commas():
    assert parse_ints("--hidden", ["64,128", "256"], (1,)) == (64, 128, 256)
    assert parse_ints("--hidden", None, (7,)) == (7,)
    with pytest.raises(UserError, match="--seq-len takes whole numbers, got 'x'"):
        parse_ints("--seq-len", ["10,x"], (1,))


def test_ratios_divide_by_lstm_or_by_the_twin():
    ref = reference_of(["gru", "lstm"], aa=False)
    assert (ref("gru"), ref("lstm")) == ("lstm", None)
    ref = reference_of(["gru#a", "gru#b"], aa=True)
    assert (ref("gru#a"), ref("gru#b")) == ("gru#b", None)
    assert reference_of(["gru", "rnn"], aa=False)("rnn") == "gru"


def test_params_matching_gives_gru_a_larger_hidden_size():
    cons = contenders(SpeedConfig(hidden=(64,)), {**POINT, "hidden": 64, "input_size": 32})
    sizes = {c.arch: c.hidden for c in cons}
    params = {c.arch: sum(p.numel() for p in c.model.parameters()) for c in cons}
    assert sizes == {"gru": 76, "lstm": 64}
    assert params == {"gru": 25157, "lstm": 25153}


def test_aa_twins_have_identical_weights():
    a, b = contenders(SpeedConfig(archs=("gru",), aa=True), POINT)
    assert (a.label, b.label) == ("gru#a", "gru#b")
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(p, q)


def test_interleaving_shuffles_the_order_each_round(monkeypatch):
    monkeypatch.setattr("grubench.studies.speed.bench.calibrate", lambda fn, device, clock: 1)
    calls: list[str] = []
    fns = {k: (lambda k=k: calls.append(k)) for k in "abcd"}
    cfg = SpeedConfig(repeats=40, min_repeats=40, rel_iqr=1e-9, time_cap=60, warmup=0)
    samples, why, numbers = interleaved(fns, cfg, random.Random(1))
    number = numbers["a"]
    assert why == "max-repeats"
    assert all(len(s) == 40 for s in samples.values())
    timed = calls[-40 * 4 * number :]
    rounds = [tuple(timed[i : i + 4 * number : number]) for i in range(0, len(timed), 4 * number)]
    assert all(sorted(r) == list("abcd") for r in rounds)  # each arch once per round
    assert len(set(rounds)) > 5  # and not always in the same order


def test_measure_point_rows_carry_times_ratios_and_limits():
    rows = measure_point(TINY, POINT, 50.0, random.Random(0))
    assert len(rows) == 6  # 2 archs x forward, train, infer
    assert {r["measure"] for r in rows} == {"forward", "train", "infer"}
    for r in rows:
        assert r["q1_ms"] <= r["median_ms"] <= r["q3_ms"]
        assert r["rounds"] == 3 and r["stop"] in ("converged", "max-repeats", "time-cap")
        assert r["gflops"] > 0 and r["pct_step_limit"] > 0
        assert r["pct_square"] == pytest.approx(100 * r["gflops"] / 50.0)
        assert r["gemm_floor_ms"] > 0 and r["gemm_flops"] < r["flops"]
        assert r["measure_batch"] == (1 if r["measure"] == "infer" else 2)
    gru_train = next(r for r in rows if r["arch"] == "gru" and r["measure"] == "train")
    lstm_train = next(r for r in rows if r["arch"] == "lstm" and r["measure"] == "train")
    assert gru_train["ratio_to"] == "lstm" and lstm_train["ratio_to"] is None
    assert gru_train["ratio_q1"] <= gru_train["ratio_median"] <= gru_train["ratio_q3"]
    assert gru_train["flops"] == 3 * next(
        r["flops"] for r in rows if r["arch"] == "gru" and r["measure"] == "forward"
    )


def test_memory_points_sweep_sequence_length_at_the_largest_hidden():
    cfg = SpeedConfig(hidden=(32, 64), mem_seq_len=(10, 20), batch=(4,))
    pts = memory_points(cfg)
    assert [(p.arch, p.seq_len) for p in pts] == [
        ("gru", 10),
        ("gru", 20),
        ("lstm", 10),
        ("lstm", 20),
    ]
    assert {p.arch: p.hidden for p in pts} == {"gru": 76, "lstm": 64}
