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
        if kwargs.get("soft_wrap") and self.is_terminal:
            # soft_wrap keeps a message one line in a pipe or a log; on a terminal that line
            # would break wherever the width ends, mid-word, so rich wraps it at words instead.
            kwargs["soft_wrap"] = False
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


def warn_on(console: Console, message: str, *, soft_wrap: bool | None = None) -> None:
    """The one way a warning reads: ``Warning: …`` in yellow, the message as given (no markup).
    The log file keeps every such line (``logfile``). ``AppContext.warn`` is the usual door."""
    console.print(f"Warning: {message}", style="yellow", markup=False, soft_wrap=soft_wrap)


def _stderr_console() -> Console:
    return _PeopleConsole(stderr=True, highlight=False)


JSON_SCHEMA_VERSION = 1
"""``schema_version`` of every ``--json`` document plexrate prints (errors included); it
changes when a key is renamed or removed, not when one is added."""


def stamped(text: str) -> str:
    """A JSON object's text with ``schema_version`` first, unless it has one already (reports
    carry their own). Done on the text: a 300,000-change plan is not parsed again."""
    body = text.lstrip()
    if not body.startswith("{") or '"schema_version"' in body[:200]:
        return text
    rest = body[1:].lstrip()
    joiner = "" if rest.startswith("}") else ", "
    return f'{{"schema_version": {JSON_SCHEMA_VERSION}{joiner}{rest}'


class _DataConsole(Console):
    """stdout: plans, tables, reports. Printing one ends the live progress display first, so
    the bars on stderr never draw over it when both are the same terminal."""

    documents = 0
    """JSON documents printed so far: an error after one does not print a second."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        from plexrate.cli.progress import finish_live

        finish_live()
        super().print(*objects, **kwargs)

    def print_json(self, json: str | None = None, **kwargs: Any) -> None:
        self.documents += 1
        super().print_json(stamped(json) if json is not None else None, **kwargs)


def _stdout_console() -> Console:
    # Data on stdout must not be wrapped or decorated when piped.
    return _DataConsole(highlight=False, soft_wrap=not sys.stdout.isatty())


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
                self.warn(warning, soft_wrap=True)
        return self.loaded.settings

    def open_log(self, path: Path | None) -> None:
        """Keep this command's warnings and errors in the log file at ``path`` from now on."""
        if self.log is not None:
            return
        self.log, problem = open_log(path)
        if self.log is not None and isinstance(self.err, _PeopleConsole):
            self.err.on_line = self.log.line
        if problem is not None:
            self.warn(
                f"{problem} (set LOG_FILE to another file, or to {os.devnull} for none)",
                soft_wrap=True,
            )

    def warn(self, message: str, *, soft_wrap: bool | None = None) -> None:
        """Warn the person on stderr (``warn_on``): plain text, never markup."""
        warn_on(self.err, message, soft_wrap=soft_wrap)

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
