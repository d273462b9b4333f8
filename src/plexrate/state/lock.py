"""One writer per (state file, library): an operating-system lock on a sidecar file.

The lock is ``filelock``'s descriptor lock: ``flock`` on the whole file on POSIX, ``LockFileEx`` on
byte 0 on Windows. Both belong to the open file, so the system drops them when the holder exits
in any way, SIGKILL or a killed task included: a stale lock cannot outlive its process and needs
no cleaning up. The sidecar names its holder (pid, command, since when) so the refused process can
say who is in the way; the record starts at byte 1 because a Windows lock makes byte 0 unreadable
to everyone else. The file is never deleted, because unlinking a lock file races with a process
that has just opened it.

Where Python has no ``fcntl`` module on a POSIX system, the lock falls back to ``os.lockf`` (a
POSIX record lock, also released by the kernel when its holder dies) plus an in-process registry,
because record locks do not conflict between two descriptors of one process. Nothing here may
import ``fcntl`` or ``msvcrt`` itself: plexrate must import and run on every platform.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import socket
import threading
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

# Kept importable from here (the store and its tests ask the lock who runs).
from plexrate.commandline import current_command as current_command  # noqa: PLC0414
from plexrate.errors import StateError, StateLocked
from plexrate.redact import redact

_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_RECORD_AT = 1
"""Where the holder record starts: after the byte a Windows lock covers."""
# No lock primitive at all (ENOSYS), or a filesystem that refuses locks (NFS without lockd, some
# SMB mounts, FUSE): not contention, and not something a retry fixes.
_NO_LOCKS = frozenset(
    code
    for code in (
        errno.ENOSYS,
        errno.ENOLCK,
        errno.EOPNOTSUPP,
        getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
        errno.EINVAL,
    )
)
_CONTENTION = frozenset({errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK})


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
        with _fallback_guard if _fallback.active else contextlib.nullcontext():
            self._acquire()
        self._since = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
        self.update(command=command)
        if self._file is not None and _fallback.active:
            _fallback.note(self._file, self._record(command))

    def _acquire(self) -> None:
        if _fallback.active:
            # Opening and closing the file would drop this process's own record lock, so a
            # second writer in this process is refused before it opens anything.
            mine = _fallback.holder(self.path)
            if mine is not None:
                raise self._locked(mine)
        # O_BINARY matters on Windows only: without it the C runtime translates line ends.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, 0o644)
        handle = os.fdopen(fd, "r+b", buffering=0)
        try:
            locked = _lock(handle)
        except OSError as exc:
            handle.close()
            unsupported = exc.errno in _NO_LOCKS
            raise StateError(
                f"cannot lock the state of library {self._label} in {self.path.parent}: "
                f"{exc.strerror or exc}",
                hint="the filesystem there does not support file locks; keep the state on a "
                "local disk (STATE_PATH)"
                if unsupported
                else "check the folder's permissions and free space",
            ) from None
        except BaseException:
            handle.close()
            raise
        if not locked:
            holder = _read_holder(handle.fileno())
            handle.close()
            raise self._locked(holder)
        self._file = handle

    def _locked(self, holder: LockHolder | None) -> StateLocked:
        who = holder.describe() if holder else "another process"
        return StateLocked(
            f"the state of library {self._label} is in use by another plexrate process ({who})",
            hint="wait for it to finish or stop it; a killed process releases it at once",
        )

    def _record(self, command: str) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "command": redact(command),
            "since": self._since,
            "host": socket.gethostname(),
        }

    def update(self, *, command: str) -> None:
        """Rewrite the holder record, e.g. once the run's command is known."""
        if self._file is None:
            return
        record = self._record(command)
        fd = self._file.fileno()
        # Byte 0 is a newline so the file stays readable text; the holder alone writes it.
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, b"\n" + json.dumps(record).encode("utf-8"))

    def release(self) -> None:
        if self._file is None:
            return
        handle, self._file = self._file, None
        with contextlib.suppress(OSError):
            _unlock(handle)
        handle.close()


# -- the lock primitive ------------------------------------------------------------------------


@functools.cache
def _descriptor_locks() -> tuple[Callable[..., bool], Callable[[int], None]]:
    with warnings.catch_warnings():
        # Without fcntl, filelock warns at import that its FileLock class is a soft lock there;
        # plexrate uses only the descriptor functions, which say so by raising ENOSYS instead.
        warnings.simplefilter("ignore", UserWarning)
        from filelock import lock_descriptor, unlock_descriptor  # noqa: PLC0415
    return lock_descriptor, unlock_descriptor


def _lock(handle: BinaryIO) -> bool:
    """True when the lock was taken; False when another holder has it; OSError when the
    system or the filesystem offers no lock."""
    if not _fallback.active:
        lock_descriptor, _ = _descriptor_locks()
        try:
            return lock_descriptor(handle.fileno(), blocking=False)
        except OSError as exc:
            if exc.errno in _CONTENTION:
                return False
            if exc.errno != errno.ENOSYS or not hasattr(os, "lockf"):
                raise
            _fallback.active = True
    return _fallback.lock(handle)


def _unlock(handle: BinaryIO) -> None:
    if not _fallback.release(handle):
        _, unlock_descriptor = _descriptor_locks()
        unlock_descriptor(handle.fileno())


class _RecordLocks:
    """``os.lockf`` where ``flock`` is missing, with the in-process bookkeeping it needs.

    Record locks belong to the process, not to the open file: a second descriptor of this
    process would be granted the lock again, and closing *any* descriptor of the file drops it.
    So this process's holders are kept by (device, inode), and a second writer here is refused
    from that registry without opening the file.
    """

    def __init__(self) -> None:
        self.active = False
        self._held: dict[tuple[int, int], LockHolder] = {}
        self._handles: dict[int, tuple[int, int]] = {}
        self._finalizers: dict[int, weakref.finalize[[int], BinaryIO]] = {}

    def holder(self, path: Path) -> LockHolder | None:
        try:
            status = path.stat()
        except OSError:
            return None
        return self._held.get((status.st_dev, status.st_ino))

    def lock(self, handle: BinaryIO) -> bool:
        try:
            os.lockf(handle.fileno(), os.F_TLOCK, 0)
        except OSError as exc:
            if exc.errno in _CONTENTION:
                return False
            raise
        status = os.fstat(handle.fileno())
        identity = (status.st_dev, status.st_ino)
        self._held[identity] = LockHolder(pid=os.getpid(), command="", since="", host="")
        self._handles[id(handle)] = identity
        # A holder dropped without release() still frees its entry when its file is collected.
        self._finalizers[id(handle)] = weakref.finalize(handle, self._forget, id(handle))
        return True

    def note(self, handle: BinaryIO, record: dict[str, object]) -> None:
        identity = self._handles.get(id(handle))
        if identity is not None:
            self._held[identity] = _holder_from(record) or self._held[identity]

    def release(self, handle: BinaryIO) -> bool:
        if id(handle) not in self._handles:
            return False
        finalizer = self._finalizers.get(id(handle))
        if finalizer is not None:
            finalizer.detach()
        self._forget(id(handle))
        os.lockf(handle.fileno(), os.F_ULOCK, 0)
        return True

    def _forget(self, key: int) -> None:
        self._finalizers.pop(key, None)
        identity = self._handles.pop(key, None)
        if identity is not None:
            self._held.pop(identity, None)


_fallback = _RecordLocks()
_fallback_guard = threading.Lock()


def _read_holder(fd: int) -> LockHolder | None:
    try:
        data = _read_record(fd)
        record = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        # The holder may be between taking the lock and writing its record.
        return None
    return _holder_from(record)


def _holder_from(record: object) -> LockHolder | None:
    if not isinstance(record, dict):
        return None
    pid = record.get("pid")
    return LockHolder(
        pid=pid if isinstance(pid, int) else None,
        command=str(record.get("command", "")),
        since=str(record.get("since", "")),
        host=str(record.get("host", "")),
    )


def _read_record(fd: int) -> bytes:
    os.lseek(fd, _RECORD_AT, os.SEEK_SET)
    data = os.read(fd, 4096)
    if data.startswith(b'"pid"'):
        # Written by an older plexrate, from byte 0 (POSIX only, where byte 0 is readable).
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 4096)
    return data
