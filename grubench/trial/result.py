"""``TrialResult``: the one record of a trial, finished, diverged or failed.

Built by ``TrialResult.of`` (``run_trial`` for a trial that ran, ``TrialResult.failed`` for one
that produced nothing); turned into JSON and back only by ``to_dict`` / ``from_dict``, which the
store calls. Records of older schemas are upgraded in ``from_dict``: fields they lack get their
defaults (``role`` "final", ``converged`` unknown, ``lr`` from the stored spec).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from grubench import SCHEMA_VERSION

if TYPE_CHECKING:  # config pulls in the task registry (and torch); readers of results need neither
    from grubench.config import Trial

STATUSES = ("ok", "diverged", "failed")
ROLES = ("final", "tune")
# Why training stopped. Patience and target end a run that has learned what it will; the step
# budget, the epoch cap and the seconds safety net cut it off, so only the first two count as
# converged. A run cut by seconds never counts as an arch failing to learn.
CONVERGED_STOPS = ("patience", "target")


@dataclass(frozen=True)
class TrialResult:
    """Everything a trial records (DESIGN.md, "What every result records"). Memory is in MiB
    (2**20 bytes) although the names end in ``_mb``, kept so older files read the same."""

    trial_id: str
    task: str
    arch: str
    seed: int
    status: str  # one of STATUSES
    schema_version: int = SCHEMA_VERSION
    spec: dict[str, Any] = field(default_factory=dict)  # the Trial, as trial_to_dict gives it
    task_params: dict[str, Any] = field(default_factory=dict)
    role: str = "final"  # "tune": a learning-rate search trial, never in the summary
    lr: float | None = None
    lr_grid: list[float] | None = None  # the grid ``lr`` was chosen from; None: not tuned
    match: str | None = None
    hidden_requested: int | None = None
    layers: int | None = None
    device: str | None = None
    threads: int | None = None
    node: str | None = None  # the host (or Ray node) that ran it
    hidden: int | None = None
    input_size: int | None = None
    output_size: int | None = None
    params_total: int | None = None
    params_recurrent: int | None = None
    flops_per_step: int | None = None
    init: str | None = None
    budget: dict[str, Any] | None = None
    metric: str | None = None
    direction: str | None = None
    val_metric_name: str | None = None
    test_metric: float | None = None
    test_metrics: dict[str, float | None] = field(default_factory=dict)
    baseline: float | None = None
    baseline_name: str | None = None
    # What "learned" is judged on (grubench.analysis.learned): the trivial predictor's
    # validation score, the validation metric's direction, and the task's margin past it.
    val_baseline: float | None = None
    val_direction: str | None = None
    learned_margin: float | None = None
    target: float | None = None
    time_to_target_s: float | None = None
    epochs_to_target: int | None = None
    steps_to_target: int | None = None  # optimiser steps when validation first reached it
    steps_run: int | None = None  # optimiser steps taken
    # The validation level a run had to beat before patience could stop it, and the first
    # epoch that beat it (None: it never left the trivial plateau).
    plateau_level: float | None = None
    left_plateau_epoch: int | None = None
    protocol: int | None = None  # the training protocol (grubench.config.PROTOCOL); None: 1
    best_epoch: int | None = None
    best_val_metric: float | None = None
    best_val_loss: float | None = None  # the lowest validation loss (what tuning scores)
    epochs_run: int | None = None
    stop_reason: str | None = None  # patience, target, steps, epochs, seconds, diverged
    # None: unknown (a failed trial, or an older record) or not applicable (a diverged one).
    converged: bool | None = None
    train_seconds: float | None = None
    # In-process seconds before the first epoch (data, model, warm-up, probe, memory baseline)
    # and in validation passes between epochs: the trial's overhead around its training.
    setup_seconds: float | None = None
    eval_seconds: float | None = None
    seconds_per_epoch: float | None = None
    throughput_seq_s: float | None = None
    infer_latency_ms: float | None = None
    infer_latency_iqr_ms: float | None = None
    peak_mem_mb: float | None = None  # MiB above the post-warm-up baseline, training only
    peak_eval_mb: float | None = None  # MiB above the same baseline, evaluation passes only
    mem_baseline_mb: float | None = None
    probe: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    diverged: bool = False
    diverged_reason: str | None = None
    error: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    data_info: dict[str, Any] = field(default_factory=dict)
    finished_at: str | None = None
    wall_seconds: float | None = None
    # Keys this version does not know (a test's hand-made record, a newer minor field): kept so
    # that reading and writing a file back loses nothing.
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, trial: Trial, status: str, **measured: Any) -> TrialResult:
        """The record of ``trial``: the fields the trial fixes, plus what was measured."""
        from grubench.config import PROTOCOL, trial_to_dict

        return cls(
            protocol=PROTOCOL,
            trial_id=trial.id,
            spec=trial_to_dict(trial),
            task=trial.task,
            task_params=dict(trial.task_params),
            arch=trial.arch,
            seed=trial.seed,
            role=trial.role,
            lr=trial.train.lr,
            lr_grid=None if trial.lr_grid is None else list(trial.lr_grid),
            match=trial.match,
            hidden_requested=trial.hidden,
            layers=trial.layers,
            device=trial.device,
            threads=trial.threads,
            status=status,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            **measured,
        )

    @classmethod
    def failed(
        cls, trial: Trial, error: str, status: str = "failed", node: str | None = None
    ) -> TrialResult:
        """The record of a trial that produced no result (crash, OOM, killed)."""
        from grubench.tasks import get_task

        task = get_task(trial.task)
        return cls.of(
            trial, status, metric=task.metric, direction=task.direction, error=error, node=node
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form written to trials.jsonl (unknown keys from ``extra`` included)."""
        d = asdict(self)
        extra = d.pop("extra")
        return {**extra, **d}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrialResult:
        """A stored record, upgraded to this schema: missing fields get their defaults."""
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in d.items() if k in known}
        if values.get("lr") is None:
            lr = (d.get("spec") or {}).get("train", {}).get("lr")
            values["lr"] = lr
        values.setdefault("schema_version", SCHEMA_VERSION)
        return cls(**values, extra={k: v for k, v in d.items() if k not in known})

    def with_node(self, node: str | None) -> TrialResult:
        """The same record, naming the host (or Ray node) that ran it."""
        return replace(self, node=node)
