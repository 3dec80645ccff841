"""One ArrowHead trial with the model or batch changed in place, at the rates the 2026-12-03 run
tuned (GRU 0.003, LSTM 0.001): the exploration behind the ad-hoc patch rule. Prints one JSON line.

Run from the repository root: ``.venv/bin/python
docs/findings/2026-12-04-ucr-adhoc/exploration/arrowhead_variants.py VARIANT ARCH SEED``, with
VARIANT one of mean (a mean over time in place of the last state), b8 (batch 8 in place of the
full batch), meanb8, chunk8, chunk8mean, chunk4 (patches of 8 or 4 steps, made inside the
model here; grubench's ``patch`` parameter makes them in the data). Every trial is the
2026-12-03 ArrowHead-fold run's final trial of that arch, at another seed.
"""

import gzip
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

import grubench.trial.train as trainer
from grubench.config import trial_from_dict
from grubench.models import model as M
from grubench.trial.train import run_trial

RECORDS = Path("docs/findings/2026-12-03-ucr-adhoc/ArrowHead-fold/trials.jsonl.gz")
variant, arch, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])

if "mean" in variant:

    def mean_forward(self, x, lengths=None, state=None):
        out, last, state = self.core(x, lengths, state)
        if self.per_step:
            return self.head(out), state
        if lengths is None:
            return self.head(out.mean(1)), state
        pooled = out.sum(1) / lengths.to(out.device).unsqueeze(1).to(out.dtype)
        return self.head(pooled), state

    M.SeqModel.forward = mean_forward

chunk = re.search(r"chunk(\d+)", variant)
if chunk:
    K = int(chunk.group(1))
    init0, forward0 = M.SeqModel.__init__, M.SeqModel.forward

    def init(self, arch, input_size, hidden, layers, output, per_step, forget_bias=None):
        init0(self, arch, input_size * K, hidden, layers, output, per_step, forget_bias)

    def chunk_forward(self, x, lengths=None, state=None):
        B, T, C = x.shape
        pad = (-T) % K
        if pad:
            x = torch.cat([x, x.new_zeros(B, pad, C)], 1)
        return forward0(self, x.reshape(B, (T + pad) // K, K * C), None, state)

    M.SeqModel.__init__, M.SeqModel.forward = init, chunk_forward

    def counted(arch, i, h, layers, o):
        return sum(p.numel() for p in M.SeqModel(arch, i, h, layers, o, False).parameters())

    trainer.params_total = counted  # the closed form knows no chunks

with gzip.open(RECORDS, "rt") as f:
    spec = next(r["spec"] for r in map(json.loads, f) if r["role"] == "final" and r["arch"] == arch)
trial = replace(trial_from_dict(spec), seed=seed)
trial = replace(trial, train=replace(trial.train, batch_size=8 if "b8" in variant else 64))
started = time.time()
d = run_trial(trial).__dict__
kept = d["best_epoch"]
after = sorted(e["val_metric"] for e in d["history"] if e["epoch"] > kept) or [d["best_val_metric"]]
line = dict(
    variant=variant,
    arch=arch,
    seed=seed,
    name="ArrowHead",
    lr=trial.train.lr,
    test=round(d["test_metric"], 3),
    best_ep=kept,
    ep=d["epochs_run"],
    steps=d["steps_run"],
    stop=d["stop_reason"],
    bestval=d["best_val_metric"],
    after_med=after[len(after) // 2],
    secs=round(time.time() - started, 1),
)
print(json.dumps(line), flush=True)
