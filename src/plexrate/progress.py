"""Progress reporting as an injectable dependency.

Core code (adapter, applier, engine drivers) receives a ``Progress`` and never imports rich. The
CLI passes a rich-backed implementation, or ``NULL_PROGRESS`` under ``--quiet``, ``--json``, a
non-TTY or CI, so the core behaves the same either way.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol


class ProgressTask(Protocol):
    def advance(self, n: int = 1, *, label: str | None = None) -> None:
        """Count ``n`` more units done; ``label`` names the current artist, album or letter."""

    def status(self, text: str | None) -> None:
        """Show a transient state such as a cooldown pause; ``None`` clears it."""

    def close(self) -> None: ...

    def __enter__(self) -> ProgressTask: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: int | None = None) -> ProgressTask:
        """Start a unit of work with a known ``total`` (or ``None`` when it is unknown)."""


class _NullTask:
    def advance(self, n: int = 1, *, label: str | None = None) -> None:
        return None

    def status(self, text: str | None) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> _NullTask:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class NullProgress:
    def task(self, description: str, total: int | None = None) -> ProgressTask:
        return _NullTask()


NULL_PROGRESS: Progress = NullProgress()
