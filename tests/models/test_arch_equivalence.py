"""Every registered arch against an independent per-step reference of its family's documented
equations, with the same weights: outputs, final states and every parameter's gradient.

As pytorch's benchmarks/fastrnns/test.py checks each runner before anything is timed. The
references below share nothing with grubench.models.archs but the parameters they read, so an
arch whose family has no reference here fails: a new arch needs its equations written out.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn

from grubench.models.archs import build_core
from grubench.models.registry import ARCHS

Params = dict[str, Tensor]
# One layer's step: (its parameters, x_t [B, I], state tuple) -> new state tuple; state[0] is h.
Step = Callable[[Params, Tensor, tuple[Tensor, ...]], tuple[Tensor, ...]]


def layer_params(p: Params, k: int) -> Params:
    """Layer k's weights under torch's names, from either layout a core may have: torch's fused
    nn.GRU / nn.LSTM / nn.RNN (``rnn.weight_ih_l0`` …) or our cells (``layers.0.weight_x`` …,
    one bias). Gate order is the family's; the step below reads it."""
    if f"rnn.weight_ih_l{k}" in p:
        return {n: p[f"rnn.{n}_l{k}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    if f"layers.{k}.proj.weight" in p:  # the minimal cells: one input product, no weights on h
        return {"weight_ih": p[f"layers.{k}.proj.weight"], "bias_ih": p[f"layers.{k}.proj.bias"]}
    own = {n: p[f"layers.{k}.{n}"] for n in ("weight_x", "weight_h", "bias")}
    return {
        "weight_ih": own["weight_x"],
        "weight_hh": own["weight_h"],
        "bias_ih": own["bias"],
        "bias_hh": torch.zeros_like(own["bias"]),
    }


def _gru_step(w: Params, x: Tensor, s: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    # torch.nn.GRU's docs: r, z from both sides; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));
    # h' = (1 − z) ⊙ n + z ⊙ h. Gate rows are stacked (r, z, n).
    (h,) = s
    gi = x @ w["weight_ih"].t() + w["bias_ih"]
    gh = h @ w["weight_hh"].t() + w["bias_hh"]
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return ((1 - z) * n + z * h,)


def _lstm_step(w: Params, x: Tensor, s: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    # torch.nn.LSTM's docs: gates stacked (i, f, g, o); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').
    h, c = s
    gates = x @ w["weight_ih"].t() + w["bias_ih"] + h @ w["weight_hh"].t() + w["bias_hh"]
    i, f, g, o = gates.chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _rnn_step(w: Params, x: Tensor, s: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    (h,) = s
    return (
        torch.tanh(x @ w["weight_ih"].t() + w["bias_ih"] + h @ w["weight_hh"].t() + w["bias_hh"]),
    )


def _seed_gru_step(w: Params, x: Tensor, s: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    # The seed's equations over the concatenation [h, x], rows stacked (r, z, h~), one bias:
    # r = σ(W_r·[h, x] + b_r), z = σ(W_z·[h, x] + b_z), h~ = tanh(W_h·[r ⊙ h, x] + b_h),
    # h' = (1 − z) ⊙ h + z ⊙ h~. Reset is applied *before* the recurrent product.
    (h,) = s
    W = torch.cat([w["weight_hh"], w["weight_ih"]], dim=1)
    W_r, W_z, W_h = W.chunk(3, 0)
    b_r, b_z, b_h = (w["bias_ih"] + w["bias_hh"]).chunk(3, 0)
    r = torch.sigmoid(torch.cat([h, x], 1) @ W_r.t() + b_r)
    z = torch.sigmoid(torch.cat([h, x], 1) @ W_z.t() + b_z)
    cand = torch.tanh(torch.cat([r * h, x], 1) @ W_h.t() + b_h)
    return ((1 - z) * h + z * cand,)


def _g(v: Tensor) -> Tensor:
    # Feng et al. 2024, appendix B.3: v + 1/2 for v >= 0, sigmoid(v) below.
    return torch.where(v >= 0, v + 0.5, torch.sigmoid(v))


def _mingru_step(w: Params, x: Tensor, s: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    # minGRU: z = σ(W_z x + b_z), h~ = g(W_h x + b_h), h' = (1 − z) ⊙ h + z ⊙ h~; rows (z, h~).
    (h,) = s
    k_z, k_h = (x @ w["weight_ih"].t() + w["bias_ih"]).chunk(2, 1)
    z = torch.sigmoid(k_z)
    return ((1 - z) * h + z * _g(k_h),)


def _minlstm_step(w: Params, x: Tensor, s: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    # minLSTM: f, i = σ(·) of the input alone, normalised f' = f / (f + i), i' = i / (f + i);
    # h' = f' ⊙ h + i' ⊙ g(W_h x + b_h); rows (f, i, h~).
    (h,) = s
    k_f, k_i, k_h = (x @ w["weight_ih"].t() + w["bias_ih"]).chunk(3, 1)
    f, i = torch.sigmoid(k_f), torch.sigmoid(k_i)
    return ((f / (f + i)) * h + (i / (f + i)) * _g(k_h),)


# family -> (step, state tensors per layer); a new family needs an entry
REFERENCES: dict[str, tuple[Step, int]] = {
    "gru": (_gru_step, 1),
    "lstm": (_lstm_step, 2),
    "rnn-tanh": (_rnn_step, 1),
    "gru-seed": (_seed_gru_step, 1),
    "mingru": (_mingru_step, 1),
    "minlstm": (_minlstm_step, 1),
}


def _rms_norm(x: Tensor, weight: Tensor) -> Tensor:
    # torch.nn.RMSNorm's docs: x / sqrt(mean(x²) + eps) · weight, eps = the dtype's machine eps
    eps = torch.finfo(x.dtype).eps
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def _linear(p: Params, name: str, x: Tensor) -> Tensor:
    return x @ p[f"{name}.weight"].t() + p[f"{name}.bias"]


def reference(
    family: str, p: Params, x: Tensor, lengths: Tensor, layers: int, hidden: int
) -> tuple[Tensor, list[tuple[Tensor, ...]], Tensor]:
    """Outputs [B, T, H] of the top layer (zero past each sequence's end), each layer's final
    state and the output at each sequence's end, one time step and one layer at a time. A core
    in the block form (Feng et al.'s code: ``embed``, per layer ``norms.k`` → cell → ``outs.k``
    added back, then ``norm``) is recognised by its parameters' names."""
    step, n_state = REFERENCES[family]
    B, T = x.shape[:2]
    block = "embed.weight" in p
    inputs = list(x.unbind(1))
    if block:
        inputs = [_linear(p, "embed", x_t) for x_t in inputs]
    finals = []
    for k in range(layers):
        w = layer_params(p, k)
        state = tuple(x.new_zeros(B, hidden) for _ in range(n_state))
        outs = []
        for t in range(T):
            live = (t < lengths)[:, None]  # a finished sequence keeps its state
            cell_in = _rms_norm(inputs[t], p[f"norms.{k}.weight"]) if block else inputs[t]
            new = step(w, cell_in, state)
            state = tuple(torch.where(live, n, o) for n, o in zip(new, state, strict=True))
            out = inputs[t] + _linear(p, f"outs.{k}", state[0]) if block else state[0]
            outs.append(torch.where(live, out, torch.zeros_like(out)))
        finals.append(state)
        inputs = outs
    if block:
        inputs = [
            _rms_norm(o, p["norm.weight"]) * (t < lengths)[:, None] for t, o in enumerate(inputs)
        ]
    out = torch.stack(inputs, 1)
    return out, finals, out[torch.arange(B), lengths - 1]


def _flat_state(state: Tensor | tuple[Tensor, ...]) -> list[Tensor]:
    """The core's returned state as [h of every layer] (+ [c of every layer] for the LSTM)."""
    return list(state) if isinstance(state, tuple) else [state]


def test_every_family_in_the_registry_has_a_reference():
    missing = {a.name: a.family for a in ARCHS.values() if a.family not in REFERENCES}
    assert not missing, f"write a reference step for these archs' families: {missing}"


@pytest.mark.parametrize("varlen", [False, True], ids=["full", "varlen"])
@pytest.mark.parametrize("name", list(ARCHS))
def test_arch_matches_its_reference_in_outputs_and_gradients(name: str, varlen: bool):
    arch = ARCHS[name]
    assert arch.family in REFERENCES, f"no reference for family '{arch.family}'"
    I, H, L, B, T = 3, 5, 2, 4, 7  # noqa: E741
    torch.manual_seed(17)
    # float64: the two computations differ only by rounding, so a tight tolerance still
    # separates e.g. reset-before from reset-after (the last test here shows how far apart)
    core = build_core(name, I, H, L).double()
    x = torch.randn(B, T, I, dtype=torch.float64)
    lengths = torch.tensor([7, 3, 5, 1]) if varlen else torch.full((B,), T)
    out, last, state = core(x, lengths if varlen else None)

    params = {n: p.detach().clone().requires_grad_() for n, p in core.named_parameters()}
    ref_out, finals, ref_last = reference(arch.family, params, x, lengths, L, H)

    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(last, ref_last)
    ref_state = [torch.stack([f[i] for f in finals]) for i in range(len(finals[0]))]
    for got, want in zip(_flat_state(state), ref_state, strict=True):
        torch.testing.assert_close(got, want)

    # the same random weighting of outputs and final state on both sides, then every gradient
    g_out, g_last = torch.randn_like(out), torch.randn_like(last)
    ((out * g_out).sum() + (last * g_last).sum()).backward()
    ((ref_out * g_out).sum() + (ref_last * g_last).sum()).backward()
    for n, p in core.named_parameters():
        assert p.grad is not None and params[n].grad is not None, n
        torch.testing.assert_close(p.grad, params[n].grad, msg=lambda m, n=n: f"{n}: {m}")


def test_the_reference_tells_reset_before_from_reset_after():
    # The check above can fail: torch's GRU weights run through the seed's equations differ.
    torch.manual_seed(3)
    core = nn.GRU(3, 5, batch_first=True).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    p = {f"rnn.{n}": t for n, t in core.named_parameters()}
    full = torch.full((2,), 6)
    as_gru, _, _ = reference("gru", p, x, full, 1, 5)
    as_seed, _, _ = reference("gru-seed", p, x, full, 1, 5)
    torch.testing.assert_close(core(x)[0], as_gru)
    assert (as_gru - as_seed).abs().max() > 1e-3


@pytest.mark.parametrize("name", ["mingru", "minlstm"])
def test_the_scan_and_the_loop_agree_over_a_long_sequence(name: str):
    # T = 512: the log-space scan's cumulative sums run far from 0 and must still agree.
    torch.manual_seed(5)
    scan = build_core(name, 4, 6, 2).double()
    loop = build_core(f"{name}-seq", 4, 6, 2).double()
    loop.load_state_dict(scan.state_dict())
    x = torch.randn(3, 512, 4, dtype=torch.float64)
    lengths = torch.tensor([512, 200, 1])
    for got, want in zip(scan(x, lengths), loop(x, lengths), strict=True):
        torch.testing.assert_close(got, want)
