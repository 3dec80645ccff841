"""The comparison with the papers on constructed records with known numbers: each figure's
interval, each ordering's verdict and reason, each reach rate's exact interval."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from grubench.studies.claims.experiments import Sweep
from grubench.studies.reproduce.judge import HOLDS, NOT_SHOWN, REVERSED, judge
from grubench.studies.reproduce.setups import ANBN, JSB, Ordering, Published, Setup


def rec(arch, seed, test, role="final", **fields):
    r = {
        "arch": arch,
        "seed": seed,
        "role": role,
        "status": "ok",
        "test_metric": test,
        "metric": "nll",
        "direction": "min",
        "task_params": {},
        "best_val_metric": test,
        "val_baseline": 20.0,
        "val_direction": "min",
        "stop_reason": "steps",
        "protocol": 3,
    }
    r.update(fields)
    return r


def jsb_records(gru, lstm, rnn):
    out = []
    for arch, values in (("gru-seed", gru), ("lstm", lstm), ("rnn", rnn)):
        out += [rec(arch, s, v) for s, v in enumerate(values)]
        out.append(rec(arch, 1000, 0.1, role="tune"))  # tuning runs are not evidence
    return out


def test_figures_set_the_papers_value_beside_our_interval_and_the_tolerance():
    r = judge(JSB, jsb_records([8.5, 8.6, 8.7, 8.55, 8.65, 8.6], [8.9] * 6, [9.5] * 6))
    by = {(f.figure.arch, f.figure.source.split(",")[0]): f for f in r.figures}
    gru = by[("gru-seed", "Chung et al. 2014")]
    assert gru.figure.value == 8.54 and gru.ours.n == 6
    assert gru.ours.mean == pytest.approx(8.6) and gru.ours.lo < 8.6 < gru.ours.hi
    assert gru.near is True and gru.unit == "nll"  # |8.6 − 8.54| ≤ 0.3
    assert by[("lstm", "Chung et al. 2014")].near is True  # 8.9 vs 8.67
    assert by[("rnn", "Chung et al. 2014")].near is False  # 9.5 vs 9.10
    assert by[("lstm", "Bai")].near is False  # 8.9 vs 8.45


def test_an_ordering_holds_reverses_or_is_not_shown_with_a_reason():
    # GRU beats LSTM in every one of six seeds: p = 2/64; LSTM beats the RNN; the GRU-vs-RNN
    # line is reversed when the RNN is better in all six.
    recs = jsb_records([8.5 + 0.01 * s for s in range(6)], [8.7] * 6, [8.4] * 6)
    r = {(o.ordering.better, o.ordering.worse): o for o in judge(JSB, recs).orderings}
    holds = r[("gru-seed", "lstm")]
    assert holds.verdict == HOLDS and holds.reason == ""
    assert holds.p == pytest.approx(2 / 64) and holds.p_better == 1.0 and holds.n == 6
    assert holds.mean_better == pytest.approx(8.525) and holds.mean_worse == pytest.approx(8.7)
    assert r[("gru-seed", "rnn")].verdict == REVERSED
    assert r[("gru-seed", "rnn")].reason.startswith("ours: rnn better by 0.125")
    # Three seeds cannot give p < 0.05 with the sign-flip test.
    few = jsb_records([8.5, 8.6, 8.55], [8.7] * 3, [9.0] * 3)
    o = {(x.ordering.better, x.ordering.worse): x for x in judge(JSB, few).orderings}
    assert o[("gru-seed", "lstm")].verdict == NOT_SHOWN
    assert o[("gru-seed", "lstm")].reason.startswith("underpowered: 3 untied pairs")
    # Six mixed seeds: no clear difference, with its p.
    mixed = jsb_records([8.5, 8.8, 8.5, 8.8, 8.5, 8.8], [8.65] * 6, [9.5] * 6)
    o = {(x.ordering.better, x.ordering.worse): x for x in judge(JSB, mixed).orderings}
    assert o[("gru-seed", "lstm")].reason.startswith("no clear difference (p = 1")


def test_an_ordering_nobody_learned_says_so_instead_of_a_p():
    # Both at the trivial level (validation 20 nats against a baseline of 20).
    recs = [rec(a, s, 20.0 + 0.01 * s * (a == "lstm")) for a in ("gru", "lstm") for s in range(6)]
    setup = Setup(
        "t", "t", Sweep("t", "anbn-lm", None, (), ()), None, (), (Ordering("lstm", "gru", "x"),), ()
    )
    (o,) = judge(setup, recs).orderings
    assert o.verdict != HOLDS and o.reason == "neither arch learned the task within the budget"


def test_reach_rates_count_runs_that_reached_the_target_with_an_exact_interval():
    sweep = Sweep("a", "adding", "length", (100, 400), (), target=0.01)
    setup = Setup("a", "a", sweep, None, (), (), (), reach=True)
    recs = [
        rec("gru", s, 0.001, task_params={"length": t}, steps_to_target=100 + s, metric="mse")
        for t in (100, 400)
        for s in range(6)
    ] + [
        rec("lstm", s, 0.1 if s else 0.002, task_params={"length": 400},
            steps_to_target=None if s else 1900, stop_reason="steps" if s else "target")
        for s in range(6)
    ]  # fmt: skip
    rows = {(x.setting, x.arch): x for x in judge(setup, recs).reach}
    assert set(rows) == {(100, "gru"), (400, "gru"), (400, "lstm")}  # no LSTM runs at 100
    g, lstm = rows[(400, "gru")], rows[(400, "lstm")]
    assert (g.reached, g.runs, g.steps) == (6, 6, (100, 101, 102, 103, 104, 105))
    assert g.lo == pytest.approx(0.5407, abs=1e-4) and g.hi == 1.0  # Clopper–Pearson, 6/6
    assert (lstm.reached, lstm.runs, lstm.steps) == (1, 6, (1900,))
    assert lstm.lo == pytest.approx(0.0042, abs=1e-4) and lstm.hi == pytest.approx(0.6412, abs=1e-4)


def test_a_figure_read_beside_another_setting_and_one_without_a_number():
    sweep = Sweep("a", "adding", "length", (100, 400), ())
    fig = Published("gru", 5.3e-5, "MSE at 600", "Bai", setting=600, ours_at=400)
    none = Published("lstm", None, "solves", "Arjovsky", setting=400)
    setup = Setup("a", "a", sweep, None, (fig, none), (), (), tolerance=0.01)
    recs = [rec("gru", s, 0.002 * s, task_params={"length": 400}) for s in range(4)]
    recs += [rec("gru", s, 9.0, task_params={"length": 100}) for s in range(4)]
    f, n = judge(setup, recs).figures
    assert f.figure.beside == 400 and f.ours.mean == pytest.approx(0.003) and f.near is True
    assert n.near is None and n.ours.n == 0 and n.figure.text_value() == "direction only"


def test_a_setup_that_could_not_run_says_why_and_judges_nothing():
    r = judge(ANBN, [], "data for task 'anbn-lm' missing")
    assert r.error == "data for task 'anbn-lm' missing" and not r.figures and not r.orderings
    assert judge(ANBN, []).error == "not run"
    assert math.isnan(judge(JSB, [rec("lstm", 0, 8.0)]).orderings[0].p)


def test_a_mode_that_runs_fewer_settings_leaves_out_what_it_did_not_run():
    sweep = Sweep("a", "adding", "length", (100, 200, 400), ())
    figs = (
        Published("gru", 5.3e-5, "MSE at 600", "Bai", setting=600, ours_at=400),
        Published("gru", 0.01, "MSE at 200", "x", setting=200),
    )
    orders = tuple(Ordering("gru", "lstm", "Bai", t) for t in (100, 200, 400))
    setup = Setup("a", "a", sweep, {"values": (200,)}, figs, orders, ())
    recs = [rec(a, s, 0.01, task_params={"length": 200}) for a in ("gru", "lstm") for s in range(3)]
    quick = judge(setup, recs, ran=setup.experiment(quick=True))
    assert [f.figure.beside for f in quick.figures] == [200]
    assert [o.ordering.setting for o in quick.orderings] == [200]
    assert quick.left_out == (
        "This mode ran length = 200 only: the figures and orderings at length = 100, 400 are "
        "left out (the full run has them)."
    )
    full = judge(setup, recs)  # the full sweep: every row, the missing ones shown as missing
    assert len(full.figures) == 2 and len(full.orderings) == 3 and full.left_out == ""
    assert full.orderings[0].reason == "no paired runs"


def test_quick_mode_says_what_it_changes_in_words():
    from grubench.studies.reproduce.setups import ADDING

    assert ANBN.quick_text() == (
        "max_n = 50, max_n_test = 300; seeds 3; steps 800; rates 0.003, 0.01"
    )
    assert ADDING.quick_text().startswith("length = 200 only; n_train = 1000, n_val = 300")
    assert replace(JSB, quick=None).quick_text() == ""
