"""The state file's schema, its identity checks, and the migration hook.

A state file is an SQLite database stamped with plexrate's ``application_id`` and a schema version
in ``user_version``. Anything else at the state path (garbage, a truncated copy, a JSON file, some
other program's database) is refused with ``StateError``: it is never treated as empty and never
recreated, because an empty ownership record makes every inferred rating look manual.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from plexrate.errors import StateError
from plexrate.fileio import fsync_directory

APPLICATION_ID = 0x504C5254  # "PLRT"
SCHEMA_VERSION = 2

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HINT_RESTORE = "restore it from a backup, or move it away to start a new state file"

SCHEMA = """
CREATE TABLE libraries (
    id                 INTEGER PRIMARY KEY,
    uuid               TEXT NOT NULL UNIQUE,
    title              TEXT NOT NULL DEFAULT '',
    server_id          TEXT NOT NULL DEFAULT '',
    created_at         REAL NOT NULL,
    ownership_built_at REAL,
    ownership_source   TEXT
);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    library_id  INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    command     TEXT NOT NULL,
    args        TEXT NOT NULL DEFAULT '{}',
    dry_run     INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1)),
    status      TEXT NOT NULL
                CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    started_at  REAL NOT NULL,
    finished_at REAL,
    pid         INTEGER
);
CREATE INDEX runs_by_library ON runs(library_id, id);

CREATE TABLE owned (
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key        INTEGER NOT NULL,
    item_type  TEXT NOT NULL CHECK (item_type IN ('artist', 'album', 'track')),
    value      REAL NOT NULL CHECK (value BETWEEN 0 AND 10),
    guid       TEXT NOT NULL DEFAULT '',
    phase      TEXT NOT NULL DEFAULT '',
    twin       INTEGER NOT NULL DEFAULT 0 CHECK (twin IN (0, 1)),
    run_id     INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    written_at REAL,
    PRIMARY KEY (library_id, key)
) WITHOUT ROWID;
CREATE INDEX owned_by_guid ON owned(library_id, guid) WHERE guid <> '';

CREATE TABLE journal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    library_id  INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key         INTEGER NOT NULL,
    item_type   TEXT NOT NULL CHECK (item_type IN ('artist', 'album', 'track')),
    title       TEXT NOT NULL DEFAULT '',
    guid        TEXT NOT NULL DEFAULT '',
    phase       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    set_rating  INTEGER NOT NULL CHECK (set_rating IN (0, 1)),
    before      REAL CHECK (before BETWEEN 0 AND 10),
    after       REAL CHECK (after BETWEEN 0 AND 10),
    add_tags    TEXT NOT NULL DEFAULT '[]',
    remove_tags TEXT NOT NULL DEFAULT '[]',
    own         INTEGER CHECK (own IN (0, 1)),
    twin        INTEGER NOT NULL DEFAULT 0 CHECK (twin IN (0, 1)),
    year        INTEGER,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'confirmed', 'failed')),
    recorded_at REAL NOT NULL,
    resolved_at REAL,
    readback    REAL CHECK (readback BETWEEN 0 AND 10),
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_by_run ON journal(run_id, id);
CREATE INDEX journal_by_key ON journal(library_id, key);
CREATE INDEX journal_pending ON journal(library_id, id) WHERE status = 'pending';

CREATE TABLE field_locks (
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key        INTEGER NOT NULL,
    field      TEXT NOT NULL,
    preexisting INTEGER NOT NULL CHECK (preexisting IN (0, 1)),
    seen_at    REAL NOT NULL,
    PRIMARY KEY (library_id, key, field)
) WITHOUT ROWID;

CREATE TABLE meta (
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (library_id, name)
) WITHOUT ROWID;
"""

Migration = Callable[[sqlite3.Connection], None]

_FIELD_LOCKS = """
CREATE TABLE IF NOT EXISTS field_locks (
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key        INTEGER NOT NULL,
    field      TEXT NOT NULL,
    preexisting INTEGER NOT NULL CHECK (preexisting IN (0, 1)),
    seen_at    REAL NOT NULL,
    PRIMARY KEY (library_id, key, field)
) WITHOUT ROWID
"""


def _add_field_locks(conn: sqlite3.Connection) -> None:
    # Schema 2: which field locks plexrate's writes set, and which were there before its first
    # write (issue 14 item 6), so `admin undo` releases only its own.
    conn.execute(_FIELD_LOCKS)


MIGRATIONS: dict[int, Migration] = {1: _add_field_locks}

ADDITIVE: frozenset[int] = frozenset({1})
"""Migrations (by the version they start from) that only add what a reader does without: a
read-only store (a dry run, a report) opens a file they have not run on yet, rather than asking
for a writing command first. ``field_locks`` matters only to writers and to undo."""


def readable_as_is(version: int) -> bool:
    """Whether a read-only store may use a file at ``version`` without its migrations."""
    return all(step in ADDITIVE for step in range(version, SCHEMA_VERSION))


"""``MIGRATIONS[n]`` upgrades a schema at version ``n`` to ``n + 1``, inside one transaction.

Add an entry (and bump ``SCHEMA_VERSION``) when the schema changes; ``migrate`` backs the file up
before running any of them.
"""


def configure(
    conn: sqlite3.Connection, *, readonly: bool, busy_timeout_ms: int, journal: bool = True
) -> None:
    """Per-connection settings; a writer's ``journal`` settings (WAL, full sync) change the file,
    so a writer opening an existing file applies them with ``set_journal`` once it has checked
    the file (``journal=False`` here)."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
        return
    if journal:
        set_journal(conn)


def set_journal(conn: sqlite3.Connection) -> None:
    # WAL is recorded in the file's header: switching a file to it writes to the file.
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL would survive any kill of this process (a WAL commit is in the OS's hands once
    # written), but the write-ahead rule must also hold across a power cut or an OS crash: an
    # intent lost after its request reached Plex would turn an inferred rating into a "manual"
    # one. FULL costs one fsync per commit, and plexrate commits once per batch of a few hundred
    # writes, each batch being an HTTP round trip anyway.
    conn.execute("PRAGMA synchronous = FULL")


def connect(
    path: Path, *, readonly: bool, busy_timeout_ms: int, journal: bool = True
) -> sqlite3.Connection:
    if readonly:
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        configure(conn, readonly=readonly, busy_timeout_ms=busy_timeout_ms, journal=journal)
    except BaseException:
        conn.close()
        raise
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(
        "BEGIN;"
        + SCHEMA
        + f"PRAGMA application_id = {APPLICATION_ID};"
        + f"PRAGMA user_version = {SCHEMA_VERSION};"
        + "COMMIT;"
    )


def create_database(path: Path, *, busy_timeout_ms: int) -> bool:
    """Create a new state file at ``path`` unless one appears there first; True if we made it.

    The schema is built in a temporary file which is then linked into place, so the state path
    only ever holds a complete database: a process killed halfway leaves a stray temporary file,
    never an empty or half-built state file that the next start would have to refuse.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    tmp.unlink(missing_ok=True)
    try:
        conn = connect(tmp, readonly=False, busy_timeout_ms=busy_timeout_ms)
        try:
            create_schema(conn)
        finally:
            conn.close()
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:
            # A filesystem without hard links: fall back to a rename, which cannot refuse to
            # replace a file that appeared meanwhile, so check first.
            if path.exists():
                return False
            tmp.replace(path)
        fsync_directory(path.parent)
        return True
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)


def check_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a file that cannot be a complete plexrate database."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StateError(f"state file {path} cannot be read: {exc.strerror}") from None
    if size == 0:
        raise StateError(f"state file {path} is empty (0 bytes)", hint=_HINT_RESTORE)
    if not header.startswith(_SQLITE_MAGIC):
        looks_json = header.lstrip()[:1] in (b"{", b"[")
        raise StateError(
            f"{path} is not a plexrate state file"
            + (
                " (it looks like JSON, such as the old tool's plex_state.json)"
                if looks_json
                else ""
            ),
            hint="point the state path at a plexrate_state.sqlite file; the old plex_state.json "
            "is imported from its own setting"
            if looks_json
            else _HINT_RESTORE,
        )
    if len(header) < 100:
        raise StateError(f"state file {path} is truncated", hint=_HINT_RESTORE)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # Committed pages may still live in the WAL (a killed process, or an interrupted
        # checkpoint); SQLite completes the file from it, so its size proves nothing yet.
        return
    page_size = int.from_bytes(header[16:18], "big")
    if page_size == 1:
        page_size = 65536
    page_count = int.from_bytes(header[28:32], "big")
    # The in-header page count is only authoritative when the "version-valid-for" number equals
    # the change counter (SQLite file format §1.3.7).
    if header[24:28] == header[92:96] and page_count and size < page_count * page_size:
        raise StateError(
            f"state file {path} is truncated ({size} of {page_count * page_size} bytes)",
            hint=_HINT_RESTORE,
        )


def check_identity(conn: sqlite3.Connection, path: Path) -> int:
    """Return the file's schema version after making sure it is a plexrate state file."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StateError(
            f"state file {path} is not a readable SQLite database ({exc})", hint=_HINT_RESTORE
        ) from None
    if app_id != APPLICATION_ID:
        raise StateError(
            f"{path} is an SQLite database but not a plexrate state file",
            hint="point the state path at a plexrate_state.sqlite file",
        )
    if version > SCHEMA_VERSION:
        raise StateError(
            f"state file {path} was written by a newer plexrate (schema {version}, this one "
            f"knows {SCHEMA_VERSION})",
            hint="upgrade plexrate",
        )
    if version < 1:
        raise StateError(f"state file {path} has no schema", hint=_HINT_RESTORE)
    return int(version)


def quick_check(conn: sqlite3.Connection) -> str | None:
    """The first problem SQLite's quick check finds, as one line; None when the file is sound.

    It reads every page of the file (about a second per 100 MB) and checks the structure of each
    table and index, and the NOT NULL and CHECK constraints; it cannot see a changed byte inside a
    record. A damaged page raises ``sqlite3.DatabaseError`` instead.
    """
    rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    text = " ".join(str(row[0]) for row in rows)
    if text == "ok":
        return None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("***")]
    return "; ".join(lines)[:200] or text[:200]


def migrate(conn: sqlite3.Connection, path: Path, *, version: int) -> Path | None:
    """Bring the schema up to ``SCHEMA_VERSION``; return the backup made first, if any."""
    if version >= SCHEMA_VERSION:
        return None
    backup = path.with_name(f"{path.name}.schema{version}.bak")
    target = sqlite3.connect(backup)
    try:
        conn.backup(target)
    finally:
        target.close()
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another writer (another library in the same file) may have migrated while we waited.
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        while current < SCHEMA_VERSION:
            step = MIGRATIONS.get(current)
            if step is None:
                raise StateError(f"state file {path}: no migration from schema {current}")
            step(conn)
            current += 1
            conn.execute(f"PRAGMA user_version = {current}")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return backup
