"""A child process on a pseudo-terminal, for tests of what a person sees at a terminal
(``PlexrateCli.terminal``)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

# A test runner started as a background job without job control inherits SIGINT ignored, and
# Python leaves an ignored SIGINT alone; a person's terminal delivers Ctrl-C. The child restores
# the default and execs the command (same process; the default survives exec).
_AS_AT_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class Terminal:
    """A child process on a pseudo-terminal; everything it prints is collected in ``output``."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        size: tuple[int, int] = (100, 40),
    ) -> None:
        master, slave = pty.openpty()
        columns, lines = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.size = size
        self._master = master
        self._buffer = bytearray()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _AS_AT_A_TERMINAL, *argv],
            env=env,
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            close_fds=True,
        )
        os.close(slave)

    @property
    def output(self) -> str:
        return self._buffer.decode("utf-8", errors="replace")

    def pump(self, seconds: float = 0.05) -> None:
        """Collect what the child wrote; a full pty buffer would otherwise block it."""
        ready, _, _ = select.select([self._master], [], [], seconds)
        if ready:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # the child closed its side
                return
            self._buffer.extend(data)

    def idle(self, seconds: float) -> None:
        """Let ``seconds`` pass, collecting output meanwhile."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(min(left, 0.05))

    def wait_for(self, condition: Callable[[], bool], *, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; output so far:\n{self.output[-3000:]}")
            self.pump()

    def wait_for_read(self, *, timeout: float = 20) -> None:
        """Until the child sleeps in the kernel: after a prompt is drawn, in its read of the answer.

        A signal landing between the prompt being drawn and that read is only acted on once the
        read returns: CPython's handler merely flags it, and the read then blocks. So a test that
        presses Ctrl-C at a prompt, as a person would after seeing it, waits for the read first.
        """
        stat = Path(f"/proc/{self.process.pid}/stat")
        if not stat.exists():  # no procfs: a pause far longer than the window
            self.idle(0.5)
            return
        deadline = time.monotonic() + timeout
        # The state letter follows the parenthesised command name, which may contain spaces.
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "S":
            if time.monotonic() > deadline:
                raise AssertionError(f"never read its input; output so far:\n{self.output[-3000:]}")
            self.pump(0.01)

    def send(self, text: str) -> None:
        os.write(self._master, text.encode())

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def finish(self, *, timeout: float = 60) -> int:
        """Wait for the exit code, collecting the rest of the output."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"did not finish; output so far:\n{self.output[-3000:]}")
            self.pump()
        for _ in range(100):  # drain what is left after the exit
            before = len(self._buffer)
            self.pump(0.01)
            if len(self._buffer) == before:
                break
        return self.process.returncode

    def kill(self) -> None:
        """End the child if it still runs, and release the terminal (always call it last)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._master >= 0:
            os.close(self._master)
            self._master = -1
