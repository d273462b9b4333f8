"""The one typed object every command receives through ``ctx.obj``."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import typer
from rich.console import Console


def _stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def _stdout_console() -> Console:
    # Data on stdout must not be wrapped or decorated when piped.
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


@dataclass
class AppContext:
    """Built by the root callback; commands add settings, state and a Plex connection as needed.

    ``out`` carries data (tables, JSON); ``err`` carries everything meant for people (progress,
    warnings, summaries), so ``plexrate … --json | jq`` always sees clean JSON.
    """

    debug: bool = False
    out: Console = field(default_factory=_stdout_console)
    err: Console = field(default_factory=_stderr_console)

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty() and sys.stderr.isatty() and not os.environ.get("CI")


def get_app(ctx: typer.Context) -> AppContext:
    """The AppContext of this invocation (created on first use when a command runs standalone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext()
    return root.obj
