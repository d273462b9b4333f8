"""The StateStore: which ratings plexrate owns, and a write-ahead journal of every write it makes.

Ownership is the only thing that tells an inferred rating from the person's own (DESIGN.md,
invariant 1), so it must survive any crash (invariant 6). The protocol, described in
``docs/state.md``:

1. ``record_intents`` commits the planned changes of a batch as *pending* entries;
2. the Applier sends the requests;
3. ``confirm`` (or ``fail``) resolves the entries and applies their ownership effect in the same
   transaction.

A process killed anywhere leaves, at worst, pending entries; the next start reads those items
back from Plex and settles them with ``resolve_pending``. Several libraries share one file, each
keyed by its Plex UUID; one writer per library at a time, enforced by ``LibraryLock``.

This module is the SQL and the file's lifecycle. What the rows mean is decided by pure modules
beside it: ``ownership`` (what confirmed entries do to ownership), ``undo_fold`` (what undo
needs per item), ``reconcile`` (what became of a pending entry) and ``legacy`` (what an import
of the old tool's file takes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from errno import EACCES, EDQUOT, ENOENT, ENOSPC, EPERM, EROFS
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from plexrate import __version__
from plexrate.errors import Interrupted, StateError
from plexrate.fileio import write_atomic
from plexrate.model import (
    RATING_MAX,
    RATING_MIN,
    Change,
    ItemType,
    ObservedItem,
    OwnedItem,
    normalise_rating,
)
from plexrate.redact import redact
from plexrate.state import netfs, schema
from plexrate.state.encoding import ITEM_TYPES, tags_from_json, tags_to_json
from plexrate.state.legacy import LegacyMigration, LegacyState, claims_to_record
from plexrate.state.lock import LibraryLock, current_command
from plexrate.state.ownership import OWNED_COLUMNS, OwnedRow, ownership_after
from plexrate.state.reconcile import NOTES, settled_status, sort_out
from plexrate.state.records import (
    CompactReport,
    EntryStatus,
    ImportReport,
    JournalEntry,
    LibraryInfo,
    OriginalValue,
    ReconcileReport,
    Resolution,
    RunInfo,
    RunStatus,
)
from plexrate.state.undo_fold import COMPACT_COLUMNS, FOLD_COLUMNS, UndoRecord, fold

_CHUNK = 900  # stays below SQLite's smallest bound-parameter limit (999 before 3.32)

_ENTRY_COLUMNS = (
    "id, run_id, key, item_type, title, guid, phase, reason, set_rating, before, after, "
    "add_tags, remove_tags, own, twin, year, status, recorded_at, resolved_at, readback, note"
)

META_LEGACY_IMPORT = "legacy_import"
# Measured: a first run of 38,280 changes left an 18.5 MB file (483 bytes a change with ownership
# and indexes, benchmarks/state_years.py); the margin covers the write-ahead log until its
# checkpoint (about 4 MB) and the journal's next pages.
_BYTES_PER_CHANGE = 640
_SPACE_MARGIN = 16 * 1024 * 1024
META_WRITER_OPEN = "writer_open"
"""Present while a writer has the library open: found by the next writer, it means a crash."""
META_CHECKED = "deep_check"
"""The versions (plexrate, SQLite, schema) of the last full integrity check."""

CHECK_REUSE_SECONDS = 600.0
"""How long this process trusts its own write-path check of a file it closed and finds untouched
(``_check_integrity``)."""

_FileSignature = tuple[tuple[int, ...], tuple[int, ...] | None]
_closed_unharmed: dict[Path, tuple[_FileSignature, float]] = {}
"""Per state file (resolved path): how it looked when a writer of this process closed it, and when
(``time.monotonic``) the check that writer's trust rested on ran."""

log = logging.getLogger(__name__)


class StateStore:
    """Ownership, runs and the journal of one library inside a (possibly shared) state file.

    A writer (the default) creates the file if it does not exist, takes the library's lock, and
    marks runs left ``running`` by a dead process as ``interrupted``. ``readonly=True`` takes no
    lock and never writes; on a missing file it shows an empty state (``exists`` is False).

    ``command`` is what a refused second writer is told this process is doing (default: the
    program and subcommand from ``sys.argv``, options left out). ``clock`` supplies timestamps
    (tests pass a fake one); ``busy_timeout`` is how long to wait for another library's writer
    to finish a transaction in a shared file.
    """

    def __init__(
        self,
        path: Path,
        *,
        library_uuid: str,
        library_title: str = "",
        server_id: str = "",
        readonly: bool = False,
        command: str | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
        journal_mode: str = "auto",
    ) -> None:
        if not library_uuid.strip():
            raise ValueError("library_uuid must not be empty")
        self.path = Path(path)
        self._uuid = library_uuid
        self._title = library_title
        self._server_id = server_id
        self.readonly = readonly
        self._clock = clock
        self._command = command if command is not None else current_command()
        self._mutex = threading.RLock()
        self._open_runs: set[int] = set()
        self._library_id: int | None = None
        self._lock: LibraryLock | None = None
        self._closed = False
        self.created = False
        """True when this store created the state file."""
        self.exists = True
        """False for a read-only store opened on a path where no state file exists yet."""
        self.migration_backup: Path | None = None
        self._identity: tuple[int, int] | None = None
        self._signature: _FileSignature | None = None
        self._checked_at: float | None = None
        """When (``time.monotonic``) the check this store's trust rests on ran and passed: its
        own, or the one it found still standing (``_unharmed_since_checked``)."""
        if journal_mode not in ("auto", "wal", "delete"):
            raise ValueError(f"journal_mode must be auto, wal or delete, not {journal_mode!r}")
        self._journal_request = journal_mode
        self.journal_mode = ""
        """The journal mode a writer put the file in: ``wal`` or ``delete``."""
        self.network_fs: str | None = None
        """The network filesystem the state file is on, when a writer detected one."""
        self.notes: list[str] = []
        """What the person should hear about how the file is used (a network filesystem)."""
        self._marked = False
        self._version = schema.SCHEMA_VERSION
        """The file's schema: a reader may use a file a writer has not upgraded yet."""
        self._found_marker = False
        self.deep_checked: str | None = None
        """Why a writer ran the full integrity check on opening (None: the write-path check)."""
        self.check_seconds = 0.0
        """How long the integrity check took (on opening, or before the first write)."""
        self._check_due = False
        """The write-path check is still to run before this writer's first write."""
        self._journal_wanted = True
        timeout_ms = int(busy_timeout * 1000)
        label = f"'{library_title}' ({library_uuid})" if library_title else library_uuid
        try:
            if readonly:
                self._conn = self._open_readonly(timeout_ms)
            else:
                self._conn = self._open_writer(timeout_ms, label)
            self._library_id = self._find_library()
            if not readonly:
                self._adopt_library()
        except BaseException:
            # A file refused after its check passed is not one to trust later.
            self._checked_at = None
            self._teardown()
            raise

    # -- opening -------------------------------------------------------------------------------

    def _open_readonly(self, timeout_ms: int) -> sqlite3.Connection:
        if not self.path.exists():
            self.exists = False
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            schema.create_schema(conn)
            conn.execute("PRAGMA query_only = ON")
            return conn
        schema.check_file(self.path)
        try:
            conn = schema.connect(self.path, readonly=True, busy_timeout_ms=timeout_ms)
        except sqlite3.Error as exc:
            raise self._unopenable(exc) from None
        try:
            version = schema.check_identity(conn, self.path)
            self._version = version
            if version < schema.SCHEMA_VERSION and not schema.readable_as_is(version):
                raise StateError(
                    f"state file {self.path} uses an older schema ({version})",
                    hint="run any writing plexrate command once to upgrade it",
                )
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_writer(self, timeout_ms: int, label: str) -> sqlite3.Connection:
        if not self.path.parent.is_dir():
            raise StateError(
                f"the folder of state file {self.path} does not exist",
                hint="create the folder, or point STATE_PATH somewhere else",
            )
        wal = self._choose_journal()
        self._journal_wanted = wal
        # Lock beside the real file, so two paths to one file (a symlink) share one lock.
        self._lock = LibraryLock(self.path.resolve(), self._uuid, label=label)
        try:
            self._lock.acquire(command=self._command)
        except OSError as exc:
            self._lock = None
            raise self._storage_problem(exc) or StateError(
                f"cannot lock state file {self.path}: {exc.strerror or exc}",
                hint="check the permissions of the file and of its folder",
            ) from None
        if not self.path.exists():
            try:
                self.created = schema.create_database(
                    self.path, busy_timeout_ms=timeout_ms, wal=wal
                )
            except sqlite3.Error as exc:
                raise self._storage_problem(exc) or StateError(
                    f"cannot create state file {self.path}: {exc}"
                ) from None
            except OSError as exc:
                raise self._storage_problem(exc) or StateError(
                    f"cannot create state file {self.path}: {exc.strerror or exc}"
                ) from None
        self._identity = _file_identity(self.path)
        with contextlib.suppress(OSError, RuntimeError):
            # The write-ahead log lies beside the real file, not beside a link to it.
            self._signature = _file_signature(self.path.resolve())
        suspect = schema.check_file(self.path)
        try:
            conn = schema.connect(
                self.path, readonly=False, busy_timeout_ms=timeout_ms, journal=False
            )
        except sqlite3.Error as exc:
            raise self._unopenable(exc) from None
        try:
            # Nothing is written to the file before it is known to be a sound plexrate state: a
            # damaged one is kept as it is for recovery, and no run may send Plex writes whose
            # record it could not keep (a damaged page met halfway would lose their ownership).
            version = schema.check_identity(conn, self.path)
            if version < schema.SCHEMA_VERSION:
                suspect = f"schema {version} is about to be upgraded"
            self._check_integrity(conn, suspect=None if self.created else suspect)
            self.journal_mode = schema.set_journal(conn, wal=wal)
            if self.journal_mode != ("wal" if wal else "delete"):
                # SQLite keeps WAL while another connection (another library's writer, a
                # reader) has the file open.
                self.notes.append(
                    f"state file {self.path} stays in {self.journal_mode} mode while another "
                    "plexrate process uses it"
                )
            self.migration_backup = schema.migrate(conn, self.path, version=version)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._damaged(exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _choose_journal(self) -> bool:
        """True for WAL: the default, unless the file is on a network filesystem (``netfs``)."""
        self.network_fs = netfs.network_filesystem(self.path.parent)
        where = f"state file {self.path} is on a network filesystem ({self.network_fs})"
        if self._journal_request == "delete":
            return False
        if self._journal_request == "wal":
            if self.network_fs is not None:
                self.notes.append(
                    f"{where}, and STATE_JOURNAL_MODE is wal: SQLite's WAL needs all its users "
                    "on one computer and may fail or damage the file there; set it to auto or "
                    "delete"
                )
            return True
        if self.network_fs is not None:
            self.notes.append(
                f"{where}: using SQLite's rollback journal, since WAL does not work there "
                "(STATE_JOURNAL_MODE=delete; keep one computer running plexrate at a time)"
            )
            return False
        return True

    def _check_integrity(self, conn: sqlite3.Connection, *, suspect: str | None) -> None:
        """The deep check when something suggests damage; otherwise the write-path check, now
        when opening will switch the journal mode, else before the first write (``_write``).

        Suspicious: the file's size or header (``suspect``), a writer of this library that never
        closed the file (a crash, a kill, a power cut), or a plexrate, SQLite or schema version
        that has not checked this file fully yet.
        """
        reason = suspect
        if reason is None and not self.created:
            reason = self._suspicion(conn)
        started = time.perf_counter()
        if reason is not None:
            log.info("checking all of state file %s: %s", self.path, reason)
            problem = schema.deep_check(conn)
            self.deep_checked = reason
        elif (checked := self._unharmed_since_checked()) is not None:
            # A long-running `plexrate watch` opens the file for every cycle: a file this process
            # checked and closed a moment ago, untouched since, holds what the check passed (about
            # 1 s a cycle at 300,000 tracks, issue 23). The trust ends CHECK_REUSE_SECONDS after
            # that check, however often the file is opened meanwhile.
            log.debug("state file %s is as this process left it after its check", self.path)
            problem = None
            self._checked_at = checked
        elif self._journal_change(conn):
            problem = self._write_path_problem(conn)
        else:
            # Due before this store's first write (``_write``), not now: a command that writes
            # nothing (a rerun with nothing to do) leaves the file's bytes as they were and
            # depends on nothing the check protects, and at 300,000 tracks the check costs
            # about 2.5 s of the 10 s such a rerun may take (issue 23).
            self._check_due = True
            problem = None
        self.check_seconds = time.perf_counter() - started
        if problem is not None:
            raise self._damaged(problem)

    def check_before_writing(self) -> None:
        """Run the write-path check now if it is still due: for a command about to write to Plex
        before it writes anything to the file (``doctor`` clearing an interrupted probe). A
        damaged file raises ``StateError``, as a first write would."""
        if self.readonly:
            return
        with self._guard():
            self._check_if_due(self._conn)

    def _check_if_due(self, conn: sqlite3.Connection) -> None:
        """The write-path check deferred on opening, if it has not run yet (caller holds the
        guard); a damaged file raises ``StateError``."""
        if not self._check_due:
            return
        started = time.perf_counter()
        problem = self._write_path_problem(conn)
        self.check_seconds += time.perf_counter() - started
        if problem is not None:
            raise self._damaged(problem)

    def _journal_change(self, conn: sqlite3.Connection) -> bool:
        """Whether opening will switch the file's journal mode (a write to its header)."""
        mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        return mode != ("wal" if self._journal_wanted else "delete")

    def _write_path_problem(self, conn: sqlite3.Connection) -> str | None:
        problem = schema.check_write_path(conn, self.path)
        self._checked_at = time.monotonic() if problem is None else None
        self._check_due = problem is not None
        return problem

    def _unharmed_since_checked(self) -> float | None:
        """When a writer of this process last checked this file, if that was less than
        CHECK_REUSE_SECONDS ago and nothing changed the file since a writer of this process
        closed it: its identity, size, modification and change times (and its write-ahead
        log's) are those it had then. None otherwise."""
        if self._signature is None:
            return None
        try:
            known = _closed_unharmed.get(self.path.resolve())
        except (OSError, RuntimeError):
            return None
        if known is None:
            return None
        signature, checked = known
        if signature != self._signature or time.monotonic() - checked >= CHECK_REUSE_SECONDS:
            return None
        return checked

    def _suspicion(self, conn: sqlite3.Connection) -> str | None:
        rows = dict(
            conn.execute(
                "SELECT m.name, m.value FROM meta m JOIN libraries l ON l.id = m.library_id "
                "WHERE l.uuid = ? AND m.name IN (?, ?)",
                (self._uuid, META_WRITER_OPEN, META_CHECKED),
            ).fetchall()
        )
        known = conn.execute("SELECT 1 FROM libraries WHERE uuid = ?", (self._uuid,)).fetchone()
        if known is None:
            return "first use of this library in the file"
        if META_WRITER_OPEN in rows:
            self._found_marker = True
            return "the last command that wrote it did not close it (a crash, kill or power cut)"
        if rows.get(META_CHECKED) != _check_stamp():
            return "first use by this version of plexrate or SQLite"
        return None

    def _still_there(self) -> None:
        """SQLite goes on writing to a file whose folder was removed or renamed (the open file
        outlives its name), and everything recorded after that is lost with it: checked before
        each batch's intents, so before the batch is sent."""
        if self._identity is None or _file_identity(self.path) == self._identity:
            return
        if not self.path.parent.is_dir():
            raise self._storage_problem(FileNotFoundError(ENOENT, "vanished")) or StateError(
                f"the folder of state file {self.path} has vanished"
            )
        raise StateError(
            f"state file {self.path} was moved, deleted or replaced while plexrate was using it",
            hint="put it back; plexrate stopped before its next write to Plex",
        )

    def ensure_space(self, changes: int) -> None:
        """Refuse, before a run sends anything, when the state file's disk cannot hold the
        journal of ``changes`` writes (about 0.6 KB each, plus 16 MB for the write-ahead log)."""
        needed = changes * _BYTES_PER_CHANGE + _SPACE_MARGIN
        try:
            stat = os.statvfs(self.path.parent)
        except (OSError, AttributeError):
            return  # no statvfs (Windows) or no answer: the write itself will tell
        free = stat.f_bavail * stat.f_frsize
        if free < needed:
            raise StateError(
                f"the disk holding state file {self.path} has {free / 1e6:.1f} MB free; "
                f"recording {changes:,} writes needs about {needed / 1e6:.0f} MB",
                hint=f"free some space in {self.path.parent} or point STATE_PATH at another "
                "disk; nothing was written to Plex",
            )

    def _find_library(self) -> int | None:
        with self._guard():
            row = self._conn.execute(
                "SELECT id FROM libraries WHERE uuid = ?", (self._uuid,)
            ).fetchone()
        return None if row is None else int(row[0])

    def _adopt_library(self) -> None:
        """Refresh the library's name and settle runs whose process died while they ran."""
        if self._library_id is None:
            return
        with self._guard():
            title, server_id, running = self._conn.execute(
                "SELECT title, server_id, (SELECT COUNT(*) FROM runs WHERE library_id = l.id "
                "AND status = 'running') FROM libraries l WHERE id = ?",
                (self._library_id,),
            ).fetchone()
        if (
            (not self._title or title == self._title)
            and (not self._server_id or server_id == self._server_id)
            and not running
        ):
            # Nothing to refresh: no write, so no write-path check is due yet (``_write``).
            return
        with self._write() as conn:
            if self._title:
                conn.execute(
                    "UPDATE libraries SET title = ? WHERE id = ? AND title <> ?",
                    (self._title, self._library_id, self._title),
                )
            if self._server_id:
                conn.execute(
                    "UPDATE libraries SET server_id = ? WHERE id = ? AND server_id <> ?",
                    (self._server_id, self._library_id, self._server_id),
                )
            # We hold the library's lock, so no live process is running any of these.
            conn.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ? "
                "WHERE library_id = ? AND status = 'running'",
                (self._clock(), self._library_id),
            )

    def _unopenable(self, exc: sqlite3.Error) -> StateError:
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            return StateError(
                f"cannot open state file {self.path} ({exc})",
                hint="check the permissions of the file and of its folder",
            )
        return self._damaged(exc)

    def _storage_problem(self, exc: BaseException) -> StateError | None:
        """A full disk, a read-only file or folder, a vanished folder: not damage, and the
        person needs to hear what to do about it (issue 16.4)."""
        stopped = "plexrate stopped before its next write to Plex; the next run picks up from there"
        folder = self.path.parent
        code = getattr(exc, "sqlite_errorcode", None)
        errno_ = getattr(exc, "errno", None)
        if code is not None:
            primary = code & 0xFF
            if primary == sqlite3.SQLITE_FULL:
                errno_ = ENOSPC
            elif primary == sqlite3.SQLITE_READONLY:
                errno_ = EROFS
            elif primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
                if not folder.is_dir():
                    errno_ = ENOENT
                elif self.network_fs is not None and self.journal_mode == "wal":
                    return StateError(
                        f"cannot read or write state file {self.path} on a network filesystem "
                        f"({self.network_fs}): {exc}",
                        hint=f"set STATE_JOURNAL_MODE to delete; {stopped}",
                    )
                else:
                    return StateError(
                        f"cannot read or write state file {self.path}: input/output error ({exc})",
                        hint=f"check the disk holding {folder}; {stopped}",
                    )
        if errno_ in (ENOSPC, EDQUOT):
            return StateError(
                f"the disk holding state file {self.path} is full",
                hint=f"free some space in {folder} or point STATE_PATH at another disk; {stopped}",
            )
        if errno_ in (EROFS, EACCES, EPERM):
            return StateError(
                f"state file {self.path} cannot be written: it or its folder is read-only",
                hint=f"make {folder} and the file writable for this user, or point STATE_PATH "
                f"at a writable folder; {stopped}",
            )
        if errno_ == ENOENT:
            return StateError(
                f"the folder of state file {self.path} has vanished",
                hint=f"restore {folder} (or point STATE_PATH at the file's new place); {stopped}",
            )
        return None

    def _damaged(self, exc: BaseException | str) -> StateError:
        if isinstance(exc, BaseException):
            storage = self._storage_problem(exc)
            if storage is not None:
                return storage
        return StateError(
            f"state file {self.path} is damaged or not a plexrate database ({exc})",
            hint="restore it from a backup, or move it away to start a new state file",
        )

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def library_uuid(self) -> str:
        return self._uuid

    @property
    def library_title(self) -> str:
        return self._title

    def close(self) -> None:
        self._finish_open_runs(RunStatus.INTERRUPTED)
        self._mark_closed()
        self._teardown()

    def _mark_closed(self) -> None:
        """A writer's clean close: the next one need not suspect damage (see ``_suspicion``)."""
        # A full check that passed is recorded on close even by a writer that wrote nothing of
        # its own (the one exception to leaving such a file's bytes as they were): else every
        # rerun with nothing to do after a crash, an upgrade or a new SQLite would check the
        # whole file again (3.5 s at 300,000 tracks) until some run wrote.
        stale = self.deep_checked is not None
        if self.readonly or self._closed or self._library_id is None:
            return
        if not (self._marked or stale):
            return
        # A lost removal only costs the next writer a deep check, so no fsync of its own.
        with (
            contextlib.suppress(StateError, sqlite3.Error),
            self._write(durable=False, mark=False) as conn,
        ):
            conn.execute(
                "DELETE FROM meta WHERE library_id = ? AND name = ?",
                (self._library_id, META_WRITER_OPEN),
            )
            if stale:
                _set_meta(conn, self._library_id, META_CHECKED, _check_stamp())

    def _teardown(self) -> None:
        if self._closed:
            return
        self._closed = True
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        try:
            self._note_unharmed()
        finally:
            # Release only after the connection is closed, so the next writer finds every
            # commit.
            if self._lock is not None:
                self._lock.release()

    def _note_unharmed(self) -> None:
        """A writer whose file passed its check, closing that same file: how it leaves it, under
        the lock and after the close's last write (``_unharmed_since_checked``)."""
        if self._checked_at is None or self.readonly or self._lock is None:
            return
        if self._identity is None or _file_identity(self.path) != self._identity:
            return  # moved or replaced while open: whatever is there now was never checked
        with contextlib.suppress(OSError, RuntimeError):
            real = self.path.resolve()
            signature = _file_signature(real)
            if signature is not None:
                _closed_unharmed[real] = (signature, self._checked_at)

    def _finish_open_runs(self, status: RunStatus) -> None:
        if self._closed or not self._open_runs:
            return
        for run_id in sorted(self._open_runs):
            with contextlib.suppress(StateError, sqlite3.Error):
                self.finish_run(run_id, status=status)
        self._open_runs.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            stopped = issubclass(exc_type, KeyboardInterrupt | Interrupted)
            self._finish_open_runs(RunStatus.INTERRUPTED if stopped else RunStatus.FAILED)
        self.close()

    # -- plumbing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise use across threads and turn SQLite failures into one clear StateError."""
        with self._mutex:
            if self._closed:
                raise StateError(f"state file {self.path} is closed")
            try:
                yield
            except sqlite3.IntegrityError as exc:
                # The public methods validate their input first, so this is a bug, not bad data.
                raise StateError(f"state file {self.path} refused a write ({exc})") from exc
            except sqlite3.Error as exc:
                raise self._damaged(exc) from None

    @contextlib.contextmanager
    def _write(self, *, durable: bool = True, mark: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction. ``durable`` False skips the commit's fsync: the commit then
        survives any kill of this process but not a power cut until the next durable commit (or
        checkpoint) syncs the WAL, which holds every earlier commit too.

        The first transaction that writes also leaves the writer-open marker (and, after a full
        check, its stamp), which ``close`` removes: a command that writes nothing to the file
        leaves its bytes as they were."""
        if self.readonly:
            raise StateError(f"state file {self.path} is open read-only")
        with self._guard():
            conn = self._conn
            # Before anything is written: a damaged file is kept as it is for recovery, and no
            # run may send Plex writes whose record it could not keep.
            self._check_if_due(conn)
            library_id = self._library_id
            # NORMAL is only power-safe with WAL; the rollback journal keeps FULL for every commit.
            durable = durable or self.journal_mode != "wal"
            if not durable:
                conn.execute("PRAGMA synchronous = NORMAL")
            try:
                changes = conn.total_changes
                marking = False
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    library = self._library_id
                    if mark and not self._marked and library is not None:
                        marking = conn.total_changes != changes
                    if marking and library is not None:
                        # Removed by close(); found by the next writer if this one dies first.
                        _set_meta(conn, library, META_WRITER_OPEN, str(os.getpid()))
                        if self.deep_checked is not None or self.created:
                            _set_meta(conn, library, META_CHECKED, _check_stamp())
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    # A library row created inside the transaction is gone again.
                    self._library_id = library_id
                    raise
                conn.execute("COMMIT")
                self._marked = self._marked or marking
            finally:
                if not durable:
                    conn.execute("PRAGMA synchronous = FULL")

    def _ensure_library(self, conn: sqlite3.Connection) -> int:
        if self._library_id is None:
            cursor = conn.execute(
                "INSERT INTO libraries (uuid, title, server_id, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (uuid) DO UPDATE SET uuid = excluded.uuid RETURNING id",
                (self._uuid, self._title, self._server_id, self._clock()),
            )
            self._library_id = int(cursor.fetchone()[0])
            # Made with the library, before any claim (a row made later would vouch for claims
            # it never saw change; see schema.META_OWNED_STAMP).
            conn.execute(
                "INSERT OR IGNORE INTO meta (library_id, name, value) "
                "VALUES (?, ?, lower(hex(randomblob(12))))",
                (self._library_id, schema.META_OWNED_STAMP),
            )
        return self._library_id

    def _mark_built(self, conn: sqlite3.Connection, source: str) -> None:
        conn.execute(
            "UPDATE libraries SET ownership_built_at = ?, ownership_source = ? "
            "WHERE id = ? AND ownership_built_at IS NULL",
            (self._clock(), source, self._ensure_library(conn)),
        )

    # -- ownership -----------------------------------------------------------------------------

    def owned(self) -> dict[int, OwnedItem]:
        with self._guard():
            if self._library_id is None:
                return {}
            rows = self._conn.execute(
                f"SELECT {OWNED_COLUMNS} FROM owned WHERE library_id = ?", (self._library_id,)
            ).fetchall()
        types = ITEM_TYPES
        return {
            r[0]: OwnedItem(r[0], types[r[1]], r[2], r[3], r[4], r[5] == 1, r[6], r[7])
            for r in rows
        }

    def owned_stamp(self) -> str | None:
        """A value that changes whenever this library's ownership record does (any claim made,
        changed or dropped); None when the file has none (schema 3, read as it is), which
        proves nothing."""
        value = self.meta(schema.META_OWNED_STAMP)
        return value or None

    def owned_keys(self) -> set[int]:
        """The keys of every owned item: a fraction of ``owned``'s cost at 300,000 tracks."""
        with self._guard():
            if self._library_id is None:
                return set()
            cursor = self._conn.execute(
                "SELECT key FROM owned WHERE library_id = ?", (self._library_id,)
            )
            return {row[0] for row in cursor}

    def owned_guids(self) -> dict[int, str]:
        """The guid of every owned item, by key: enough to find owned items Plex re-keyed,
        without building an ``OwnedItem`` per row."""
        with self._guard():
            if self._library_id is None:
                return {}
            rows = self._conn.execute(
                "SELECT key, guid FROM owned WHERE library_id = ?", (self._library_id,)
            ).fetchall()
        return {int(r[0]): str(r[1]) for r in rows}

    def owned_count(self) -> int:
        with self._guard():
            if self._library_id is None:
                return 0
            row = self._conn.execute(
                "SELECT COUNT(*) FROM owned WHERE library_id = ?", (self._library_id,)
            ).fetchone()
        return int(row[0])

    def ownership_built(self) -> bool:
        """True once a run, import or reconstruct recorded ownership for this library.

        Until then an empty ownership record means "unknown", not "plexrate owns nothing", and
        commands that would strip plexrate's tags from unowned items must refuse (defect 13).
        """
        with self._guard():
            if self._library_id is None:
                return False
            row = self._conn.execute(
                "SELECT ownership_built_at FROM libraries WHERE id = ?", (self._library_id,)
            ).fetchone()
        return row is not None and row[0] is not None

    def mark_ownership_built(self, *, source: str) -> None:
        """Record that the ownership record is complete although nothing was owned (e.g. a full
        run on a library with nothing to infer)."""
        with self._write() as conn:
            self._mark_built(conn, source)

    def known_libraries(self) -> list[LibraryInfo]:
        """Every library this state file holds, for the guard against using the wrong one."""
        with self._guard():
            rows = self._conn.execute(
                """
                SELECT l.uuid, l.title, l.server_id, l.ownership_built_at IS NOT NULL,
                       (SELECT COUNT(*) FROM owned o WHERE o.library_id = l.id),
                       (SELECT COUNT(*) FROM runs r WHERE r.library_id = l.id),
                       (SELECT MAX(started_at) FROM runs r WHERE r.library_id = l.id),
                       (SELECT command FROM runs r WHERE r.library_id = l.id
                        ORDER BY r.id DESC LIMIT 1)
                FROM libraries l ORDER BY l.id
                """
            ).fetchall()
        return [
            LibraryInfo(
                uuid=r[0],
                title=r[1],
                server_id=r[2],
                ownership_built=bool(r[3]),
                owned=r[4],
                runs=r[5],
                last_run_at=r[6],
                last_run_command=r[7],
            )
            for r in rows
        ]

    def set_owned(self, items: Sequence[OwnedItem], *, source: str) -> None:
        """Record ownership without a write (reconstruct, migration); marks ownership built."""
        rows = [_owned_row(item) for item in items]
        with self._write() as conn:
            library = self._ensure_library(conn)
            self._check_runs([item.run_id for item in items if item.run_id is not None], conn)
            conn.executemany(_UPSERT_OWNED, ((library, *row) for row in rows))
            self._mark_built(conn, source)

    def drop_owned(self, keys: Sequence[int]) -> None:
        if not keys:
            return
        with self._write() as conn:
            library = self._ensure_library(conn)
            conn.executemany(
                "DELETE FROM owned WHERE library_id = ? AND key = ?",
                ((library, int(key)) for key in keys),
            )

    def rekey(self, old_key: int, new_key: int) -> None:
        """Move ownership and journal history to the item's new ratingKey (a re-matched item,
        found again by its guid)."""
        if old_key == new_key:
            return
        with self._write() as conn:
            library = self._ensure_library(conn)
            clash = conn.execute(
                "SELECT 1 FROM owned WHERE library_id = ? AND key = ?", (library, new_key)
            ).fetchone()
            if clash is not None:
                raise StateError(
                    f"cannot move item {old_key} to key {new_key}: plexrate already owns {new_key}"
                )
            conn.execute(
                "UPDATE owned SET key = ? WHERE library_id = ? AND key = ?",
                (new_key, library, old_key),
            )
            conn.execute(
                "UPDATE journal SET key = ? WHERE library_id = ? AND key = ?",
                (new_key, library, old_key),
            )
            conn.execute(
                "UPDATE journal_compact SET key = ? WHERE library_id = ? AND key = ?",
                (new_key, library, old_key),
            )

    # -- runs ----------------------------------------------------------------------------------

    def begin_run(
        self, *, command: str, args: Mapping[str, Any] | None = None, dry_run: bool = False
    ) -> int:
        """Open a run. Refused while entries of an earlier run are pending: reconcile first,
        or the earlier intents and this run's writes to the same items would be confused."""
        args_json = redact(json.dumps(dict(args or {}), sort_keys=True, default=str))
        with self._write() as conn:
            library = self._ensure_library(conn)
            waiting = conn.execute(
                "SELECT COUNT(*) FROM journal WHERE library_id = ? AND status = 'pending'",
                (library,),
            ).fetchone()[0]
            if waiting:
                raise StateError(
                    f"{waiting} write(s) of an interrupted run are not reconciled yet",
                    hint="read the pending items back from Plex and call resolve_pending first",
                )
            cursor = conn.execute(
                "INSERT INTO runs (library_id, command, args, dry_run, status, started_at, pid) "
                "VALUES (?, ?, ?, ?, 'running', ?, ?)",
                (library, command, args_json, int(dry_run), self._clock(), os.getpid()),
            )
            run_id = int(cursor.lastrowid or 0)
        self._open_runs.add(run_id)
        if self._lock is not None:
            self._lock.update(command=f"{self._command} (run {run_id}: {command})")
        return run_id

    def finish_run(self, run_id: int, *, status: RunStatus) -> None:
        status = RunStatus(status)
        if status is RunStatus.RUNNING:
            raise ValueError("finish_run needs a final status")
        with self._write() as conn:
            row = self._run_row(conn, run_id)
            if row[1] != RunStatus.RUNNING:
                raise StateError(f"run {run_id} has already finished ({row[1]})")
            conn.execute(
                "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                (status.value, self._clock(), run_id),
            )
        self._open_runs.discard(run_id)

    def runs(self) -> list[RunInfo]:
        with self._guard():
            if self._library_id is None:
                return []
            # Schema 2 (readable as it is) has no compacted runs.
            compacted = "r.compacted_at, r.compacted_counts" if self._version >= 3 else "NULL, NULL"
            rows = self._conn.execute(
                f"""
                SELECT r.id, r.command, r.args, r.dry_run, r.status, r.started_at, r.finished_at,
                       COUNT(j.id),
                       COALESCE(SUM(j.status = 'confirmed'), 0),
                       COALESCE(SUM(j.status = 'failed'), 0),
                       COALESCE(SUM(j.status = 'pending'), 0),
                       {compacted}
                FROM runs r LEFT JOIN journal j ON j.run_id = r.id
                WHERE r.library_id = ? GROUP BY r.id ORDER BY r.id
                """,
                (self._library_id,),
            ).fetchall()
        infos = []
        for r in rows:
            entries, confirmed, failed = r[7], r[8], r[9]
            if r[11] is not None:
                kept = json.loads(r[12] or "{}")
                entries = int(kept.get("entries", 0))
                confirmed = int(kept.get("confirmed", 0))
                failed = int(kept.get("failed", 0))
            infos.append(
                RunInfo(
                    id=r[0],
                    command=r[1],
                    args=json.loads(r[2]),
                    dry_run=bool(r[3]),
                    status=RunStatus(r[4]),
                    started_at=r[5],
                    finished_at=r[6],
                    entries=entries,
                    confirmed=confirmed,
                    failed=failed,
                    pending=r[10],
                    compacted_at=r[11],
                )
            )
        return infos

    def _run_row(self, conn: sqlite3.Connection, run_id: int) -> tuple[int, str, int]:
        row = conn.execute(
            "SELECT id, status, dry_run FROM runs WHERE id = ? AND library_id IS ?",
            (run_id, self._library_id),
        ).fetchone()
        if row is None:
            raise StateError(f"run {run_id} does not exist for library {self._uuid}")
        return (int(row[0]), str(row[1]), int(row[2]))

    def _check_runs(self, run_ids: Iterable[int], conn: sqlite3.Connection) -> None:
        for run_id in set(run_ids):
            self._run_row(conn, run_id)

    # -- journal -------------------------------------------------------------------------------

    def record_intents(self, run_id: int, changes: Sequence[Change]) -> list[int]:
        """Commit the changes of one batch as pending entries, before any request is sent.

        Returns the entry ids in the order of ``changes``. One transaction: after a kill, either
        the whole batch is journaled or none of it is (and then none of it was sent).
        """
        if not changes:
            return []
        rows = [_intent_row(change) for change in changes]
        self._still_there()
        now = self._clock()
        with self._write() as conn:
            _, status, dry_run = self._run_row(conn, run_id)
            if status != RunStatus.RUNNING:
                raise StateError(f"run {run_id} has finished ({status}); open a new run")
            if dry_run:
                raise StateError(f"run {run_id} is a dry run; a dry run writes nothing")
            library = self._ensure_library(conn)
            last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM journal").fetchone()[0]
            conn.executemany(_INSERT_INTENT, ((run_id, library, *row, now) for row in rows))
            # No other writer can insert inside our IMMEDIATE transaction, and AUTOINCREMENT
            # hands out increasing ids, so the new rows are exactly those above the old maximum.
            ids = [
                int(r[0])
                for r in conn.execute("SELECT id FROM journal WHERE id > ? ORDER BY id", (last,))
            ]
            if len(ids) != len(rows):
                raise StateError("journal ids are inconsistent; the state file may be damaged")
        return ids

    def confirm(
        self,
        entry_ids: Sequence[int],
        *,
        readback: Mapping[int, float | None] | None = None,
    ) -> None:
        """Mark entries as landed and apply their ownership effect, in one transaction.

        ``readback`` maps item keys to the rating Plex returned after the write (``None``:
        unrated); the owned value is the read-back value where given, else the value sent.
        """
        if not entry_ids:
            return
        readback = dict(readback or {})
        for key, value in readback.items():
            _check_rating(value, f"read-back rating of item {key}")
        now = self._clock()
        # No fsync of its own: losing a confirmation to a power cut only leaves its entries
        # pending, which the next start settles by reading the items back (like a kill between
        # request and confirmation). The next batch's intents are committed durably, and that
        # sync covers this commit too. Half the fsyncs of a run, which were most of its time in
        # the store.
        with self._write(durable=False) as conn:
            entries = self._pending_entries(conn, entry_ids)
            conn.executemany(
                "UPDATE journal SET status = 'confirmed', resolved_at = ?, readback = ? "
                "WHERE id = ?",
                ((now, readback.get(e.key), e.id) for e in entries),
            )
            self._apply_ownership(conn, entries, readback, now)

    def fail(self, entry_ids: Sequence[int], *, error: str) -> None:
        """Mark entries as not landed; ownership is left as it was."""
        if not entry_ids:
            return
        now = self._clock()
        note = redact(error)
        with self._write() as conn:
            entries = self._pending_entries(conn, entry_ids)
            conn.executemany(
                "UPDATE journal SET status = 'failed', resolved_at = ?, note = ? WHERE id = ?",
                ((now, note, e.id) for e in entries),
            )

    def pending(self) -> list[JournalEntry]:
        """Intents neither confirmed nor failed, of any run of this library, oldest first."""
        with self._guard():
            if self._library_id is None:
                return []
            rows = self._conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM journal "
                "WHERE library_id = ? AND status = 'pending' ORDER BY id",
                (self._library_id,),
            ).fetchall()
        return [_entry(r) for r in rows]

    def resolve_pending(
        self,
        observed: Mapping[int, ObservedItem],
        *,
        entry_ids: Sequence[int] | None = None,
        gone: Collection[int] | None = None,
    ) -> ReconcileReport:
        """Settle pending entries from their items as read back from Plex (``observed`` by key).
        See ``reconcile.classify``.

        With ``gone`` (the keys Plex answered 404 for), an entry whose item is in neither stays
        pending: its fate is unknown, and calling it vanished would forget a write that may
        have landed. Without ``gone``, a key missing from ``observed`` means the item is gone.

        By default every pending entry of the library is settled (reconciliation on start).
        ``entry_ids`` limits it to those entries: the Applier's way to settle a request whose
        outcome it could not tell (a timeout after sending) without guessing.
        """
        pending = self.pending()
        if entry_ids is not None:
            wanted = {int(i) for i in entry_ids}
            pending = [e for e in pending if e.id in wanted]
        if gone is not None:
            pending = [e for e in pending if e.key in observed or e.key in gone]
        if not pending:
            return ReconcileReport()
        now = self._clock()
        groups = sort_out(pending, observed)
        confirmed = groups[Resolution.LANDED] + groups[Resolution.PARTIAL]
        confirmed.sort(key=lambda e: e.id)
        readback = {e.key: _observed_rating(observed[e.key]) for e in confirmed}
        settled: dict[Resolution, tuple[JournalEntry, ...]] = {}
        with self._write() as conn:
            fresh = self._pending_entries(conn, [e.id for e in pending])
            if len(fresh) != len(pending):
                raise StateError("pending entries changed during reconciliation")
            for resolution, entries in groups.items():
                status = settled_status(resolution)
                rows = []
                done = []
                for e in entries:
                    value = readback.get(e.key) if status is EntryStatus.CONFIRMED else None
                    rows.append((status.value, now, value, NOTES[resolution], e.id))
                    done.append(
                        replace(
                            e,
                            status=status,
                            resolved_at=now,
                            readback=value,
                            note=NOTES[resolution],
                        )
                    )
                conn.executemany(
                    "UPDATE journal SET status = ?, resolved_at = ?, readback = ?, note = ? "
                    "WHERE id = ?",
                    rows,
                )
                settled[resolution] = tuple(done)
            self._apply_ownership(conn, confirmed, readback, now)
        return ReconcileReport(
            landed=settled[Resolution.LANDED],
            partial=settled[Resolution.PARTIAL],
            not_sent=settled[Resolution.NOT_SENT],
            tags_only=settled[Resolution.TAGS_ONLY],
            changed=settled[Resolution.CHANGED],
            vanished=settled[Resolution.VANISHED],
        )

    def journal(
        self, *, run_id: int | None = None, status: EntryStatus | None = None
    ) -> list[JournalEntry]:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM journal WHERE library_id = ?"
        params: list[Any] = [self._library_id]
        if run_id is not None:
            sql = sql.replace("library_id = ?", "+library_id = ? AND run_id = ?")
            params.append(run_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(EntryStatus(status).value)
        with self._guard():
            if self._library_id is None:
                return []
            rows = self._conn.execute(sql + " ORDER BY id", params).fetchall()
        return [_entry(r) for r in rows]

    def journal_mark(self) -> tuple[int, int]:
        """The newest journal entry id and run id in the file (0 when there are none): what the
        snapshot cache notes when it reads the library, so that later entries are known to be
        writes the copy does not show yet (``state/snapcache.py``)."""
        with self._guard():
            entry = self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM journal").fetchone()[0]
            run = self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0]
        return int(entry), int(run)

    def journal_after(self, entry_id: int) -> list[JournalEntry]:
        """This library's journal entries newer than ``entry_id``, oldest first."""
        with self._guard():
            if self._library_id is None:
                return []
            rows = self._conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM journal WHERE library_id = ? AND id > ? ORDER BY id",
                (self._library_id, entry_id),
            ).fetchall()
        return [_entry(r) for r in rows]

    def original_values(self, *, run_id: int | None = None) -> dict[int, OriginalValue]:
        """What undo needs, per item, over all runs or one run (confirmed writes only).

        Over all runs, compacted runs count through their per-item summary (``compact``); a
        compacted run on its own has no entries left (see ``compacted_runs``).
        """
        sql = f"SELECT {FOLD_COLUMNS} FROM journal WHERE library_id = ? AND status = 'confirmed'"
        params: list[Any] = [self._library_id]
        if run_id is not None:
            sql = sql.replace("library_id = ?", "+library_id = ? AND run_id = ?")
            params.append(run_id)
        with self._guard():
            if self._library_id is None:
                return {}
            acc = {} if run_id is not None else self._compact_seeds(self._conn)
            fold(acc, self._conn.execute(sql + " ORDER BY id", params))
            later: dict[int, int] = {}
            if run_id is not None:
                for key, first_run in self._conn.execute(
                    "SELECT key, MIN(run_id) FROM journal WHERE library_id = ? "
                    "AND status = 'confirmed' AND set_rating = 1 AND run_id > ? GROUP BY key",
                    (self._library_id, run_id),
                ):
                    later[key] = first_run
        return {key: u.value(later.get(key) if u.wrote_rating else None) for key, u in acc.items()}

    # -- retention -----------------------------------------------------------------------------

    def _compact_seeds(self, conn: sqlite3.Connection) -> dict[int, UndoRecord]:
        seeds: dict[int, UndoRecord] = {}
        if self._version < 3:
            return seeds
        for row in conn.execute(
            f"SELECT {COMPACT_COLUMNS} FROM journal_compact WHERE library_id = ?",
            (self._library_id,),
        ):
            seeds[row[0]] = UndoRecord.from_compact_row(row)
        return seeds

    def compacted_runs(self) -> set[int]:
        """Ids of this library's runs whose journal was compacted."""
        with self._guard():
            if self._library_id is None or self._version < 3:
                return set()
            rows = self._conn.execute(
                "SELECT id FROM runs WHERE library_id = ? AND compacted_at IS NOT NULL",
                (self._library_id,),
            ).fetchall()
        return {int(r[0]) for r in rows}

    def compact(self, *, keep_runs: int, vacuum: bool = True) -> CompactReport:
        """Fold the journal of all but the newest ``keep_runs`` runs into one record per item.

        The record keeps what undo of everything and ``admin verify`` need: the value before
        plexrate's first write, the value it last wrote, its tags, the ownership effect, and the
        runs involved; titles, reasons, failed entries and the run-by-run history go. Runs are
        compacted oldest first and never past one with unconfirmed entries. The file is then
        vacuumed when at least a quarter of it (and 4 MB) is free pages.
        """
        if keep_runs < 0:
            raise ValueError("keep_runs must be at least 0")
        size_before = self._file_size()
        with self._write() as conn:
            library = self._library_id
            if library is None:
                return CompactReport((), 0, 0, False, size_before, size_before)
            runs = conn.execute(
                "SELECT r.id, r.status, r.compacted_at IS NOT NULL, "
                "EXISTS (SELECT 1 FROM journal j WHERE j.run_id = r.id AND j.status = 'pending') "
                "FROM runs r WHERE r.library_id = ? ORDER BY r.id",
                (library,),
            ).fetchall()
            candidates: list[int] = []
            for run_id, status, compacted, waiting in runs[: max(len(runs) - keep_runs, 0)]:
                if compacted:
                    continue
                if status == RunStatus.RUNNING or waiting:
                    break
                candidates.append(int(run_id))
            if not candidates:
                return CompactReport((), 0, 0, False, size_before, size_before)
            acc = self._compact_seeds(conn)
            touched: set[int] = set()
            removed = 0
            now = self._clock()
            for run_id in candidates:
                counts = conn.execute(
                    "SELECT COUNT(*), COALESCE(SUM(status = 'confirmed'), 0), "
                    "COALESCE(SUM(status = 'failed'), 0) FROM journal WHERE run_id = ?",
                    (run_id,),
                ).fetchone()
                rows = conn.execute(
                    f"SELECT {FOLD_COLUMNS} FROM journal WHERE run_id = ? "
                    "AND status = 'confirmed' ORDER BY id",
                    (run_id,),
                ).fetchall()
                touched.update(int(r[1]) for r in rows)
                fold(acc, rows)
                removed += conn.execute("DELETE FROM journal WHERE run_id = ?", (run_id,)).rowcount
                conn.execute(
                    "UPDATE runs SET compacted_at = ?, compacted_counts = ? WHERE id = ?",
                    (
                        now,
                        json.dumps(
                            {"entries": counts[0], "confirmed": counts[1], "failed": counts[2]}
                        ),
                        run_id,
                    ),
                )
            conn.executemany(
                f"INSERT OR REPLACE INTO journal_compact (library_id, {COMPACT_COLUMNS}) "
                f"VALUES ({', '.join('?' * 15)})",
                ((library, *acc[key].compact_row()) for key in sorted(touched)),
            )
        vacuumed = vacuum and self._vacuum_if_it_pays()
        return CompactReport(
            tuple(candidates), removed, len(touched), vacuumed, size_before, self._file_size()
        )

    def _file_size(self) -> int:
        total = 0
        for path in (self.path, self.path.with_name(self.path.name + "-wal")):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def _vacuum_if_it_pays(self) -> bool:
        with self._guard():
            conn = self._conn
            free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
            pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
            page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
            if free * 4 < pages or free * page_size < _VACUUM_MIN_BYTES:
                return False
            try:
                conn.execute("VACUUM")
            except sqlite3.OperationalError as exc:
                # Another process has the file open (another library's writer, a reader):
                # the free pages are reused by later writes anyway.
                log.info("state file %s not vacuumed: %s", self.path, exc)
                return False
            if self.journal_mode == "wal":
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    def _pending_entries(
        self, conn: sqlite3.Connection, entry_ids: Sequence[int]
    ) -> list[JournalEntry]:
        wanted = list(dict.fromkeys(int(i) for i in entry_ids))
        found: list[JournalEntry] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found.extend(
                _entry(r)
                for r in conn.execute(
                    # The unary plus keeps SQLite from scanning the library's whole journal
                    # through journal_by_key instead of looking the ids up directly.
                    f"SELECT {_ENTRY_COLUMNS} FROM journal WHERE +library_id IS ? "
                    f"AND id IN ({', '.join('?' * len(chunk))})",
                    (self._library_id, *chunk),
                )
            )
        missing = set(wanted) - {e.id for e in found}
        if missing:
            raise StateError(
                f"journal entries {_sample(missing)} do not exist for library {self._uuid}"
            )
        settled = [e.id for e in found if e.status is not EntryStatus.PENDING]
        if settled:
            raise StateError(f"journal entries {_sample(settled)} are already resolved")
        found.sort(key=lambda e: e.id)
        return found

    def _apply_ownership(
        self,
        conn: sqlite3.Connection,
        entries: Sequence[JournalEntry],
        readback: Mapping[int, float | None],
        now: float,
    ) -> None:
        """Write what confirmed entries mean for ownership (``ownership.ownership_after``)."""
        library = self._ensure_library(conn)
        keys = list({e.key for e in entries})
        current: dict[int, OwnedRow] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            for row in conn.execute(
                f"SELECT {OWNED_COLUMNS} FROM owned WHERE library_id = ? "
                f"AND key IN ({', '.join('?' * len(chunk))})",
                (library, *chunk),
            ):
                current[row[0]] = tuple(row)
        change = ownership_after(entries, current, readback, now)
        upserts: list[tuple[Any, ...]] = []
        deletes: list[tuple[int, int]] = []
        for key, row in change.rows.items():
            if row is None:
                deletes.append((library, key))
            else:
                upserts.append((library, *row))
        if deletes:
            conn.executemany("DELETE FROM owned WHERE library_id = ? AND key = ?", deletes)
        if upserts:
            conn.executemany(_UPSERT_OWNED, upserts)
        if change.claimed:
            self._mark_built(conn, "run")

    # -- legacy import -------------------------------------------------------------------------

    def import_legacy(
        self, legacy: LegacyState, migration: LegacyMigration, *, backup_dir: Path
    ) -> ImportReport:
        """Record the ownership ``plan_migration`` decided for the old tool's state file.

        The legacy file is copied to ``backup_dir`` first. Items the store owns by now keep their
        newer record. Whether the file's library stamp matches is the caller's check
        (``legacy.check_library_uuid``): it needs a person's confirmation.
        """
        if self.readonly:
            raise StateError(f"state file {self.path} is open read-only")
        backup = self._backup_legacy(legacy, backup_dir)
        now = self._clock()
        claims, already = claims_to_record(migration, set(self.owned()), now=now)
        rows = [_owned_row(item) for item in claims]
        record = {
            "at": now,
            "source": str(legacy.source) if legacy.source else None,
            "backup": str(backup),
            "format": legacy.format.value,
            "imported": len(rows),
            "outcomes": migration.counts(),
        }
        with self._write() as conn:
            library = self._ensure_library(conn)
            conn.executemany(_UPSERT_OWNED, ((library, *row) for row in rows))
            self._mark_built(conn, "legacy-import")
            conn.execute(
                "INSERT INTO meta (library_id, name, value) VALUES (?, ?, ?) "
                "ON CONFLICT (library_id, name) DO UPDATE SET value = excluded.value",
                (library, META_LEGACY_IMPORT, json.dumps(record)),
            )
        return ImportReport(
            imported=len(rows),
            backup=backup,
            not_in_library=migration.not_in_library,
            unrated=migration.unrated,
            already_owned=already,
            anchors=migration.anchors,
            changed=migration.changed,
        )

    def _backup_legacy(self, legacy: LegacyState, backup_dir: Path) -> Path:
        data = legacy.raw or _reserialise(legacy)
        stem = legacy.source.stem if legacy.source else "plex_state"
        stamp = datetime.fromtimestamp(self._clock()).strftime("%Y%m%d-%H%M%S")
        try:
            backup_dir.mkdir(parents=True, exist_ok=True)
            target = backup_dir / f"{stem}.{stamp}.json"
            counter = 1
            while target.exists():
                counter += 1
                target = backup_dir / f"{stem}.{stamp}-{counter}.json"
            write_atomic(target, data)
        except OSError as exc:
            raise StateError(
                f"cannot back up the legacy state to {backup_dir}: {exc.strerror or exc}"
            ) from None
        return target

    # -- metadata ------------------------------------------------------------------------------

    # -- field locks ---------------------------------------------------------------------------

    def record_locks(self, locks: Sequence[tuple[int, str, bool]]) -> None:
        """Remember, for each (item key, field, locked already) a write is about to lock,
        whether that lock was there before plexrate's first write. The first observation of a
        pair stands: later ones see plexrate's own lock."""
        if not locks:
            return
        now = self._clock()
        # Not synced on its own: a record lost to a power cut is observed again at the next
        # write, after plexrate's lock is on, and so taken for a lock that was there already:
        # the safe side (undo leaves it). The next intent's durable commit syncs it anyway.
        with self._write(durable=False) as conn:
            library = self._ensure_library(conn)
            conn.executemany(
                "INSERT OR IGNORE INTO field_locks (library_id, key, field, preexisting, seen_at) "
                "VALUES (?, ?, ?, ?, ?)",
                ((library, int(k), str(f), int(bool(p)), now) for k, f, p in locks),
            )

    def field_locks(self, keys: Iterable[int] | None = None) -> dict[int, dict[str, bool]]:
        """Per item key, the fields plexrate's writes locked: field → True when the lock was
        there before plexrate's first write (not plexrate's to release)."""
        with self._guard():
            if self._library_id is None or not self._has_table("field_locks"):
                return {}
            rows = self._conn.execute(
                "SELECT key, field, preexisting FROM field_locks WHERE library_id = ?",
                (self._library_id,),
            ).fetchall()
        wanted = None if keys is None else set(keys)
        out: dict[int, dict[str, bool]] = {}
        for key, name, preexisting in rows:
            if wanted is None or key in wanted:
                out.setdefault(int(key), {})[str(name)] = bool(preexisting)
        return out

    def forget_locks(self, keys: Sequence[int]) -> None:
        """Drop the lock records of items whose locks plexrate released (``admin undo``)."""
        if not keys:
            return
        with self._write() as conn:
            library = self._ensure_library(conn)
            conn.executemany(
                "DELETE FROM field_locks WHERE library_id = ? AND key = ?",
                ((library, int(k)) for k in keys),
            )

    def _has_table(self, name: str) -> bool:
        # A read-only store may look at a schema-1 file it may not migrate.
        row = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def meta(self, key: str) -> str | None:
        with self._guard():
            if self._library_id is None:
                return None
            row = self._conn.execute(
                "SELECT value FROM meta WHERE library_id = ? AND name = ?",
                (self._library_id, key),
            ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO meta (library_id, name, value) VALUES (?, ?, ?) "
                "ON CONFLICT (library_id, name) DO UPDATE SET value = excluded.value",
                (self._ensure_library(conn), key, value),
            )

    def verify(self, *, deep: bool = False) -> list[str]:
        """The write-path integrity check (``deep``: SQLite's full one) plus the foreign-key
        rules; empty when sound."""
        with self._guard():
            try:
                if deep or not self.exists:
                    problem = schema.deep_check(self._conn)
                else:
                    problem = schema.check_write_path(self._conn, self.path)
            except sqlite3.DatabaseError as exc:
                # A page too damaged to read is a finding of the check, not a failure of it.
                problem = str(exc)
            problems = [] if problem is None else [problem]
            problems += [
                f"foreign key violation in {r[0]} row {r[1]}"
                for r in self._conn.execute("PRAGMA foreign_key_check")
            ]
        return problems


_VACUUM_MIN_BYTES = 4 * 1024 * 1024


_INTENT_FIELDS = (
    "key, item_type, title, guid, phase, reason, set_rating, before, after, "
    "add_tags, remove_tags, own, twin, year"
)

_INSERT_INTENT = (
    f"INSERT INTO journal (run_id, library_id, {_INTENT_FIELDS}, status, recorded_at) "
    f"VALUES (?, ?, {', '.join(['?'] * len(_INTENT_FIELDS.split(',')))}, 'pending', ?)"
)

_UPSERT_OWNED = (
    f"INSERT INTO owned (library_id, {OWNED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (library_id, key) DO UPDATE SET item_type = excluded.item_type, "
    "value = excluded.value, guid = excluded.guid, phase = excluded.phase, "
    "twin = excluded.twin, run_id = excluded.run_id, written_at = excluded.written_at"
)


def _intent_row(change: Change) -> tuple[Any, ...]:
    _check_rating(change.before, f"'before' of item {change.key}")
    _check_rating(change.after, f"'after' of item {change.key}")
    return (
        int(change.key),
        ItemType(change.item_type).value,
        change.title,
        change.guid,
        str(change.phase),
        change.reason,
        int(change.set_rating),
        change.before,
        change.after,
        tags_to_json(tuple(change.add_tags)),
        tags_to_json(tuple(change.remove_tags)),
        None if change.own is None else int(change.own),
        int(change.twin),
        change.year,
    )


def _owned_row(item: OwnedItem) -> tuple[Any, ...]:
    _check_rating(item.value, f"owned value of item {item.key}")
    return (
        int(item.key),
        ItemType(item.item_type).value,
        float(item.value),
        item.guid,
        str(item.phase),
        int(item.twin),
        item.run_id,
        item.written_at,
    )


def _check_rating(value: float | None, what: str) -> None:
    if value is None:
        return
    if not math.isfinite(value) or not (RATING_MIN <= value <= RATING_MAX):
        raise ValueError(f"{what} is {value!r}, outside 0–10")


def _entry(r: Sequence[Any]) -> JournalEntry:
    return JournalEntry(
        id=r[0],
        run_id=r[1],
        key=r[2],
        item_type=ITEM_TYPES[r[3]],
        title=r[4],
        guid=r[5],
        phase=r[6],
        reason=r[7],
        set_rating=bool(r[8]),
        before=r[9],
        after=r[10],
        add_tags=tags_from_json(r[11]),
        remove_tags=tags_from_json(r[12]),
        own=None if r[13] is None else bool(r[13]),
        twin=bool(r[14]),
        year=r[15],
        status=EntryStatus(r[16]),
        recorded_at=r[17],
        resolved_at=r[18],
        readback=r[19],
        note=r[20],
    )


def _observed_rating(seen: ObservedItem) -> float | None:
    return normalise_rating(seen.rating)


def _reserialise(legacy: LegacyState) -> bytes:
    # The flags as the old tool writes them, so the backup decides every entry as the file did.
    ratings = {
        str(k): {"r": e.value, "t": 2 if e.cluster_manual else int(e.twin), "m": e.manual}
        for k, e in sorted(legacy.entries.items())
    }
    document = {"version": legacy.version, "library_uuid": legacy.library_uuid, "ratings": ratings}
    return json.dumps(document, indent=1).encode("utf-8")


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def forget_checks() -> None:
    """Trust no earlier check of this process: the next writer of every file checks it."""
    _closed_unharmed.clear()


def _file_signature(path: Path) -> _FileSignature | None:
    """What any write to the file or its write-ahead log changes: sizes, modification and
    change times (nanoseconds), and the file's identity."""
    try:
        stat = path.stat()
    except OSError:
        return None
    main = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    try:
        wal = path.with_name(path.name + "-wal").stat()
    except OSError:
        return main, None
    if wal.st_size == 0:
        # What a reader leaves: a log with nothing in it holds no change of the file.
        return main, None
    return main, (wal.st_ino, wal.st_size, wal.st_mtime_ns, wal.st_ctime_ns)


def _check_stamp() -> str:
    return (
        f"plexrate {__version__}; SQLite {sqlite3.sqlite_version}; schema {schema.SCHEMA_VERSION}"
    )


def _set_meta(conn: sqlite3.Connection, library_id: int, name: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (library_id, name, value) VALUES (?, ?, ?) "
        "ON CONFLICT (library_id, name) DO UPDATE SET value = excluded.value",
        (library_id, name, value),
    )


def _sample(ids: Iterable[int]) -> str:
    ordered = sorted(ids)
    shown = ", ".join(str(i) for i in ordered[:5])
    return shown + (f" (and {len(ordered) - 5} more)" if len(ordered) > 5 else "")
