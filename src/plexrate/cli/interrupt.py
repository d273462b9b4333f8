"""Ctrl-C and SIGTERM: Resume or Quit anywhere, stopping a write only between requests.

A person at a terminal who presses Ctrl-C is asked Resume or Quit (the old tool's behaviour)
whatever the command is doing, within half a second:

- while it connects, reads the library or plans (``ctrl_c_asks``), the question comes at once;
  Quit ends the command there (exit 130, nothing written);
- while it writes (``stop_on_signals``), SIGINT raises a flag and the Applier asks at its
  ``checkpoint()`` between requests, so a request in flight always finishes and is recorded;
  during a pause (pacing, a retry's wait) no request is in flight, so the question comes at
  once and Quit cuts the pause short.

Anything else (no terminal, ``--yes``, SIGTERM, even while the prompt waits, a second Ctrl-C at
the prompt) quits. A stopped write run is recorded as interrupted with every confirmed write
kept, so running the same command again carries on.
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
        self._wake = threading.Event()
        """Set when the person quits: a pause in progress ends at once."""
        self._quit = False
        self._sleeping = False
        self.writing = False
        """Inside ``stop_on_signals``: quitting waits for the request in flight."""
        self.stopped = False

    def request(self, *, quit_now: bool) -> None:
        self._quit = self._quit or quit_now
        if self._quit:
            self._wake.set()
        self._event.set()

    def on_ctrl_c(self) -> None:
        """SIGINT, run by Python's signal handler in the main thread, wherever it was."""
        if not self._interactive:
            if self.writing:
                self.request(quit_now=True)
                return
            raise KeyboardInterrupt
        if self.writing and not self._sleeping:
            # A request may be in flight: ask at the checkpoint, right after it.
            self.request(quit_now=False)
            return
        # Connecting, reading, planning, or pausing between writes: nothing is half-done.
        with self._suspend():
            answer = self._ask()
        if answer == "r":
            self._console.print("Resuming.")
            return
        if self.writing:
            self.request(quit_now=True)
            return
        raise KeyboardInterrupt

    def pause(self, seconds: float) -> None:
        """The Applier's pause between writes: Ctrl-C asks at once, Quit ends it early."""
        self._sleep(seconds)

    def retry_wait(self, seconds: float) -> None:
        """The wait before a retry: Ctrl-C asks at once; Quit stops the command here, where no
        request is in flight (a write sent before stays unconfirmed for the next run to settle).
        """
        self._sleep(seconds)
        if self._quit:
            self.stopped = True
            raise KeyboardInterrupt

    def _sleep(self, seconds: float) -> None:
        self._sleeping = True
        try:
            self._wake.wait(seconds)
        finally:
            self._sleeping = False

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
def ctrl_c_asks(request: StopRequest) -> Iterator[StopRequest]:
    """Outside the writes (connecting, reading, planning): Ctrl-C asks Resume or Quit at once;
    Quit raises KeyboardInterrupt, which the error boundary turns into exit 130."""
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        request.on_ctrl_c()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def stop_on_signals(request: StopRequest) -> Iterator[StopRequest]:
    """Route SIGINT (pause) and SIGTERM or Ctrl-Break (quit) to ``request`` during a write."""
    if threading.current_thread() is not threading.main_thread():
        yield request  # signal handlers can only be installed from the main thread
        return

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        request.on_ctrl_c()

    def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        request.request(quit_now=True)

    old_int = signal.signal(signal.SIGINT, on_sigint)
    request.writing = True
    try:
        with _on_quit_signals(on_sigterm):
            yield request
    finally:
        request.writing = False
        signal.signal(signal.SIGINT, old_int)
