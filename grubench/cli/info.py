"""Commands that describe what grubench knows: size, tasks, archs."""

from __future__ import annotations

from dataclasses import asdict

import typer

from grubench.cli.app import _positive, app, console, json_out
from grubench.models.registry import ARCHS, get_arch


@app.command()
def size(
    input: int = typer.Option(..., "--input", help="input features per step"),
    hidden: int = typer.Option(..., help="requested hidden size (the LSTM's budget)"),
    layers: int = typer.Option(1, help="recurrent layers"),
    output: int = typer.Option(1, help="read-out size"),
    arch: list[str] = typer.Option(
        None, "--arch", "-a", help="archs, repeated or comma-separated (default: all)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Hidden size, parameters and FLOPs per step of every arch under each matching rule."""
    from grubench.models.sizing import MATCH_RULES, size_table
    from grubench.outputs import render

    for name, value in [
        ("--input", input),
        ("--hidden", hidden),
        ("--layers", layers),
        ("--output", output),
    ]:
        _positive(name, value)
    names = [get_arch(a).name for v in arch for a in v.split(",") if a] if arch else list(ARCHS)
    rows = size_table(names, list(MATCH_RULES), input, hidden, layers, output)
    if as_json:
        json_out([asdict(r) for r in rows])
        return
    totals = [r.params_total for r in rows if r.rule == "params"]
    gap = (max(totals) - min(totals)) / min(totals)
    console.print(render.size_table(rows, {}))
    console.print(
        f"params rule: totals within {gap:.2%} of each other"
        + (
            ""
            if hidden >= 100 or gap <= 0.01
            else " (below hidden 100, integer sizes cannot match more closely)"
        )
    )


@app.command("tasks")
def list_tasks(
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of text"),
) -> None:
    """Registered tasks: definition, metric and direction, trivial baseline, parameters."""
    from grubench.tasks import FAMILIES, MEMBER_ARG, MEMBERS, TASKS

    tasks = [
        {
            "name": t.name,
            "summary": t.summary,
            "metric": t.metric,
            "direction": t.direction,
            "citation": t.citation,
            "params": {k: p.default for k, p in t.params.items()},
        }
        for t in TASKS.values()
    ]
    families = [
        {
            "name": f"{prefix}:{MEMBER_ARG.get(prefix, 'NAME')}",
            "summary": (resolver.__doc__ or "").strip(),
            "available": [
                f"{prefix}:{m}" for m in (MEMBERS[prefix]() if prefix in MEMBERS else [])
            ],
        }
        for prefix, resolver in FAMILIES.items()
    ]
    if as_json:
        json_out({"tasks": tasks, "families": families})
        return
    for t in tasks:
        arrow = "lower is better" if t["direction"] == "min" else "higher is better"
        params = ", ".join(f"{k}={v}" for k, v in t["params"].items())
        console.print(
            f"[bold]{t['name']}[/]  {t['summary']}. Metric {t['metric']} ({arrow}). "
            f"[dim]{t['citation']}. Params: {params}[/]",
            highlight=False,
            soft_wrap=True,
        )
    for f in families:
        console.print(f"[bold]{f['name']}[/]  {f['summary']}", highlight=False, soft_wrap=True)
        if f["name"].startswith("file:"):
            continue  # any file of the user's: nothing to list
        found = ", ".join(f["available"]) or "none found on this machine"
        console.print(f"    available: {found}", highlight=False, soft_wrap=True)


@app.command("archs")
def list_archs(
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of text"),
) -> None:
    """Registered recurrent cores, one line each."""
    if as_json:
        json_out([asdict(a) for a in ARCHS.values()])
        return
    for a in ARCHS.values():
        console.print(f"[bold]{a.name}[/]  {a.summary}", highlight=False, soft_wrap=True)
