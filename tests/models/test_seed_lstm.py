import pytest
import torch
from torch import nn

from grubench.models.archs import build_core, set_forget_bias
from grubench.models.seed_lstm import SeedLSTM
from grubench.models.sizing import params_recurrent


def _twins(layers: int = 2) -> tuple[nn.LSTM, SeedLSTM]:
    """nn.LSTM and lstm-seed with the same weights (torch's two biases summed into one)."""
    torch.manual_seed(0)
    ref = nn.LSTM(3, 5, num_layers=layers, batch_first=True)
    seed = SeedLSTM(3, 5, layers)
    with torch.no_grad():
        for k, layer in enumerate(seed.layers):
            layer.weight_x.copy_(getattr(ref, f"weight_ih_l{k}"))
            layer.weight_h.copy_(getattr(ref, f"weight_hh_l{k}"))
            layer.bias.copy_(getattr(ref, f"bias_ih_l{k}") + getattr(ref, f"bias_hh_l{k}"))
    return ref, seed


def test_lstm_seed_matches_nn_lstm_outputs_and_gradients():
    ref, seed = _twins()
    x = torch.randn(4, 7, 3)
    out_ref, (h_ref, c_ref) = ref(x)
    out, last, (h, c) = seed(x)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(h, h_ref)
    torch.testing.assert_close(c, c_ref)
    torch.testing.assert_close(last, h_ref[-1])
    (out_ref.square().sum() + c_ref.sum()).backward()
    (out.square().sum() + c.sum()).backward()
    for k, layer in enumerate(seed.layers):
        torch.testing.assert_close(layer.weight_x.grad, getattr(ref, f"weight_ih_l{k}").grad)
        torch.testing.assert_close(layer.weight_h.grad, getattr(ref, f"weight_hh_l{k}").grad)
        # d loss / d (b_ih + b_hh) equals each of torch's two bias gradients
        torch.testing.assert_close(layer.bias.grad, getattr(ref, f"bias_ih_l{k}").grad)


def test_lstm_seed_stops_at_each_sequence_end_like_packed_nn_lstm():
    ref, seed = _twins(layers=1)
    x = torch.randn(3, 6, 3)
    lengths = torch.tensor([6, 2, 4])
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    _, (h_ref, _) = ref(packed)
    out, last, _ = seed(x, lengths)
    torch.testing.assert_close(last, h_ref[-1])
    assert out[1, 2:].abs().sum() == 0  # padding steps give zeros, never leak into a result


def test_lstm_seed_counts_one_bias_per_gate_and_takes_the_forget_bias():
    core = build_core("lstm-seed", 3, 5, 1)
    assert sum(p.numel() for p in core.parameters()) == params_recurrent("lstm-seed", 3, 5, 1)
    assert params_recurrent("lstm-seed", 3, 5, 1) == 4 * (5 * 3 + 5 * 5 + 5)
    set_forget_bias(core, 1.0)
    bias = core.layers[0].bias
    assert bias[5:10].tolist() == pytest.approx([1.0] * 5)
