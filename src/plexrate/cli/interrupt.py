"""Ctrl-C and SIGTERM during a write: stop between requests, never in the middle of one.

While a run writes, SIGINT and SIGTERM only raise a flag. The Applier calls ``checkpoint()``
between requests; there a person at a terminal is asked to Resume or Quit (the old tool's
behaviour), and anything else (no terminal, ``--yes``, SIGTERM, even while the prompt waits, a
second Ctrl-C at the prompt) quits. Quitting returns True, the Applier stops, the run is
recorded as interrupted and every confirmed write is kept, so running the same command again
carries on.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import FrameType

from rich.console import Console
from rich.prompt import Prompt

QUIT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM,) + (
    # Ctrl-Break in a Windows console: there it is the way to stop a program that treats
    # Ctrl-C as "pause", so it quits as SIGTERM does.
    (signal.SIGBREAK,) if hasattr(signal, "SIGBREAK") else ()
)


@contextmanager
def _on_quit_signals(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    previous = [(sig, signal.signal(sig, handler)) for sig in QUIT_SIGNALS]
    try:
        yield
    finally:
        for sig, old in reversed(previous):
            signal.signal(sig, old)


class StopRequest:
    def __init__(
        self,
        console: Console,
        *,
        interactive: bool,
        suspend: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> None:
        self._console = console
        self._interactive = interactive
        self._suspend = suspend or nullcontext
        self._event = threading.Event()
        self._quit = False
        self.stopped = False

    def request(self, *, quit_now: bool) -> None:
        self._quit = self._quit or quit_now
        self._event.set()

    def checkpoint(self) -> bool:
        """True when the run must stop now."""
        if not self._event.is_set():
            return False
        if self._quit or not self._interactive:
            self.stopped = True
            return True
        with self._suspend():
            answer = self._ask()
        if answer == "r":
            self._event.clear()
            self._console.print("Resuming.")
            return False
        self.stopped = True
        return True

    def _ask(self) -> str:
        # A second Ctrl-C at the prompt means quit, not a traceback; so does SIGTERM, which
        # would otherwise only raise the flag while the prompt went on waiting for an answer.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with _on_quit_signals(_raise_interrupt):
                return Prompt.ask(
                    "[bold]Paused.[/] [R]esume or [Q]uit?",
                    console=self._console,
                    choices=["r", "q"],
                    default="r",
                    case_sensitive=False,
                ).lower()
        except (KeyboardInterrupt, EOFError):
            return "q"
        finally:
            signal.signal(signal.SIGINT, previous)


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Outside the writes (connecting, reading, planning), SIGTERM stops the command as Ctrl-C
    does: the error boundary reports it and exits 130, and the state is closed properly.

    Without this a SIGTERM there (a service manager stopping a long first read) ended the
    process at once with no message and no exit status of plexrate's own.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    with _on_quit_signals(_raise_interrupt):
        yield


@contextmanager
def stop_on_signals(request: StopRequest) -> Iterator[StopRequest]:
    """Route SIGINT (pause) and SIGTERM or Ctrl-Break (quit) to ``request`` during a write."""
    if threading.current_thread() is not threading.main_thread():
        yield request  # signal handlers can only be installed from the main thread
        return

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        request.request(quit_now=False)

    def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        request.request(quit_now=True)

    old_int = signal.signal(signal.SIGINT, on_sigint)
    try:
        with _on_quit_signals(on_sigterm):
            yield request
    finally:
        signal.signal(signal.SIGINT, old_int)
