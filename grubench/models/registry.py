"""The arch registry: every fact about a recurrent core, importable without torch.

The torch modules live in ``archs.py`` (``BUILDERS``, by arch name; ``build_core`` makes one),
so listing archs, reports and comparisons never load torch and ``grubench --help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# The arch others are measured against: the params rule's budget, speed's time ratios and
# compare's paired ratios all put it in the denominator.
REFERENCE = "lstm"
# The question grubench answers: the pair every comparison, claim and default suite is about.
PAIR = ("gru", REFERENCE)
# Charts of records whose arch is no longer registered (the colour they have always had).
OTHER_COLOR = "#9467bd"


@dataclass(frozen=True, kw_only=True)
class Arch:
    """A registered recurrent core and every fact about it that the rest of grubench reads."""

    name: str
    # The equations it computes; tests/models/test_arch_equivalence.py holds one plain per-step
    # reference per family and fails for an arch whose family has none.
    family: str
    gates: int  # weight blocks per layer (tanh RNN 1, GRU 3, LSTM 4)
    biases: int  # bias vectors per block: torch keeps two (input and hidden), the seed one
    elementwise: int  # element-wise FLOPs per hidden unit per step (nonlinearity = 1)
    # Floats per hidden unit a step keeps for the backward pass beyond its input and gate
    # activations (the memory closed form): the cell state and tanh(c) (LSTM), the hidden-side
    # candidate product (torch GRU, applied after r), r⊙h (seed GRU, the second product's input).
    extra_state: int
    color: str  # the same in every chart
    summary: str
    # Whether the gates read the previous state (a weight block on h per gate). The minimal
    # cells' gates see the input alone, which is what lets a scan replace the time loop.
    recurrent_weights: bool = True
    # How the time steps are computed: "loop" (one step after another, torch's fused layers
    # included) or "scan" (every step at once, in log space).
    steps: str = "loop"
    # How layers compose: "stack" (layer k reads layer k−1's states, as nn.GRU's num_layers) or
    # "block" (Feng et al. 2024's official code, BorealisAI/minRNNs models/model.py: a linear
    # input projection to H, then per layer x ← x + W_o·cell(RMSNorm(x)), then a final
    # RMSNorm; no convolution or MLP, as its selective-copy runs; the cell's width is H, where
    # the paper's expansion factor makes it 6H).
    layer_form: str = "stack"


ARCHS: dict[str, Arch] = {
    a.name: a
    for a in [
        Arch(
            name="gru",
            family="gru",
            gates=3,
            biases=2,
            elementwise=17,
            extra_state=2,
            color="#1f77b4",
            summary="torch nn.GRU (reset after the recurrent product, cuDNN form)",
        ),
        Arch(
            name="lstm",
            family="lstm",
            gates=4,
            biases=2,
            elementwise=21,
            extra_state=3,
            color="#ff7f0e",
            summary="torch nn.LSTM (input, forget, cell, output gates)",
        ),
        Arch(
            name="rnn",
            family="rnn-tanh",
            gates=1,
            biases=2,
            elementwise=4,
            extra_state=1,
            color="#7f7f7f",
            summary="torch nn.RNN with tanh: the ungated baseline",
        ),
        Arch(
            name="gru-seed",
            family="gru-seed",
            gates=3,
            biases=1,
            elementwise=14,
            extra_state=2,
            color="#2ca02c",
            summary="the seed post's GRU: reset before the recurrent product, h'=(1-z)h+z*h~ "
            "(Chung et al. 2014; alias gru-v1)",
        ),
        Arch(
            name="gru-seed-jit",
            family="gru-seed",
            gates=3,
            biases=1,
            elementwise=14,
            extra_state=2,
            color="#9467bd",
            summary="gru-seed with its time loop compiled by TorchScript "
            "(same numbers, less Python)",
        ),
        Arch(
            name="lstm-seed",
            family="lstm",
            gates=4,
            biases=1,
            elementwise=17,
            extra_state=3,
            color="#8c564b",
            summary="an LSTM written like gru-seed (one input matmul, a per-step loop): the same "
            "code path for both archs when timing",
        ),
        Arch(
            name="mingru",
            family="mingru",
            gates=2,
            biases=1,
            elementwise=9,
            extra_state=4,
            color="#17becf",
            summary="minGRU (Feng et al. 2024): z and h~ from the input alone, h=(1-z)h+z*g(h~), "
            "trained by a parallel scan in log space; each layer in the paper's pre-norm "
            "residual block",
            recurrent_weights=False,
            steps="scan",
            layer_form="block",
        ),
        Arch(
            name="minlstm",
            family="minlstm",
            gates=3,
            biases=1,
            elementwise=14,
            extra_state=5,
            color="#bcbd22",
            summary="minLSTM (Feng et al. 2024): f and i from the input alone, normalised to sum "
            "to one, h=f'h+i'*g(h~), trained by a parallel scan in log space; each layer in "
            "the paper's pre-norm residual block",
            recurrent_weights=False,
            steps="scan",
            layer_form="block",
        ),
    ]
}


def _stepwise(scan: str, color: str) -> Arch:
    """A scan arch computed one time step at a time: the same cell, weights and FLOPs; only the
    saved state differs (a loop keeps one hidden state a step, the scan its log-space terms)."""
    return replace(
        ARCHS[scan],
        name=f"{scan}-seq",
        extra_state=1,
        color=color,
        summary=f"{scan} one time step at a time: the same weights and numbers as the scan",
        steps="loop",
    )


ARCHS.update({a.name: a for a in (_stepwise("mingru", "#e377c2"), _stepwise("minlstm", "#7f7f00"))})
ALIASES = {"gru-v1": "gru-seed", "gru-v1-jit": "gru-seed-jit"}


def get_arch(name: str) -> Arch:
    """Look up an arch by name (or alias); unknown names are a user error."""
    from grubench.errors import UserError

    key = ALIASES.get(name, name)
    if key not in ARCHS:
        raise UserError(f"unknown arch '{name}' (known: {', '.join(ARCHS)})")
    return ARCHS[key]


def arch_color(name: str) -> str:
    """An arch's chart colour; records may name archs no longer registered (one shared colour),
    and speed's A/A twins (``gru#a``, ``gru#b``) take their arch's."""
    base = name.split("#")[0]
    arch = ARCHS.get(ALIASES.get(base, base))
    return arch.color if arch else OTHER_COLOR
