"""minGRU and minLSTM (Feng, Tung, Ahmed, Bengio & Hajimirsadeghi 2024, "Were RNNs All We
Needed?"): gates computed from the input alone, so a layer's whole sequence is one linear
recurrence h_t = a_t ⊙ h_{t−1} + b_t, solved by a parallel scan instead of a time loop.

minGRU:  z = σ(W_z x + b_z),  h̃ = g(W_h x + b_h),  h_t = (1 − z) ⊙ h_{t−1} + z ⊙ h̃
minLSTM: f = σ(W_f x + b_f),  i = σ(W_i x + b_i),  f′, i′ = f, i / (f + i),
         h̃ = g(W_h x + b_h),  h_t = f′ ⊙ h_{t−1} + i′ ⊙ h̃

with the paper's g(v) = v + ½ for v ≥ 0 and σ(v) below, which keeps every state positive so the
scan runs in log space (Heinsen 2023): log h_t = a*_t + logcumsumexp(log b − a*)_t with
a*_t = Σ_{s≤t} log a_s. That is the numerically stable form the paper trains with (its
appendix B.3); the plain (non-log) form differs only in g.

Layers compose as in the paper's code (BorealisAI/minRNNs, models/model.py, the form its
selective-copy runs use): a linear projection of the input to H features, then per layer a
pre-norm residual block x ← x + W_o·cell(RMSNorm(x)), then a final RMSNorm; the read-out sees
that. The gates see no earlier state, so a single cell is linear in time given its inputs;
depth is where the model gets non-linear in the past, which is why the paper reports 1, 2 and 3
layers. Two deviations, recorded in the registry: no convolution or MLP (off in the paper's
selective-copy configuration too), and the cell is H wide where the paper's expansion factor
(6) makes it 6H with the block's projections mapping between the two.

Every core here has a sequential twin (``mingru-seq``, ``minlstm-seq``): the same parameters,
one time step at a time, the reference the scan must agree with and the baseline it must beat.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def g(v: Tensor) -> Tensor:
    """The paper's positive activation: v + ½ for v ≥ 0, σ(v) below (continuous at 0)."""
    return torch.where(v >= 0, v + 0.5, torch.sigmoid(v))


def log_g(v: Tensor) -> Tensor:
    """log g(v), computed without forming g: log(v + ½) above 0, −softplus(−v) below."""
    return torch.where(v >= 0, torch.log(F.relu(v) + 0.5), -F.softplus(-v))


def scan_log(log_a: Tensor, log_b: Tensor, h0: Tensor | None) -> Tensor:
    """h_t = a_t ⊙ h_{t−1} + b_t for t = 1..T from log a, log b ``[B, T, H]`` and a positive
    start state ``h0 [B, H]`` (None: zero), all steps at once (Heinsen 2023)."""
    if h0 is not None:
        log_a = torch.cat([torch.zeros_like(log_a[:, :1]), log_a], dim=1)
        log_b = torch.cat([torch.log(h0)[:, None], log_b], dim=1)
    a_star = torch.cumsum(log_a, dim=1)
    log_h = a_star + torch.logcumsumexp(log_b - a_star, dim=1)
    h = torch.exp(log_h)
    return h[:, 1:] if h0 is not None else h


class MinLayer(nn.Module):
    """One minGRU (``gates`` = 2: z, h̃) or minLSTM (3: f, i, h̃) layer: one input product for
    every gate, then the scan, or a time loop when ``sequential``."""

    def __init__(self, input_size: int, hidden: int, gates: int, sequential: bool):
        super().__init__()
        self.hidden, self.gates, self.sequential = hidden, gates, sequential
        # Rows stacked by gate, (z, h̃) or (f, i, h̃): torch's Linear init.
        self.proj = nn.Linear(input_size, gates * hidden)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """log a and log b of the recurrence, per step, from the inputs alone."""
        k = self.proj(x)
        if self.gates == 2:
            k_z, k_h = k.chunk(2, -1)
            log_z, log_keep = -F.softplus(-k_z), -F.softplus(k_z)  # log σ(k), log(1 − σ(k))
            return log_keep, log_z + log_g(k_h)
        k_f, k_i, k_h = k.chunk(3, -1)
        # log f′ = log f − log(f + i) = −softplus(log i − log f), with log σ(k) = −softplus(−k)
        diff = F.softplus(-k_f) - F.softplus(-k_i)
        return -F.softplus(diff), -F.softplus(-diff) + log_g(k_h)

    def forward(self, x: Tensor, mask: Tensor | None, h0: Tensor | None) -> tuple[Tensor, Tensor]:
        log_a, log_b = self.coefficients(x)
        if mask is not None:
            # Past a sequence's end the state is kept: a = 1, b = 0.
            m = mask[..., None]
            log_a = torch.where(m, log_a, torch.zeros_like(log_a))
            log_b = torch.where(m, log_b, torch.full_like(log_b, -torch.inf))
        if self.sequential:
            h = _loop(log_a.exp(), log_b.exp(), h0)
        else:
            h = scan_log(log_a, log_b, h0)
        last = h[:, -1]
        out = h if mask is None else h * mask[..., None]
        return out, last


def _loop(a: Tensor, b: Tensor, h0: Tensor | None) -> Tensor:
    """The same recurrence one step at a time."""
    h = torch.zeros_like(a[:, 0]) if h0 is None else h0
    outs = []
    for a_t, b_t in zip(a.unbind(1), b.unbind(1), strict=True):
        h = a_t * h + b_t
        outs.append(h)
    return torch.stack(outs, dim=1)


class MinCore(nn.Module):
    """minGRU or minLSTM layers in the paper's pre-norm residual blocks, behind the signature
    every core has: ``outputs`` are the final norm's, zero past each sequence's end; ``last``
    is the output at each sequence's true end; the state is each layer's cell state."""

    def __init__(self, input_size: int, hidden: int, layers: int, gates: int, sequential: bool):
        super().__init__()
        self.hidden = hidden
        self.embed = nn.Linear(input_size, hidden)
        self.norms = nn.ModuleList(nn.RMSNorm(hidden) for _ in range(layers))
        self.layers = nn.ModuleList(
            MinLayer(hidden, hidden, gates, sequential) for _ in range(layers)
        )
        self.outs = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.norm = nn.RMSNorm(hidden)

    def forward(self, x: Tensor, lengths: Tensor | None = None, state: Tensor | None = None):
        mask = None
        if lengths is not None:
            T = x.shape[1]
            mask = torch.arange(T, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        finals = []
        out = self.embed(x)
        for k, (norm, layer, proj) in enumerate(
            zip(self.norms, self.layers, self.outs, strict=True)
        ):
            h, last = layer(norm(out), mask, None if state is None else state[k])
            finals.append(last)
            out = out + proj(h)
        out = self.norm(out)
        if mask is None:
            return out, out[:, -1], torch.stack(finals)
        # every step above is causal or per position, so a padded step never reaches a real one
        end = (lengths.to(x.device) - 1).clamp_min(0)
        last = out[torch.arange(x.shape[0], device=x.device), end]
        return out * mask[..., None], last, torch.stack(finals)


def builder(gates: int, sequential: bool):
    return lambda i, h, layers: MinCore(i, h, layers, gates, sequential)
