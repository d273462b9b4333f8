"""One writer per (state file, library): an advisory ``flock`` on a sidecar file.

``flock`` belongs to the open file, so the kernel drops it when the holder exits in any way,
SIGKILL included: a stale lock cannot outlive its process and needs no cleaning up. The sidecar
names its holder (pid, command, since when) so the refused process can say who is in the way. It
is never deleted, because unlinking a lock file races with a process that has just opened it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from plexrate.errors import StateLocked
from plexrate.redact import redact

_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True, slots=True)
class LockHolder:
    pid: int | None
    command: str
    since: str
    host: str

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "an unknown process"
        parts = [who]
        if self.command:
            parts.append(f"'{self.command}'")
        if self.since:
            parts.append(f"since {self.since}")
        if self.host and self.host != socket.gethostname():
            parts.append(f"on {self.host}")
        return " ".join(parts)


def lock_path(state_path: Path, library_uuid: str) -> Path:
    slug = library_uuid if _SAFE.fullmatch(library_uuid) else _digest(library_uuid)
    return state_path.with_name(f"{state_path.name}.{slug}.lock")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def current_command() -> str:
    """The program and its subcommand words, without any option or option value.

    Options are left out on purpose: a token passed on the command line must never reach the
    lock file (invariant 8).
    """
    words = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"]
    for word in sys.argv[1:]:
        if word.startswith("-"):
            break
        words.append(word)
    return redact(" ".join(words))


class LibraryLock:
    def __init__(self, state_path: Path, library_uuid: str, *, label: str) -> None:
        self.path = lock_path(state_path, library_uuid)
        self._label = label
        # A file object rather than a bare descriptor: if the owner is dropped without close(),
        # collecting it closes the file and so releases the lock.
        self._file: BinaryIO | None = None
        self._since = ""

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self, *, command: str) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        handle = os.fdopen(fd, "r+b", buffering=0)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(handle.fileno())
            handle.close()
            who = holder.describe() if holder else "another process"
            raise StateLocked(
                f"the state of library {self._label} is in use by another plexrate process ({who})",
                hint="wait for it to finish or stop it; a killed process releases it at once",
            ) from None
        except BaseException:
            handle.close()
            raise
        self._file = handle
        self._since = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
        self.update(command=command)

    def update(self, *, command: str) -> None:
        """Rewrite the holder record, e.g. once the run's command is known."""
        if self._file is None:
            return
        record = {
            "pid": os.getpid(),
            "command": redact(command),
            "since": self._since,
            "host": socket.gethostname(),
        }
        fd = self._file.fileno()
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)

    def release(self) -> None:
        if self._file is None:
            return
        handle, self._file = self._file, None
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _read_holder(fd: int) -> LockHolder | None:
    try:
        data = os.pread(fd, 4096, 0)
        record = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        # The holder may be between taking the lock and writing its record.
        return None
    if not isinstance(record, dict):
        return None
    pid = record.get("pid")
    return LockHolder(
        pid=pid if isinstance(pid, int) else None,
        command=str(record.get("command", "")),
        since=str(record.get("since", "")),
        host=str(record.get("host", "")),
    )
