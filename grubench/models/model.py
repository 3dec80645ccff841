"""The whole model a trial trains: a registered recurrent core and a linear read-out."""

from __future__ import annotations

from torch import Tensor, nn

from grubench.models.archs import build_core, set_forget_bias


class SeqModel(nn.Module):
    """Core plus read-out, either at every step (``per_step``) or at each sequence's end."""

    def __init__(
        self,
        arch: str,
        input_size: int,
        hidden: int,
        layers: int,
        output: int,
        per_step: bool,
        forget_bias: float | None = None,
    ):
        super().__init__()
        self.core = build_core(arch, input_size, hidden, layers)
        if forget_bias:  # 0 (or None) keeps torch's own initialisation
            set_forget_bias(self.core, forget_bias)
        self.head = nn.Linear(hidden, output)
        self.per_step = per_step

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):
        out, last, state = self.core(x, lengths, state)
        return self.head(out if self.per_step else last), state


def count_params(module: nn.Module) -> int:
    """Trainable parameters, counted from the module itself (checked against the closed form)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
