"""The arch registry: every recurrent core's name and shape facts, importable without torch.

The torch modules live in ``archs.py``; an entry names its builder there and ``Arch.build``
imports it only when a model is made, so listing archs, reports and comparisons never load
torch (``grubench --help`` stays fast).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Arch:
    """A registered recurrent core: its shape facts feed the closed-form sizing."""

    name: str
    gates: int  # weight blocks per layer (tanh RNN 1, GRU 3, LSTM 4)
    biases: int  # bias vectors per block: torch keeps two (input and hidden), the seed one
    elementwise: int  # element-wise FLOPs per hidden unit per step (nonlinearity = 1)
    summary: str

    def build(self, input_size: int, hidden: int, layers: int) -> Any:
        """The core as a torch module (imports torch)."""
        from grubench.models.archs import BUILDERS

        return BUILDERS[self.name](input_size, hidden, layers)


ARCHS: dict[str, Arch] = {
    a.name: a
    for a in [
        Arch("gru", 3, 2, 17, "torch nn.GRU (reset after the recurrent product, cuDNN form)"),
        Arch("lstm", 4, 2, 21, "torch nn.LSTM (input, forget, cell, output gates)"),
        Arch("rnn", 1, 2, 4, "torch nn.RNN with tanh: the ungated baseline"),
        Arch(
            "gru-seed",
            3,
            1,
            14,
            "the seed post's GRU: reset before the recurrent product, h'=(1-z)h+z*h~ "
            "(Chung et al. 2014; the issues' gru-v1)",
        ),
        Arch(
            "gru-seed-jit",
            3,
            1,
            14,
            "gru-seed with its time loop compiled by TorchScript (same numbers, less Python)",
        ),
    ]
}
ALIASES = {"gru-v1": "gru-seed", "gru-v1-jit": "gru-seed-jit"}


def get_arch(name: str) -> Arch:
    """Look up an arch by name (or alias); unknown names are a user error."""
    from grubench.errors import UserError

    key = ALIASES.get(name, name)
    if key not in ARCHS:
        raise UserError(f"unknown arch '{name}' (known: {', '.join(ARCHS)})")
    return ARCHS[key]
