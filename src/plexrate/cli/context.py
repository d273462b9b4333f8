"""The one typed object every command receives through ``ctx.obj``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.text import Text

from plexrate.cli.logfile import RunLog, open_log
from plexrate.settings import LoadedSettings, Settings, default_log_file, load_settings


class _PeopleConsole(Console):
    """stderr's console: it also hands each line it prints to ``on_line`` (the log file keeps
    the warnings and errors among them)."""

    on_line: Callable[[str], None] | None = None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*objects, **kwargs)
        if self.on_line is not None and objects and isinstance(objects[0], str):
            self.on_line(_plain(objects[0], markup=kwargs.get("markup", self._markup)))


def _plain(text: str, *, markup: bool | None) -> str:
    if markup is False:
        return text
    try:
        return Text.from_markup(text).plain
    except MarkupError:
        return text


def _stderr_console() -> Console:
    return _PeopleConsole(stderr=True, highlight=False)


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
    loaded: LoadedSettings | None = None
    """The settings of this invocation with their sources, once ``load_settings`` ran."""
    log: RunLog | None = None
    """The log file, once the settings named it."""

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty() and sys.stderr.isatty() and not os.environ.get("CI")

    def load_settings(
        self, config: Path | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Load the settings once per invocation and print their warnings on stderr.

        ``overrides`` are the command's flags by setting name; None values are flags not given.
        Later calls return the first result, so every part of one command sees the same settings.
        """
        if self.loaded is None:
            self.loaded = load_settings(config_path=config, overrides=overrides)
            self.open_log(self.loaded.settings.log_file)
            loaded = self.loaded
            if loaded.found_by == "platform" and loaded.sources["state_path"] == "default":
                # The platform's data folder is plexrate's to make; a folder the person named
                # is not (a typo there must not create a stray folder).
                with contextlib.suppress(OSError):
                    self.loaded.settings.state_path.parent.mkdir(parents=True, exist_ok=True)
            for warning in self.loaded.warnings:
                self.err.print(f"Warning: {warning}", style="yellow", markup=False, soft_wrap=True)
        return self.loaded.settings

    def open_log(self, path: Path | None) -> None:
        """Keep this command's warnings and errors in the log file at ``path`` from now on."""
        if self.log is not None:
            return
        self.log, problem = open_log(path)
        if self.log is not None and isinstance(self.err, _PeopleConsole):
            self.err.on_line = self.log.line
        if problem is not None:
            self.err.print(
                f"Warning: {problem} (set LOG_FILE to another file, or to {os.devnull} for none)",
                style="yellow",
                markup=False,
                soft_wrap=True,
            )

    def ensure_log(self) -> None:
        """An error ends the command: it reaches the log even when the settings (which name
        the log file) could not be read, in the default log file then."""
        if self.log is None and self.loaded is None:
            self.open_log(default_log_file())

    def close_log(self) -> None:
        if isinstance(self.err, _PeopleConsole):
            self.err.on_line = None
        if self.log is not None:
            self.log.close()
            self.log = None


def get_app(ctx: typer.Context) -> AppContext:
    """The AppContext of this invocation (created on first use when a command runs standalone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext()
    return root.obj
