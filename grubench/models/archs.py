"""Recurrent cores by name: torch's fused layers and the seed post's GRU, behind one signature.

Every core maps ``x [B, T, I]`` (plus optional true ``lengths [B]`` and a carried ``state``) to
``(outputs [B, T, H], last [B, H], state)``; ``last`` is the top layer's state at each sequence's
true end, so padding never leaks into a result.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Optional

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from grubench.models.registry import get_arch


class TorchCore(nn.Module):
    """torch's fused nn.GRU / nn.LSTM / nn.RNN (cuDNN on CUDA, oneDNN/ATen on CPU)."""

    def __init__(self, kind: type[nn.RNNBase], input_size: int, hidden: int, layers: int):
        super().__init__()
        self.rnn = kind(input_size, hidden, num_layers=layers, batch_first=True)

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):
        if lengths is None:
            out, state = self.rnn(x, state)
        else:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        h = state[0] if isinstance(state, tuple) else state
        return out, h[-1], state


class SeedGRULayer(nn.Module):
    """One layer of the seed's GRU: reset applied *before* the recurrent product.

    r = σ(W_r·[h, x] + b_r), z = σ(W_z·[h, x] + b_z), h~ = tanh(W_h·[r⊙h, x] + b_h),
    h' = (1 − z)⊙h + z⊙h~  (Chung et al. 2014; Keras ``reset_after=False``). torch's nn.GRU
    instead applies r after the product and blends with z on the old state.
    """

    def __init__(self, input_size: int, hidden: int, scripted: bool = False):
        super().__init__()
        self.hidden = hidden
        self.scripted = scripted  # a flag, not the ScriptFunction: modules must deepcopy
        # Rows are stacked [r; z; h] so the input side of all three gates is one product.
        self.weight_x = nn.Parameter(torch.empty(3 * hidden, input_size))
        self.weight_h = nn.Parameter(torch.empty(3 * hidden, hidden))
        self.bias = nn.Parameter(torch.empty(3 * hidden))
        bound = 1.0 / math.sqrt(hidden)  # the same init torch gives its own GRU
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: Tensor, mask: Tensor | None, h: Tensor) -> tuple[Tensor, Tensor]:
        H = self.hidden
        xp = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight_x.t())
        xp = xp.view(x.shape[0], x.shape[1], 3 * H)
        w_rz, w_h = self.weight_h[: 2 * H].t(), self.weight_h[2 * H :].t()
        scan = scripted_scan() if self.scripted else seed_gru_scan
        return scan(xp, h, w_rz, w_h, mask)


def seed_gru_scan(
    xp: Tensor,
    h: Tensor,
    w_rz: Tensor,
    w_h: Tensor,
    mask: Optional[Tensor],  # noqa: UP045
) -> tuple[Tensor, Tensor]:
    """The seed GRU's time loop over precomputed input products ``xp [B, T, 3H]``.

    Written in TorchScript's subset so one source serves the eager and the scripted arch.
    """
    H = h.size(1)
    outs: list[Tensor] = []
    # unbind/split, not indexing: the backward of ``xp[:, t]`` writes a zero-filled [B, T, 3H]
    # gradient per step (O(T²) memory traffic, 3-5x slower training at T=100).
    steps = xp.unbind(1)
    for t in range(len(steps)):
        x_rz, x_h = steps[t].split([2 * H, H], 1)
        r, z = torch.sigmoid(x_rz + torch.mm(h, w_rz)).chunk(2, 1)
        cand = torch.tanh(x_h + torch.mm(r * h, w_h))
        new = h + z * (cand - h)  # (1 − z)⊙h + z⊙h~ with one fewer product
        if mask is not None:
            m = mask[:, t : t + 1]
            new = torch.where(m, new, h)
            outs.append(new * m)
        else:
            outs.append(new)
        h = new
    return torch.stack(outs, dim=1), h


_SCRIPTED: list[Callable] = []


def scripted_scan() -> Callable:
    """``seed_gru_scan`` compiled by TorchScript once per process (compiling takes ~0.1 s)."""
    if not _SCRIPTED:
        with warnings.catch_warnings():
            # deprecated in torch 2.x but still the quickest compiler here (see README)
            warnings.simplefilter("ignore", DeprecationWarning)
            _SCRIPTED.append(torch.jit.script(seed_gru_scan))
    return _SCRIPTED[0]


class SeedGRU(nn.Module):
    """Stacked seed-GRU layers with masking for variable lengths."""

    def __init__(self, input_size: int, hidden: int, layers: int, scripted: bool = False):
        super().__init__()
        sizes = [input_size] + [hidden] * (layers - 1)
        self.layers = nn.ModuleList(SeedGRULayer(i, hidden, scripted) for i in sizes)
        self.hidden = hidden

    def forward(self, x: Tensor, lengths: Tensor | None = None, state: Tensor | None = None):
        B, T = x.shape[0], x.shape[1]
        mask = None
        if lengths is not None:
            mask = torch.arange(T, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        if state is None:
            state = x.new_zeros(len(self.layers), B, self.hidden)
        finals = []
        out = x
        for layer, h0 in zip(self.layers, state, strict=True):
            out, h = layer(out, mask, h0)
            finals.append(h)
        state = torch.stack(finals)
        return out, state[-1], state


def _seed_lstm(i: int, h: int, layers: int) -> nn.Module:
    from grubench.models.seed_lstm import SeedLSTM  # kept apart: archs.py stays short

    return SeedLSTM(i, h, layers)


def _torch(kind: type[nn.RNNBase]) -> Callable[[int, int, int], nn.Module]:
    return lambda i, h, layers: TorchCore(kind, i, h, layers)


def _min(gates: int, sequential: bool) -> Callable[[int, int, int], nn.Module]:
    from grubench.models.minimal import builder  # kept apart: archs.py stays short

    return builder(gates, sequential)


# Each registry entry's torch module, by arch name (registry.py holds the entries, torch-free).
BUILDERS: dict[str, Callable[[int, int, int], nn.Module]] = {
    "gru": _torch(nn.GRU),
    "lstm": _torch(nn.LSTM),
    "rnn": _torch(nn.RNN),
    "gru-seed": SeedGRU,
    "gru-seed-jit": lambda i, h, layers: SeedGRU(i, h, layers, scripted=True),
    "lstm-seed": _seed_lstm,
    "mingru": _min(2, sequential=False),
    "minlstm": _min(3, sequential=False),
    "mingru-seq": _min(2, sequential=True),
    "minlstm-seq": _min(3, sequential=True),
}


def build_core(arch: str, input_size: int, hidden: int, layers: int) -> nn.Module:
    """The recurrent core of a registered arch (or alias) as a torch module."""
    return BUILDERS[get_arch(arch).name](input_size, hidden, layers)


def set_forget_bias(core: nn.Module, value: float) -> None:
    """Give every LSTM layer a total forget-gate bias of ``value`` (Jozefowicz et al. 2015)."""
    if hasattr(core, "set_forget_bias"):  # lstm-seed: one bias per gate
        core.set_forget_bias(value)
        return
    rnn = getattr(core, "rnn", None)
    if not isinstance(rnn, nn.LSTM):
        return
    H = rnn.hidden_size
    with torch.no_grad():
        for layer in range(rnn.num_layers):
            # torch orders LSTM gates (input, forget, cell, output); two biases add up.
            getattr(rnn, f"bias_ih_l{layer}")[H : 2 * H].fill_(value)
            getattr(rnn, f"bias_hh_l{layer}")[H : 2 * H].zero_()
