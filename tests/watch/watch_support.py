"""``plexrate watch`` as a real process against an emulator: start it, read its cycles, stop it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plexrate.emulator import Emulator
from tests.support.cli import PlexrateCli

SECRET = "watch-test-secret-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WatchProcess:
    """A running ``plexrate watch --json``: its cycle documents and stderr lines as they come."""

    process: subprocess.Popen[str]
    documents: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        for stream, sink in (
            (self.process.stdout, self._document),
            (self.process.stderr, self._error),
        ):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    def _pump(self, stream: Any, sink: Callable[[str], None]) -> None:
        for line in stream:
            with self.arrived:
                sink(line.rstrip("\n"))
                self.arrived.notify_all()

    def _document(self, line: str) -> None:
        self.documents.append(json.loads(line))

    def _error(self, line: str) -> None:
        self.errors.append(line)

    def wait_for(
        self, condition: Callable[[], bool], *, timeout: float = 30, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not condition()):
                    raise AssertionError(
                        f"{what} not met (exit {self.process.poll()}); stderr:\n"
                        + "\n".join(self.errors)
                    )
                self.arrived.wait(min(left, 0.1))

    def cycles(self, **where: Any) -> list[dict[str, Any]]:
        return [d for d in self.documents if all(d.get(k) == v for k, v in where.items())]

    def wait_cycles(self, count: int, *, timeout: float = 30, **where: Any) -> dict[str, Any]:
        self.wait_for(
            lambda: len(self.cycles(**where)) >= count, timeout=timeout, what=f"{count} {where}"
        )
        return self.cycles(**where)[count - 1]

    def stop(self, signum: int = signal.SIGTERM, *, timeout: float = 20) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


@dataclass
class Watched:
    cli: PlexrateCli

    @property
    def emulator(self) -> Emulator:
        return self.cli.emulator

    def start(self, *args: str, env: Mapping[str, str | None] | None = None) -> WatchProcess:
        process = self.cli.popen("watch", "--json", *args, env=env)
        return WatchProcess(process)
