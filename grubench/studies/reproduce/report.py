"""Run (or reuse) each published set-up and write ``reproduce.md``, ``reproduce.json``, a
self-contained ``reproduce.html`` and the charts. The comparisons come from
``studies.reproduce.judge``; this module gathers and presents."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from grubench.analysis.stats import ALPHA
from grubench.errors import UserError
from grubench.models.registry import arch_color
from grubench.outputs import plots
from grubench.outputs.plots import STYLE, plt, whiskers
from grubench.outputs.report import write_page, write_report
from grubench.outputs.sections import Block, table
from grubench.run.local import Sink
from grubench.studies.claims.evidence import training_scope
from grubench.studies.claims.experiments import Outcome, run_sweep
from grubench.studies.reproduce.judge import HOLDS, SetupResult, interval, judge
from grubench.studies.reproduce.setups import SETUPS, Setup


@dataclass(frozen=True)
class ReproduceResult:
    folder: Path
    results: tuple[SetupResult, ...]
    outcomes: dict[str, Outcome]
    wall_seconds: float

    @property
    def mode(self) -> str:
        return self.folder.name

    @property
    def trials_run(self) -> int:
        """Trials this invocation trained (the rest of the folder's were reused)."""
        return sum(o.ran for o in self.outcomes.values())

    @property
    def trials_reused(self) -> int:
        return sum(o.stored - o.ran for o in self.outcomes.values())


def select(only: str | None) -> list[Setup]:
    """Set-ups named by a comma-separated list, or all of them."""
    if not only:
        return list(SETUPS.values())
    names = [n.strip() for n in only.split(",") if n.strip()]
    bad = [n for n in names if n not in SETUPS]
    if bad or not names:
        known = ", ".join(SETUPS)
        raise UserError(f"unknown set-up '{bad[0] if bad else only}' (known: {known})")
    return [SETUPS[n] for n in names]


def run_reproduce(
    out: Path, quick: bool, only: str | None, on_event: Sink, execute: bool = True
) -> ReproduceResult:
    """Run what is missing of each chosen set-up under ``out/quick`` (or ``out/full``), then
    compare with the papers. A set-up quick mode cuts is reported as cut, not run."""
    started = time.perf_counter()
    folder = Path(out) / ("quick" if quick else "full")
    results, outcomes = [], {}
    for setup in select(only):
        sweep = setup.experiment(quick)
        if sweep is None:
            results.append(judge(setup, [], "cut from quick mode"))
            continue
        o = run_sweep(sweep, folder / setup.name, on_event, execute)
        outcomes[setup.name] = o
        results.append(judge(setup, o.records, o.error, sweep))
    return ReproduceResult(folder, tuple(results), outcomes, time.perf_counter() - started)


def _num(v: float | None) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4g}"


def _setting(setup: Setup, value: Any) -> str:
    if value is None or setup.sweep.param is None:
        return ""
    return f"{setup.sweep.param} = {value}"


def figure_rows(r: SetupResult) -> list[list[str]]:
    rows = []
    for f in r.figures:
        fig = f.figure
        at = _setting(r.setup, fig.setting)
        if fig.ours_at is not None:
            at += f" (ours: {_setting(r.setup, fig.ours_at)})"
        near = {True: "yes", False: "no", None: "–"}[f.near]
        rows.append(
            [fig.arch, at or "–", fig.quantity, fig.text_value(), interval(f.ours), near]
            + [fig.source, fig.checked]
        )
    return rows


def ordering_rows(r: SetupResult) -> list[list[str]]:
    rows = []
    for o in r.orderings:
        od = o.ordering
        rows.append(
            [
                f"{od.better} beats {od.worse}",
                _setting(r.setup, od.setting) or "–",
                f"{_num(o.mean_better)} vs {_num(o.mean_worse)}",
                _num(o.p),
                f"{o.p_better:.2f} [{o.p_better_lo:.2f}, {o.p_better_hi:.2f}]" if o.n else "–",
                o.verdict if o.verdict == HOLDS else f"**{o.verdict}**",
                o.reason or "–",
                od.source,
            ]
        )
    return rows


def reach_rows(r: SetupResult) -> list[list[str]]:
    return [
        [
            _setting(r.setup, x.setting),
            x.arch,
            f"{x.reached}/{x.runs}",
            f"[{x.lo:.2f}, {x.hi:.2f}]",
            f"{min(x.steps)}–{max(x.steps)}" if x.steps else "–",
        ]
        for x in r.reach
    ]


FIGURE_COLS = ["arch", "setting", "quantity", "paper", "ours: mean [95% CI] (n)", "within "]
ORDER_COLS = [
    "paper's ordering",
    "setting",
    "ours (means)",
    "sign-flip p",
    "P(paper's better arch better) [95% CI]",
    "ours",
    "why not",
    "source",
]
RULES = (
    "Each figure is the paper's value beside the mean of our final runs' test metric with its "
    "95% t-interval (the range for 3 runs or fewer). An ordering holds when the paper's better "
    f"arch wins the exact sign-flip test over paired seeds at p < {ALPHA}; 'reversed' when the "
    "other arch wins it; 'not shown' otherwise, with the reason. P(better) is the share of seeds "
    "on which the paper's better arch is better (ties half), with its exact interval."
)


def _scope(result: ReproduceResult) -> dict[str, Any]:
    ran = [o for o in result.outcomes.values() if o.records]
    return training_scope(ran) if ran else {}


def blocks(result: ReproduceResult, images: dict[str, Path]) -> list[Block]:
    scope = "; ".join(f"{k}: {v}" for k, v in _scope(result).items()) or "nothing run yet"
    out = [
        Block("h1", f"grubench reproduce ({result.mode})"),
        Block("p", f"Scope: {scope}."),
        Block("p", RULES),
    ]
    for r in result.results:
        s = r.setup
        out.append(Block("h2", s.title))
        if r.error:
            out.append(Block("p", f"Not run: {r.error}."))
            continue
        if r.left_out:
            out.append(Block("p", r.left_out))
        tol = f" (tolerance {s.tolerance:g})" if s.tolerance is not None else ""
        cols = [*FIGURE_COLS[:-1], f"within{tol}", "source", "checked"]
        out += [Block("h3", "Figures"), table(cols, figure_rows(r))]
        out += [Block("h3", "Orderings"), table(ORDER_COLS, ordering_rows(r))]
        if r.reach:
            heads = ["setting", "arch", "reached the target", "95% CI", "steps to it"]
            out += [Block("h3", "Reach rates within the step budget"), table(heads, reach_rows(r))]
        out.append(Block("h3", "How our set-up differs"))
        out += [Block("p", f"– {d}.") for d in s.deviations]
        quick = s.quick_text() if result.mode == "quick" else ""
        if quick:
            out.append(Block("p", f"– quick mode: {quick}."))
        if s.name in images:
            out.append(Block("img", str(images[s.name].relative_to(result.folder))))
    return out


def chart(r: SetupResult) -> Figure | None:
    """Ours (mean, 95% CI) beside the paper's figures per arch; for a set-up with reach rates,
    the rate against the swept setting per arch instead."""
    if r.error:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
        if r.reach:
            # Settings as evenly spaced categories, each arch nudged aside so that two intervals
            # at one setting do not hide each other (and one setting draws no numeric axis).
            where = {v: i for i, v in enumerate(dict.fromkeys(x.setting for x in r.reach))}
            archs = r.setup.sweep.archs
            for k, arch in enumerate(archs):
                xs = [x for x in r.reach if x.arch == arch]
                rate = [x.reached / x.runs for x in xs]
                nudge = 0.08 * (k - (len(archs) - 1) / 2)
                ax.errorbar(
                    [where[x.setting] + nudge for x in xs],
                    rate,
                    yerr=whiskers(rate, [x.lo for x in xs], [x.hi for x in xs]),
                    marker="o",
                    capsize=3,
                    color=arch_color(arch),
                    label=arch,
                )
            ax.set_xticks(range(len(where)), [str(v) for v in where])
            ax.set_xlim(-0.5, len(where) - 0.5)
            ax.set_xlabel(r.setup.sweep.param or "")
            ax.set_ylabel("share of runs that reached the target")
            ax.set_ylim(-0.05, 1.05)
        else:
            archs = list(dict.fromkeys(f.figure.arch for f in r.figures))
            for i, arch in enumerate(archs):
                rows = [f for f in r.figures if f.figure.arch == arch]
                ours = rows[0].ours
                if ours.n:
                    lo, hi = (ours.lo, ours.hi) if not math.isnan(ours.lo) else (ours.mean,) * 2
                    ax.errorbar(
                        [i], [ours.mean], yerr=whiskers([ours.mean], [lo], [hi]), fmt="o",
                        color=arch_color(arch), capsize=4, label="ours" if i == 0 else None,
                    )  # fmt: skip
                for k, f in enumerate(x for x in rows if x.figure.value is not None):
                    ax.plot([i + 0.15 + 0.1 * k], [f.figure.value], "k" + "^v"[k % 2], ms=6)
                    ax.annotate(
                        f.figure.source.split(",")[0].split("(")[0].strip(),
                        (i + 0.2 + 0.1 * k, f.figure.value), fontsize=6, va="center",
                    )  # fmt: skip
            ax.set_xticks(range(len(archs)), archs)
            ax.set_xlim(-0.5, len(archs) - 0.2)
            unit = next((f.unit for f in r.figures if f.unit), "")
            ax.set_ylabel(f"test {unit} (ours: mean, 95% CI; ▲▼ papers)")
        ax.set_title(r.setup.title, fontsize=9)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return fig


def charts(result: ReproduceResult) -> dict[str, Path]:
    out = {}
    for r in result.results:
        fig = chart(r)
        if fig is not None:
            out[r.setup.name] = plots.save(fig, result.folder / "plots" / f"{r.setup.name}.png")
    return out


def reproduce_json(result: ReproduceResult) -> dict[str, Any]:
    def setup_json(r: SetupResult) -> dict[str, Any]:
        return {
            "name": r.setup.name,
            "title": r.setup.title,
            "error": r.error,
            "left_out": r.left_out,
            "figures": [
                {
                    "arch": f.figure.arch,
                    "setting": f.figure.setting,
                    "ours_at": f.figure.beside,
                    "quantity": f.figure.quantity,
                    "paper": f.figure.value,
                    "source": f.figure.source,
                    "checked": f.figure.checked,
                    "ours_mean": f.ours.mean if f.ours.n else None,
                    "ours_lo": f.ours.lo if f.ours.n else None,
                    "ours_hi": f.ours.hi if f.ours.n else None,
                    "ours_n": f.ours.n,
                    "near": f.near,
                }
                for f in r.figures
            ],
            "orderings": [
                {
                    "better": o.ordering.better,
                    "worse": o.ordering.worse,
                    "setting": o.ordering.setting,
                    "source": o.ordering.source,
                    "n": o.n,
                    "mean_better": o.mean_better,
                    "mean_worse": o.mean_worse,
                    "p": o.p,
                    "p_better": o.p_better,
                    "p_better_ci": [o.p_better_lo, o.p_better_hi],
                    "verdict": o.verdict,
                    "reason": o.reason,
                }
                for o in r.orderings
            ],
            "reach": [
                {
                    "setting": x.setting,
                    "arch": x.arch,
                    "reached": x.reached,
                    "runs": x.runs,
                    "ci": [x.lo, x.hi],
                    "steps_to_target": list(x.steps),
                }
                for x in r.reach
            ],
            "deviations": list(r.setup.deviations),
            "quick_mode": r.setup.quick_text() if result.mode == "quick" else None,
        }

    return {
        "mode": result.mode,
        # This invocation's: a re-judging (--no-run, or a resumed run) reuses trials it did not
        # time, so the seconds count together with how many trials it ran.
        "invocation_seconds": result.wall_seconds,
        "trials_run": result.trials_run,
        "trials_reused": result.trials_reused,
        "scope": _scope(result),
        "setups": [setup_json(r) for r in result.results],
    }


def write_reproduce(result: ReproduceResult) -> list[Path]:
    """reproduce.md, reproduce.json and reproduce.html in the mode's folder; each set-up that
    ran trials now also gets its own full report."""
    result.folder.mkdir(parents=True, exist_ok=True)
    for o in result.outcomes.values():
        if o.ran and o.records:
            write_report(o.folder)
    bs = blocks(result, charts(result))
    return write_page(result.folder, "reproduce", bs, reproduce_json(result))


def summary_rows(result: ReproduceResult) -> list[list[str]]:
    """One line per ordering for the terminal: set-up, ordering, ours, verdict."""
    rows = []
    for r in result.results:
        if r.error:
            rows.append([r.setup.name, "–", "–", f"not run: {r.error}"])
            continue
        for o in r.orderings:
            od = o.ordering
            what = f"{od.better} beats {od.worse}" + (
                f" at {_setting(r.setup, od.setting)}" if od.setting is not None else ""
            )
            verdict = o.verdict + (f" ({o.reason})" if o.reason else "")
            rows.append([r.setup.name, what, f"p = {_num(o.p)}", verdict])
    return rows
