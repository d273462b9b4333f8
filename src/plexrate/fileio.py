"""Files plexrate writes for people (CSV exports, reports, configs, state exports): atomically.

A reader, or a crash, sees the old file or the complete new one, never half of one: the content
goes to a temporary file beside the target (created 0600, so a config's token is never readable
by others even briefly), is flushed to disk, gets its final mode (the umask's default unless
given), and replaces the target in one rename.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from plexrate.errors import InputFileError, UsageError

MiB = 1024 * 1024
MAX_INPUT_BYTES = 256 * MiB
"""Largest file plexrate reads for a person (bulk CSV, the old tool's state file): far above a
300,000-track export, small enough that a wrong path (``/dev/zero``, a disk image) fails at once
instead of filling memory."""


@contextmanager
def _replacing(path: Path, *, mode: int | None) -> Iterator[tuple[int, Path]]:
    """A temporary file beside ``path`` (fd and name) that replaces ``path`` on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        yield fd, temporary
        temporary.chmod(_default_mode() if mode is None else mode)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


@contextmanager
def atomic_writer(
    path: Path, *, mode: int | None = None, newline: str | None = None, encoding: str = "utf-8"
) -> Iterator[IO[str]]:
    """Stream text into ``path``; on any exception the target is left as it was."""
    with (
        _replacing(path, mode=mode) as (fd, _),
        os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle,
    ):
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with _replacing(path, mode=mode) as (fd, _), os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _default_mode() -> int:
    # What open() would have given a new file: 0666 minus the process umask.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable, where the filesystem allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # Some filesystems refuse fsync on a directory; the rename itself has still happened.
        pass
    finally:
        os.close(fd)


def expand_user(path: Path) -> Path:
    """``~`` and ``~user`` expanded; an unknown user is a usage error, not a crash."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise UsageError(
            f"cannot expand {str(path).split('/', 1)[0]!r} in {str(path)!r}: no such user",
            hint="write the folder out in full",
        ) from None


def read_bounded(path: Path, *, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path``, read at most ``limit`` + 1 bytes far: a larger file (or an endless
    one, such as ``/dev/zero``) is an ``InputFileError`` naming the limit. ``OSError`` passes
    through for the caller to word (missing file, a folder, no permission)."""
    with path.open("rb") as handle:
        # A regular file says its size; a device or a pipe is read up to the limit.
        known = os.fstat(handle.fileno()).st_size if path.is_file() else 0
        data = b"" if known > limit else handle.read(limit + 1)
    if known > limit or len(data) > limit:
        raise InputFileError(
            f"{what} {path} is larger than {limit // MiB:,} MiB, the most plexrate reads",
            hint="check the path; split a larger file into parts",
        )
    return data


def refuse_overwrite(
    path: Path,
    *,
    force: bool,
    consequence: str = "",
    hint: str = "pass --force to replace it",
) -> None:
    """The one check before plexrate replaces a file the person has: refused unless ``force``
    (``--force``, or a yes at the prompt), as a usage error (exit 2). ``consequence`` follows the
    message (``"; nothing was exported"``)."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists{consequence}", hint=hint)
