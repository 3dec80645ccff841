import random

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from grubench.errors import UserError
from grubench.models.model import SeqModel
from grubench.models.sizing import (
    flops_per_step,
    hidden_for_budget,
    match_hidden,
    params_recurrent,
    params_total,
    size_table,
)


def test_params_rule_matches_totals_within_one_percent_from_hidden_100():
    rng = random.Random(0)
    for _ in range(300):
        i, h, layers, o = (
            rng.randint(1, 300),
            rng.randint(100, 1024),
            rng.randint(1, 4),
            rng.randint(1, 300),
        )
        sizes = match_hidden(["gru", "lstm", "rnn", "gru-seed"], "params", i, h, layers, o)
        budget = params_total("lstm", i, h, layers, o)
        assert sizes["lstm"] == h
        for arch, hid in sizes.items():
            gap = abs(params_total(arch, i, hid, layers, o) - budget) / budget
            assert gap < 0.01, (arch, i, h, layers, o, gap)


def test_hidden_for_budget_is_the_closest_integer():
    for arch in ("gru", "rnn", "gru-seed"):
        for budget in (500, 12_345, 98_765):
            h = hidden_for_budget(arch, 10, 2, 3, budget)
            best = abs(params_total(arch, 10, h, 2, 3) - budget)
            for other in (h - 1, h + 1):
                if other >= 1:
                    assert best <= abs(params_total(arch, 10, other, 2, 3) - budget)


def test_hidden_rule_gives_gru_three_quarters_of_lstm_recurrent_params():
    sizes = match_hidden(["gru", "lstm"], "hidden", 32, 128, 1, 10)
    assert sizes == {"gru": 128, "lstm": 128}
    ratio = params_recurrent("gru", 32, 128) / params_recurrent("lstm", 32, 128)
    assert ratio == pytest.approx(0.75)


def test_unknown_rule_is_a_user_error():
    with pytest.raises(UserError, match="unknown matching rule 'flops'"):
        match_hidden(["gru"], "flops", 1, 8, 1, 1)


def test_size_table_small_hidden_shows_the_achieved_gap():
    rows = size_table(["gru", "lstm"], ["params"], 2, 8, 1, 1)
    totals = {r.arch: r.params_total for r in rows}
    assert totals["lstm"] == params_total("lstm", 2, 8, 1, 1)
    assert 0 < abs(totals["gru"] - totals["lstm"]) / totals["lstm"] < 0.2


@pytest.mark.parametrize("layers", [1, 2])
def test_matmul_flops_of_the_closed_form_equal_torch_flop_counter(layers):
    # torch's counter sees our cell's matrix products; the closed form adds element-wise work.
    i, h, o, T, B = 5, 16, 3, 7, 2
    model = SeqModel("gru-seed", i, h, layers, o, per_step=True)
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(B, T, i))
    elementwise = 14 * h * layers + o  # the closed form's non-matmul part
    expected = (flops_per_step("gru-seed", i, h, layers, o) - elementwise) * T * B
    assert counter.get_total_flops() == expected
