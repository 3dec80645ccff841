"""The Typer app and what every command shares: streams, exit codes, one-line errors, the
choices shown in --help, path checks and trial progress.

Results (tables, JSON) go to stdout, progress and status to stderr, so ``grubench ... > file``
keeps the results and ``--json`` output always parses. Only light modules are imported here:
torch, pandas and matplotlib load inside the commands that need them (``--help`` stays fast).
"""

from __future__ import annotations

import enum
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from grubench import __version__
from grubench.errors import UserError

# Piped output (logs, CI) gets wide tables rather than Rich's 80-column fallback.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

OK, FAILED, USAGE, INTERNAL, INTERRUPTED = 0, 1, 2, 3, 130
# Click's exception base, whether typer vendors click or depends on it: typer exports no
# public name for it, but its public BadParameter derives from it.
CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
EXIT_CODES = (
    "Exit codes: 0 ok; 1 a regression (compare) or a run in which trials failed; "
    "2 a user error (bad option, path or suite); 3 an internal error (traceback saved to a "
    "file); 130 interrupted (Ctrl-C or SIGTERM)."
)


class OneLineErrors(TyperGroup):
    """Every failure is one line on stderr with its exit code, never a traceback."""

    def main(self, args: Any = None, prog_name: Any = None, **extra: Any) -> Any:  # click's
        standalone = extra.pop("standalone_mode", True)
        if not standalone:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, standalone_mode=False, **extra)
        except (CLICK_ERROR, UserError) as e:
            msg = e.format_message() if hasattr(e, "format_message") else str(e)
            _fail(f"error: {msg}", USAGE)
        except OSError as e:
            if e.filename is None:
                _internal(e)
            # A path the user gave that cannot be read or written (permissions, a full disk).
            _fail(f"error: cannot use '{e.filename}': {e.strerror or e}", USAGE)
        except (KeyboardInterrupt, typer.Abort):
            _fail("interrupted", INTERRUPTED)
        except Exception as e:
            _internal(e)
        sys.exit(rv if isinstance(rv, int) else OK)


def _fail(line: str, code: int) -> None:
    err.print(line, markup=False, highlight=False, soft_wrap=True)
    sys.exit(code)


def _internal(e: BaseException) -> None:
    """A bug: one line naming it and the file that holds the traceback, exit 3."""
    fd, path = tempfile.mkstemp(prefix="grubench-traceback-", suffix=".txt")
    with os.fdopen(fd, "w") as f:
        f.write(f"grubench {__version__}, argv {sys.argv}\n")
        f.write("".join(traceback.format_exception(e)))
    first = (str(e).splitlines() or [""])[0]
    _fail(f"internal error: {type(e).__name__}: {first} (traceback in {path})", INTERNAL)


def _version(value: bool) -> None:
    if value:
        print(f"grubench {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Matched GRU vs LSTM benchmarks: measurements instead of opinions.",
    epilog=EXIT_CODES,
)


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Matched GRU vs LSTM benchmarks: measurements instead of opinions."""


def on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM takes Ctrl-C's path (``main`` installs it): workers stopped, finished trials
    kept, exit 130."""
    raise KeyboardInterrupt


# Choices shown in --help. The values must equal the library's own lists (a test checks).
class Match(enum.StrEnum):
    params = "params"
    hidden = "hidden"


class ExecutorKind(enum.StrEnum):
    local = "local"
    ray = "ray"


class Clock(enum.StrEnum):
    auto = "auto"
    wall = "wall"
    cpu = "cpu"


DEVICE = re.compile(r"(cpu|cuda(:\d+)?|mps|auto)")
DEVICE_HELP = "[cpu|cuda|cuda:N|mps|auto]"


def device_option(value: str | None) -> str | None:
    """The --device pattern: known names and cuda:N (whether it exists is checked later)."""
    if value is not None and not DEVICE.fullmatch(value):
        raise typer.BadParameter(f"'{value}' is not one of cpu, cuda, cuda:N, mps, auto")
    return value


def _positive(name: str, value: int | float | None) -> None:
    from grubench.config import must_be_positive

    must_be_positive(name, value)


def writable_dir(path: Path, option: str, shown: Path | None = None) -> Path:
    """A folder that exists or can be made, and that we may write: else one line, exit 2
    (naming ``shown``, the path the user gave, when that is a file inside ``path``)."""
    given = shown or path
    if path.exists() and not path.is_dir():
        raise UserError(f"{option} '{given}' exists and is not a folder")
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"{option} '{given}': '{parent}' is not a folder")
    try:  # a real write: access() says yes to root, even on a read-only file system
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".grubench-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UserError(f"{option} '{given}': cannot write in '{parent}' ({e.strerror})") from None
    return path


def writable_file(path: Path | None, option: str) -> Path | None:
    """A file we may create or replace (its folder is made when missing)."""
    if path is None:
        return None
    if path.is_dir():
        raise UserError(f"{option} '{path}' is a folder, not a file")
    writable_dir(path.parent, option, shown=path)
    return path


def readable(path: Path, what: str, folder: bool | None = None) -> Path:
    """An existing path we may read (``folder``: must be a folder / a file / either)."""
    if not path.exists():
        raise UserError(f"{what} '{path}' does not exist")
    if folder is True and not path.is_dir():
        raise UserError(f"{what} '{path}' is not a folder")
    if folder is False and path.is_dir():
        raise UserError(f"{what} '{path}' is a folder, not a file")
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise UserError(f"{what} '{path}' cannot be read (permission denied)")
    return path


def studied(label: str, work: Any) -> Any:
    """``work(on_event)`` with trial progress shown under ``label``; Ctrl-C ends it with the
    finished trials saved and exit 130 (a study's runs resume on the next invocation)."""
    try:
        with TrialProgress(None, label=label) as shown:
            return work(shown.on_event)
    except KeyboardInterrupt:
        err.print("interrupted: finished trials are saved; rerun the command to go on")
        raise typer.Exit(INTERRUPTED) from None


class TrialProgress:
    """Trial progress on stderr: live bars on a terminal, else one plain line per finished
    trial (CI logs and files show progress as it happens, not one bar line at the end). On a
    Ray cluster each trial's node is shown while it runs and named when it ends."""

    def __init__(self, total: int | None, done: int = 0, label: str = "all trials") -> None:
        self.total, self.done, self.label = total, done, label
        self.live = err.is_terminal
        self.records: dict[str, dict[str, Any]] = {}
        self.nodes: dict[str, str] = {}  # trial id -> the node running it (Ray)
        self.bar: Any = None

    def __enter__(self) -> TrialProgress:
        if self.live:
            from grubench.outputs.render import progress

            self.bar = progress(err)
            self.bar.start()
            self.overall = self.bar.add_task(self.label, total=self.total, completed=self.done)
            self.current: dict[str, Any] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def on_record(self, rec: Any) -> None:
        """Keep each finished trial's record (a TrialResult) for its progress line."""
        self.records[rec.trial_id] = rec.to_dict()

    def on_event(self, ev: dict[str, Any]) -> None:
        kind = ev["event"]
        if kind == "planned":  # tuning grew a grid: more trials than the plan said
            if self.total is None:  # a study of several runs: one run's total is not ours
                return
            self.total = ev["total"]
            if self.live:
                self.bar.update(self.overall, total=self.total)
            return
        t = ev["trial"]
        if kind == "node":
            self.nodes[t.id] = ev["node"]
        where = f" on {self.nodes[t.id]}" if t.id in self.nodes else ""
        label = f"{t.task} {t.arch} seed {t.seed}{where}"
        if kind == "finish":
            self.done += 1
            self.nodes.pop(t.id, None)
        if not self.live:
            if kind == "finish":
                of = f"/{self.total}" if self.total else ""
                line = f"[{self.done}{of}] {label}: {outcome(self.records.get(t.id))}"
                err.print(line, markup=False, highlight=False, soft_wrap=True)
            return
        if kind == "start":
            self.current[t.id] = self.bar.add_task(f"  {label}", total=t.budget.epochs)
        elif kind == "node":
            self.bar.update(self.current[t.id], description=f"  {label}")
        elif kind == "epoch":
            desc = f"  {label} val {ev['val_metric']:.4g}"
            self.bar.update(
                self.current[t.id],
                completed=ev["epoch"],
                total=ev.get("epochs", t.budget.epochs),  # a step budget sets the epochs
                description=desc,
            )
        elif kind == "finish":
            self.bar.remove_task(self.current.pop(t.id))
            self.bar.advance(self.overall)
            if where:
                self.bar.console.print(f"{label}: ended", markup=False, highlight=False)


def outcome(rec: dict[str, Any] | None) -> str:
    """A finished trial in a few words: its status and test metric, or why it has none."""
    if rec is None:
        return "done"
    if rec["status"] == "failed":
        return f"failed: {rec.get('error')}"
    if rec["status"] == "diverged":
        return f"diverged: {rec.get('diverged_reason')}"
    secs = rec.get("train_seconds")
    took = f" in {secs:.1f} s" if isinstance(secs, int | float) else ""
    value = rec.get("test_metric")
    shown = f"{value:.4g}" if isinstance(value, int | float) else "–"
    return f"{rec['status']}, test {rec.get('metric', 'metric')} {shown}{took}"


def json_out(data: Any) -> None:
    """Machine-readable output on stdout (NaN and infinities become null)."""
    import json
    import math

    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        if isinstance(x, Path):
            return str(x)
        return x

    print(json.dumps(clean(data), indent=2, allow_nan=False, default=str))
