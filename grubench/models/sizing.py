"""Closed forms for parameters and FLOPs, and the rules that size archs for a fair match."""

from __future__ import annotations

from dataclasses import dataclass

from grubench.errors import UserError
from grubench.models.registry import REFERENCE, get_arch

MATCH_RULES = ("params", "hidden")


def cell_inputs(arch: str, input_size: int, hidden: int, layers: int) -> list[int]:
    """Features each layer's cell reads: the input at the first layer of a stack, else the
    layer below's H; in a block-form core every cell reads H (the input projection's)."""
    block = get_arch(arch).layer_form == "block"
    return [input_size if k == 0 and not block else hidden for k in range(layers)]


def params_recurrent(arch: str, input_size: int, hidden: int, layers: int = 1) -> int:
    """Recurrent-core parameters: per layer gates·(H·I + H² + biases·H), without the H² block
    for cells whose gates do not read the state (minGRU, minLSTM). A block-form core adds its
    input projection (I·H + H), per layer an RMSNorm (H) and an output projection (H² + H),
    and a final RMSNorm (H); its cells all read H features."""
    a = get_arch(arch)
    back = hidden if a.recurrent_weights else 0
    block = a.layer_form == "block"
    total = input_size * hidden + 2 * hidden if block else 0
    for i in cell_inputs(arch, input_size, hidden, layers):
        total += a.gates * (hidden * i + hidden * back + a.biases * hidden)
        if block:
            total += hidden * hidden + 2 * hidden
    return total


def params_total(arch: str, input_size: int, hidden: int, layers: int, output: int) -> int:
    """Whole model: the core plus the linear read-out (H·O + O)."""
    return params_recurrent(arch, input_size, hidden, layers) + hidden * output + output


# Element-wise FLOPs per unit of an RMSNorm (square, sum, scale by the root, weight) and of a
# residual addition.
NORM_FLOPS, RESIDUAL_FLOPS = 4, 1


def flops_per_step(arch: str, input_size: int, hidden: int, layers: int, output: int) -> int:
    """Forward FLOPs per time step and sequence: 2 per multiply-add, plus element-wise work."""
    a = get_arch(arch)
    back = hidden if a.recurrent_weights else 0
    block = a.layer_form == "block"
    total = 2 * hidden * output + output
    if block:
        total += 2 * input_size * hidden + NORM_FLOPS * hidden
    for i in cell_inputs(arch, input_size, hidden, layers):
        total += 2 * a.gates * hidden * (i + back) + a.elementwise * hidden
        if block:
            total += 2 * hidden * hidden + (NORM_FLOPS + RESIDUAL_FLOPS) * hidden
    return total


def hidden_for_budget(arch: str, input_size: int, layers: int, output: int, budget: int) -> int:
    """The hidden size whose total parameter count is closest to ``budget`` (ties: smaller)."""
    lo, hi = 1, 1
    while params_total(arch, input_size, hi, layers, output) < budget:
        lo, hi = hi, hi * 2
    while lo < hi:  # smallest h with total >= budget
        mid = (lo + hi) // 2
        if params_total(arch, input_size, mid, layers, output) >= budget:
            hi = mid
        else:
            lo = mid + 1
    if lo > 1:
        below = budget - params_total(arch, input_size, lo - 1, layers, output)
        above = params_total(arch, input_size, lo, layers, output) - budget
        if below <= above:
            return lo - 1
    return lo


@dataclass(frozen=True)
class Sized:
    """One arch's size under one matching rule."""

    arch: str
    rule: str
    hidden: int
    params_recurrent: int
    params_total: int
    flops_per_step: int


def match_hidden(
    archs: list[str], rule: str, input_size: int, hidden: int, layers: int, output: int
) -> dict[str, int]:
    """Hidden size per arch: equal hidden sizes, or equal total parameters (the budget is the
    reference arch's size at the requested hidden size)."""
    if rule not in MATCH_RULES:
        raise UserError(f"unknown matching rule '{rule}' (known: {', '.join(MATCH_RULES)})")
    if rule == "hidden":
        return {a: hidden for a in archs}
    budget = params_total(REFERENCE, input_size, hidden, layers, output)
    return {a: hidden_for_budget(a, input_size, layers, output, budget) for a in archs}


def size_table(
    archs: list[str], rules: list[str], input_size: int, hidden: int, layers: int, output: int
) -> list[Sized]:
    """Every arch under every rule, as printed by ``grubench size``."""
    rows = []
    for rule in rules:
        for arch, h in match_hidden(archs, rule, input_size, hidden, layers, output).items():
            rows.append(
                Sized(
                    arch=get_arch(arch).name,
                    rule=rule,
                    hidden=h,
                    params_recurrent=params_recurrent(arch, input_size, h, layers),
                    params_total=params_total(arch, input_size, h, layers, output),
                    flops_per_step=flops_per_step(arch, input_size, h, layers, output),
                )
            )
    return rows
