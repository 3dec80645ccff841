"""Padding never changes a result: a padded batch gives each sequence its unpadded final state."""

import pytest
import torch

from grubench.models.archs import build_core
from grubench.models.registry import ARCHS


@pytest.mark.parametrize("arch", list(ARCHS))
@pytest.mark.parametrize("layers", [1, 2])
def test_padded_batch_gives_the_final_states_of_the_unpadded_sequences(arch, layers):
    torch.manual_seed(0)
    core = build_core(arch, 3, 5, layers)
    lengths = torch.tensor([7, 2, 5, 1])
    seqs = [torch.randn(n, 3) for n in lengths.tolist()]
    padded = torch.zeros(4, 7, 3)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    padded[1, 2:] = 9.0  # garbage in the padding must not leak either
    out, last, state = core(padded, lengths)
    for i, s in enumerate(seqs):
        o1, l1, st1 = core(s.unsqueeze(0))
        torch.testing.assert_close(last[i], l1[0], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(out[i, : len(s)], o1[0], atol=1e-6, rtol=1e-5)
        for full, alone in zip(
            state if isinstance(state, tuple) else (state,),
            st1 if isinstance(st1, tuple) else (st1,),
            strict=True,
        ):
            torch.testing.assert_close(full[:, i], alone[:, 0], atol=1e-6, rtol=1e-5)
