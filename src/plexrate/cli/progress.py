"""The rich progress display, and the rule for when to show one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBar
from rich.text import Text

from plexrate.progress import NULL_PROGRESS, Progress, ProgressTask


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class _Task:
    def __init__(self, bar: RichBar, task_id: TaskID) -> None:
        self._bar = bar
        self._id = task_id
        self._label = ""

    def advance(self, n: int = 1, *, label: str | None = None) -> None:
        if label is not None:
            self._label = label
        self._bar.update(self._id, advance=n, label=self._label)

    def status(self, text: str | None) -> None:
        self._bar.update(self._id, label=text if text is not None else self._label)

    def close(self) -> None:
        task = self._bar.tasks[self._id] if self._id < len(self._bar.tasks) else None
        if task is not None and task.total is None:
            self._bar.update(self._id, total=task.completed)
        self._bar.update(self._id, label="")
        self._bar.stop_task(self._id)

    def __enter__(self) -> _Task:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_LIVE: list[RichProgress] = []
"""The live display on screen, if any (rich allows one at a time)."""


def finish_live() -> None:
    """End the live display, leaving its last frame on screen, before other output is printed.

    Anything printed while the bars are live either lands among them or is drawn over when they
    refresh (issue 19: a plan's bottom rows vanished, bars came back after the summary). So the
    bars stop for good before a plan, a table or a summary; only notes printed on the same
    console as the bars (warnings, the Ctrl-C question) appear above them while they run.
    """
    while _LIVE:
        _LIVE.pop().stop()


class RichProgress:
    """One live display on stderr holding a bar per task: count, rate, ETA and current item."""

    def __init__(self, console: Console, *, transient: bool = False) -> None:
        self._bar = RichBar(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            _RateColumn(),
            TimeRemainingColumn(compact=True),
            TextColumn("[dim]{task.fields[label]}", markup=True),
            console=console,
            # A finished run keeps its bars on screen as a record of what happened; a watch
            # cycle's go, leaving its one summary line.
            transient=transient,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        task_id = self._bar.add_task(description, total=total, label="")
        return _Task(self._bar, task_id)

    def start(self) -> None:
        self._bar.start()
        _LIVE.append(self)

    def stop(self) -> None:
        if self in _LIVE:
            _LIVE.remove(self)
        self._bar.stop()

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Hide the live display while a prompt is on screen."""
        live = self in _LIVE
        self._bar.stop()
        try:
            yield
        finally:
            if live:
                self._bar.start()


def wants_progress(console: Console, *, quiet: bool, json_output: bool) -> bool:
    """Bars only for a person watching a terminal: not under --quiet, --json, a pipe or CI."""
    if quiet or json_output or os.environ.get("CI") or os.environ.get("PLEXRATE_NO_PROGRESS"):
        return False
    return console.is_terminal


@contextmanager
def progress_for(
    console: Console, *, quiet: bool, json_output: bool, transient: bool = False
) -> Iterator[Progress]:
    if not wants_progress(console, quiet=quiet, json_output=json_output):
        yield NULL_PROGRESS
        return
    progress = RichProgress(console, transient=transient)
    progress.start()
    try:
        yield progress
    finally:
        progress.stop()
