"""Why nn.GRU trains slower than nn.LSTM on CPU: which kernels each one runs, and the training
step time with oneDNN (mkldnn) on and off, the archs interleaved.

    .venv/bin/python benchmarks/cpu_rnn_paths.py [--hidden-gru 37 --hidden-lstm 32 --seq-len 30]

torch's ``lstm`` (aten/src/ATen/native/RNN.cpp) hands CPU float inputs to oneDNN's fused RNN
primitive (``mkldnn_rnn_layer`` forward and backward) when ``use_mkldnn`` holds; ``gru`` has no
such branch and runs ``GRUCell`` step by step as separate ATen ops (matmuls, adds, sigmoid,
chunk), whose backward autograd records op by op.
"""

from __future__ import annotations

import argparse
from collections import Counter

import torch
from torch import nn

from grubench.analysis.stats import summarise
from grubench.measure.clocks import interleaved_rounds, pick_clock
from grubench.studies.speed.stats import paired_ratios


def step_fn(rnn: nn.Module, x: torch.Tensor):  # noqa: ANN201
    opt = torch.optim.Adam(rnn.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        rnn(x)[0][:, -1].pow(2).mean().backward()
        opt.step()

    return step


def kernels(step) -> Counter:  # noqa: ANN001
    """ATen ops one training step dispatches (counted by the profiler)."""
    from torch.profiler import profile

    step()
    with profile() as prof:
        step()
    return Counter({e.key: e.count for e in prof.key_averages()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden-gru", type=int, default=37)
    ap.add_argument("--hidden-lstm", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--input", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    # one torch thread: its CPU time is the work, without the time other processes took
    clock = pick_clock("auto", "cpu", a.threads)
    torch.manual_seed(0)
    x = torch.randn(a.batch, a.seq_len, a.input)
    gru = nn.GRU(a.input, a.hidden_gru, batch_first=True)
    lstm = nn.LSTM(a.input, a.hidden_lstm, batch_first=True)
    fns = {"gru": step_fn(gru, x), "lstm": step_fn(lstm, x)}
    print(
        f"batch {a.batch}, seq {a.seq_len}, input {a.input}, GRU hidden {a.hidden_gru}, "
        f"LSTM hidden {a.hidden_lstm}, {a.threads} thread(s), torch {torch.__version__}, "
        f"clock {clock}"
    )
    for name, fn in fns.items():
        k = kernels(fn)
        fused = k.get("aten::mkldnn_rnn_layer", 0) + k.get("aten::mkldnn_rnn_layer_backward", 0)
        print(
            f"{name}: {sum(k.values())} op calls per step; oneDNN RNN kernels: {fused}; "
            f"aten::mm {k.get('aten::mm', 0)}, aten::sigmoid_ {k.get('aten::sigmoid_', 0)}"
        )
    for mkldnn in (True, False):
        torch.backends.mkldnn.enabled = mkldnn
        t = interleaved_rounds(fns, a.rounds, clock, warmup=2)
        r = summarise(paired_ratios(t["gru"], t["lstm"]))
        g, m = summarise(t["gru"]), summarise(t["lstm"])
        print(
            f"mkldnn {'on ' if mkldnn else 'off'}: GRU {g.median * 1e3:.2f} ms, "
            f"LSTM {m.median * 1e3:.2f} ms, GRU/LSTM {r.median:.3f} [{r.q1:.3f}–{r.q3:.3f}]"
        )
    torch.backends.mkldnn.enabled = True


if __name__ == "__main__":
    main()
