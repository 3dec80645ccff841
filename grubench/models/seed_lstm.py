"""An LSTM written the way the seed GRU is (models.archs.SeedGRU): the input products of all
steps as one matmul, then a Python loop of one recurrent matmul per step. Timing it against
gru-seed compares the two cells through the same code path, so the ratio reflects the cells'
arithmetic rather than which one torch happens to fuse (oneDNN runs nn.LSTM as one kernel and
nn.GRU step by step on CPU).

Equations as torch documents nn.LSTM (gates stacked i, f, g, o), with one bias per gate:
c' = f⊙c + i⊙g, h' = o⊙tanh(c').
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class SeedLSTMLayer(nn.Module):
    """One LSTM layer; parameters laid out like nn.LSTM's so weights copy across one to one."""

    def __init__(self, input_size: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.weight_x = nn.Parameter(torch.empty(4 * hidden, input_size))
        self.weight_h = nn.Parameter(torch.empty(4 * hidden, hidden))
        self.bias = nn.Parameter(torch.empty(4 * hidden))
        bound = 1.0 / math.sqrt(hidden)  # torch's LSTM init
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(
        self, x: Tensor, mask: Tensor | None, h: Tensor, c: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        xp = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight_x.t())
        xp = xp.view(x.shape[0], x.shape[1], 4 * self.hidden)
        w_h = self.weight_h.t()
        outs: list[Tensor] = []
        # unbind, not xp[:, t]: see seed_gru_scan (indexing's backward is O(T²) traffic).
        for t, step in enumerate(xp.unbind(1)):
            i, f, g, o = (step + torch.mm(h, w_h)).chunk(4, 1)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            if mask is not None:
                m = mask[:, t : t + 1]
                h_new, c_new = torch.where(m, h_new, h), torch.where(m, c_new, c)
                outs.append(h_new * m)
            else:
                outs.append(h_new)
            h, c = h_new, c_new
        return torch.stack(outs, dim=1), h, c


class SeedLSTM(nn.Module):
    """Stacked SeedLSTM layers; state is ``(h, c)``, each ``[layers, B, H]`` like nn.LSTM's."""

    def __init__(self, input_size: int, hidden: int, layers: int):
        super().__init__()
        sizes = [input_size] + [hidden] * (layers - 1)
        self.layers = nn.ModuleList(SeedLSTMLayer(i, hidden) for i in sizes)
        self.hidden = hidden

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):
        B, T = x.shape[0], x.shape[1]
        mask = None
        if lengths is not None:
            mask = torch.arange(T, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        if state is None:
            zeros = x.new_zeros(len(self.layers), B, self.hidden)
            state = (zeros, zeros)
        hs, cs = [], []
        out = x
        for layer, h0, c0 in zip(self.layers, state[0], state[1], strict=True):
            out, h, c = layer(out, mask, h0, c0)
            hs.append(h)
            cs.append(c)
        h_all, c_all = torch.stack(hs), torch.stack(cs)
        return out, h_all[-1], (h_all, c_all)

    def set_forget_bias(self, value: float) -> None:
        """The forget gate's (single) bias to ``value`` in every layer."""
        with torch.no_grad():
            for layer in self.layers:
                layer.bias[self.hidden : 2 * self.hidden].fill_(value)
