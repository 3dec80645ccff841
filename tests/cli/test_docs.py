"""The CLI and its reference cannot drift apart: docs/cli.md is what docs/gen_cli.py writes."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import typer

ROOT = Path(__file__).resolve().parents[2]


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli", ROOT / "docs" / "gen_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
COMMANDS = gen.commands()


def test_the_app_has_the_commands_the_reference_is_built_from():
    # Guards the tests below against passing vacuously on an empty command table.
    assert {"run", "status", "size", "tasks", "archs", "report", "compare"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name):
    assert gen.summary(COMMANDS[name]), f"grubench {name} has no docstring (its --help)"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_and_argument_has_help(name):
    undocumented = [
        p.name for p in COMMANDS[name].params if not (getattr(p, "help", None) or "").strip()
    ]
    assert not undocumented, f"grubench {name}: no help for {undocumented}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_section_in_the_reference(name):
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"\n## grubench {name}\n" in page, f"docs/cli.md has no section for {name}: make docs"


@pytest.mark.parametrize("name", sorted(n for n in COMMANDS if " " not in n))
def test_every_command_is_listed_in_the_readme(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`grubench {re.escape(name)}\b", readme), f"README lists no {name}"


def test_the_reference_is_what_the_generator_writes():
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == gen.render(), "docs/cli.md is out of date: run `make docs` and commit it"


def test_the_reference_holds_each_commands_options():
    # Pins the generator itself: a help text that lost its options would still "match".
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    run_section = page.split("\n## grubench run\n")[1].split("\n## ")[0]
    for option in ("--seeds", "--workers", "--resume", "--executor"):
        assert option in run_section


def test_sub_commands_get_their_own_section_with_their_full_usage_line(monkeypatch):
    tiny = typer.Typer()
    group = typer.Typer(help="Packaged things.")

    @group.command()
    def show(name: str = typer.Argument(..., help="which one")) -> None:
        """Print one."""

    @tiny.command()
    def go() -> None:
        """Go."""

    tiny.add_typer(group, name="things")
    monkeypatch.setattr(gen, "app", tiny)
    assert list(gen.commands()) == ["go", "things", "things show"]
    page = gen.render()
    assert "- [`grubench things show`](#grubench-things-show): Print one." in page
    section = page.split("\n## grubench things show\n")[1]
    assert section.startswith("\n```text\nUsage: grubench things show [OPTIONS] {name}")
