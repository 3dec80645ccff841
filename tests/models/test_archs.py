import math

import pytest
import torch
from torch import nn

from grubench.errors import UserError
from grubench.models.archs import SeedGRU, build_core
from grubench.models.model import SeqModel, count_params
from grubench.models.registry import ARCHS, Arch, get_arch
from grubench.models.sizing import params_recurrent, params_total


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_seed_gru_matches_a_hand_computed_step():
    # One input, one unit: every product below is a scalar, written out by hand.
    core = SeedGRU(input_size=1, hidden=1, layers=1)
    layer = core.layers[0]
    with torch.no_grad():
        # rows [r; z; h], columns of the concatenation [h, x] split into weight_h | weight_x
        layer.weight_h.copy_(torch.tensor([[0.5], [-0.3], [0.8]]))
        layer.weight_x.copy_(torch.tensor([[0.2], [0.7], [-0.4]]))
        layer.bias.copy_(torch.tensor([0.1, -0.2, 0.05]))
    h, x = 0.6, 1.5
    r = _sigmoid(0.5 * h + 0.2 * x + 0.1)
    z = _sigmoid(-0.3 * h + 0.7 * x - 0.2)
    cand = math.tanh(0.8 * (r * h) - 0.4 * x + 0.05)
    expected = (1 - z) * h + z * cand
    out, last, _ = core(torch.tensor([[[x]]]), state=torch.tensor([[[h]]]))
    assert last.item() == pytest.approx(expected, abs=1e-6)
    assert out[0, 0, 0].item() == pytest.approx(expected, abs=1e-6)


def test_seed_gru_two_steps_match_a_loop_over_the_equations():
    torch.manual_seed(0)
    core = SeedGRU(3, 4, 1)
    layer = core.layers[0]
    x = torch.randn(2, 5, 3)
    h = torch.zeros(2, 4)
    W = torch.cat([layer.weight_h, layer.weight_x], dim=1)  # W·[h, x] as in the equations
    b = layer.bias
    for t in range(5):
        hx = torch.cat([h, x[:, t]], dim=1)
        r = torch.sigmoid(hx @ W[:4].t() + b[:4])
        z = torch.sigmoid(hx @ W[4:8].t() + b[4:8])
        cand = torch.tanh(torch.cat([r * h, x[:, t]], 1) @ W[8:].t() + b[8:])
        h = (1 - z) * h + z * cand
    _, last, _ = core(x)
    torch.testing.assert_close(last, h)


def test_torch_gru_matches_its_documented_equations():
    torch.manual_seed(1)
    gru = nn.GRU(3, 4, batch_first=True)
    x = torch.randn(2, 6, 3)
    Wi, Wh = gru.weight_ih_l0, gru.weight_hh_l0
    bi, bh = gru.bias_ih_l0, gru.bias_hh_l0
    h = torch.zeros(2, 4)
    for t in range(6):
        gi, gh = x[:, t] @ Wi.t() + bi, h @ Wh.t() + bh
        r = torch.sigmoid(gi[:, :4] + gh[:, :4])
        z = torch.sigmoid(gi[:, 4:8] + gh[:, 4:8])
        n = torch.tanh(gi[:, 8:] + r * gh[:, 8:])  # reset *after* the recurrent product
        h = (1 - z) * n + z * h
    out, _ = gru(x)
    torch.testing.assert_close(out[:, -1], h)


def test_seed_gru_differs_from_torch_gru_given_the_same_weights():
    torch.manual_seed(2)
    gru = nn.GRU(3, 4, batch_first=True)
    seed = SeedGRU(3, 4, 1)
    layer = seed.layers[0]
    with torch.no_grad():
        layer.weight_x.copy_(gru.weight_ih_l0)
        layer.weight_h.copy_(gru.weight_hh_l0)
        layer.bias.copy_(gru.bias_ih_l0 + gru.bias_hh_l0)
    x = torch.randn(2, 6, 3)
    assert not torch.allclose(seed(x)[1], gru(x)[0][:, -1], atol=1e-3)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_parameter_counts_equal_closed_forms_for_random_sizes(arch):
    rng = torch.Generator().manual_seed(3)
    for _ in range(10):
        i, h, layers, o = (int(torch.randint(1, hi, (1,), generator=rng)) for hi in (40, 90, 4, 20))
        model = SeqModel(arch, i, h, layers, o, per_step=False)
        assert count_params(model.core) == params_recurrent(arch, i, h, layers)
        assert count_params(model) == params_total(arch, i, h, layers, o)


def test_closed_forms_are_the_textbook_ones():
    i, h = 7, 11
    assert params_recurrent("gru", i, h) == 3 * (h * i + h * h + 2 * h)
    assert params_recurrent("lstm", i, h) == 4 * (h * i + h * h + 2 * h)
    assert params_recurrent("rnn", i, h) == 1 * (h * i + h * h + 2 * h)
    assert params_recurrent("gru-seed", i, h) == 3 * (h * i + h * h + h)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_every_arch_stacks_layers_and_keeps_padding_out(arch):
    torch.manual_seed(4)
    core = build_core(arch, 3, 5, 2)
    x = torch.randn(3, 7, 3)
    lengths = torch.tensor([7, 4, 2])
    out, last, _ = core(x, lengths)
    assert out.shape == (3, 7, 5)
    for b, n in enumerate(lengths.tolist()):
        _, alone, _ = core(x[b : b + 1, :n])
        torch.testing.assert_close(last[b : b + 1], alone, atol=1e-5, rtol=1e-5)
        assert torch.all(out[b, n:] == 0)


def test_forget_bias_sets_the_lstm_forget_gate_total_to_one():
    model = SeqModel("lstm", 3, 6, 2, 1, per_step=False, forget_bias=1.0)
    rnn = model.core.rnn
    for layer in range(2):
        total = getattr(rnn, f"bias_ih_l{layer}") + getattr(rnn, f"bias_hh_l{layer}")
        assert torch.all(total[6:12] == 1.0)


def test_alias_and_unknown_arch():
    assert get_arch("gru-v1").name == "gru-seed"
    with pytest.raises(UserError, match="unknown arch 'gru2'"):
        get_arch("gru2")


def test_a_new_registry_entry_is_all_sizing_memory_and_charts_need(monkeypatch):
    # No table outside the registry may name archs: a new entry must be enough for each reader.
    from grubench.models.registry import arch_color
    from grubench.models.sizing import flops_per_step, match_hidden
    from grubench.studies.speed.memprobe import MemPoint, saved_activation_bytes

    mgu = Arch(
        name="mgu",
        family="mgu",
        gates=2,
        biases=2,
        elementwise=12,
        extra_state=1,
        color="#123456",
        summary="a two-gate test arch",
    )
    monkeypatch.setitem(ARCHS, "mgu", mgu)
    assert saved_activation_bytes(MemPoint("mgu", 2, 4, 1, 10, 3)) == (2 + 3 * 4) * 10 * 3 * 4
    assert params_recurrent("mgu", 7, 11) == 2 * (11 * 7 + 11 * 11 + 2 * 11)
    assert flops_per_step("mgu", 7, 11, 1, 1) == 2 * 11 + 1 + 2 * 2 * 11 * 18 + 12 * 11
    assert match_hidden(["mgu"], "params", 7, 11, 1, 1)["mgu"] > 11  # fewer gates, more units
    assert arch_color("mgu") == "#123456"
    assert arch_color("no-such-arch") == arch_color("gone") != "#123456"


def test_arch_entries_are_built_by_keyword():
    with pytest.raises(TypeError):
        Arch("gru", "gru", 3, 2, 17, 2, "#000000", "positional")  # type: ignore[misc]
