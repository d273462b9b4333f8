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
SCHEMA_VERSION = 4

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HINT_RESTORE = "restore it from a backup, or move it away to start a new state file"

_OWNED_STAMP_TRIGGERS = tuple(
    f"""
CREATE TRIGGER owned_stamp_{event.lower()} AFTER {event} ON owned BEGIN
    UPDATE meta SET value = lower(hex(randomblob(12)))
    WHERE library_id IN ({rows}) AND name = 'owned_stamp';
END"""
    for event, rows in (
        ("INSERT", "NEW.library_id"),
        ("UPDATE", "OLD.library_id, NEW.library_id"),
        ("DELETE", "OLD.library_id"),
    )
)
"""Keep ``META_OWNED_STAMP``: a new random value with every row inserted, changed or deleted.
Triggers, not the store's code, so no way of changing ``owned`` can leave the stamp behind."""

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
    pid         INTEGER,
    compacted_at REAL,
    compacted_counts TEXT
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
CREATE INDEX journal_by_run ON journal(run_id);
CREATE INDEX journal_by_key ON journal(library_id, key);
CREATE INDEX journal_pending ON journal(library_id) WHERE status = 'pending';

CREATE TABLE journal_compact (
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key          INTEGER NOT NULL,
    item_type    TEXT NOT NULL CHECK (item_type IN ('artist', 'album', 'track')),
    guid         TEXT NOT NULL DEFAULT '',
    wrote_rating INTEGER NOT NULL CHECK (wrote_rating IN (0, 1)),
    before       REAL CHECK (before BETWEEN 0 AND 10),
    last_written REAL CHECK (last_written BETWEEN 0 AND 10),
    tags_added   TEXT NOT NULL DEFAULT '[]',
    tags_removed TEXT NOT NULL DEFAULT '[]',
    first_run_id INTEGER NOT NULL,
    last_run_id  INTEGER NOT NULL,
    rating_phase TEXT NOT NULL DEFAULT '',
    rating_twin  INTEGER NOT NULL DEFAULT 0 CHECK (rating_twin IN (0, 1)),
    own          INTEGER CHECK (own IN (0, 1)),
    handed_over  REAL CHECK (handed_over BETWEEN 0 AND 10),
    PRIMARY KEY (library_id, key)
) WITHOUT ROWID;

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
""" + "".join(trigger + ";\n" for trigger in _OWNED_STAMP_TRIGGERS)

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


def _upgrade_2_to_3(conn: sqlite3.Connection) -> None:
    """Schema 2 to 3: compacted runs, and journal indexes that name ``id`` once.

    ``journal_compact`` holds, per item, what undo needs from runs whose journal was compacted
    (``StateStore.compact``); ``runs`` records when a run was compacted and its counts.

    ``id`` is the rowid, which every index entry ends with, so the old indexes held it twice:
    SQLite searches by the first copy but a scan reads only the second, and a changed byte in
    the first could pass every check but SQLite's full one (see ``check_write_path``). The
    order of the entries is the same.
    """
    conn.execute("DROP INDEX journal_by_run")
    conn.execute("CREATE INDEX journal_by_run ON journal(run_id)")
    conn.execute("DROP INDEX journal_pending")
    conn.execute("CREATE INDEX journal_pending ON journal(library_id) WHERE status = 'pending'")
    conn.execute("ALTER TABLE runs ADD COLUMN compacted_at REAL")
    conn.execute("ALTER TABLE runs ADD COLUMN compacted_counts TEXT")
    table = SCHEMA[SCHEMA.index("CREATE TABLE journal_compact") :]
    conn.execute(table[: table.index(";") + 1])


META_OWNED_STAMP = "owned_stamp"
"""A random value the triggers above replace with every change to a library's ``owned`` rows,
whatever makes it (a run, an import, undo, a re-key, a hand edit with the sqlite3 shell). Two
reads of the same value saw the same ownership record, which lets a rerun with nothing new skip
loading and hashing every claim (issue 23, ``session.plan_fingerprint``). The row is made with
its library; a missing row means "unknown", never "unchanged"."""


def _add_owned_stamp(conn: sqlite3.Connection) -> None:
    """Schema 3 to 4: the ownership stamp (``META_OWNED_STAMP``) and the triggers that keep it."""
    for trigger in _OWNED_STAMP_TRIGGERS:
        conn.execute(trigger)
    conn.execute(
        "INSERT OR IGNORE INTO meta (library_id, name, value) "
        "SELECT id, ?, lower(hex(randomblob(12))) FROM libraries",
        (META_OWNED_STAMP,),
    )


MIGRATIONS: dict[int, Migration] = {
    1: _add_field_locks,
    2: _upgrade_2_to_3,
    3: _add_owned_stamp,
}
"""``MIGRATIONS[n]`` upgrades a schema at version ``n`` to ``n + 1``, inside one transaction.

Add an entry (and bump ``SCHEMA_VERSION``) when the schema changes; ``migrate`` backs the file up
before running any of them.
"""

ADDITIVE: frozenset[int] = frozenset({1, 2, 3})
"""Migrations (by the version they start from) that only add what a reader does without: a
read-only store (a dry run, a report) opens a file they have not run on yet, rather than asking
for a writing command first. ``field_locks`` matters only to writers and to undo; schema 3's
compacted runs are absent from an older file (the store reads none), and its index change does
not change what a query returns. Without schema 4's ownership stamp a reader hashes the claims
themselves, as before."""


def readable_as_is(version: int) -> bool:
    """Whether a read-only store may use a file at ``version`` without its migrations."""
    return all(step in ADDITIVE for step in range(version, SCHEMA_VERSION))


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


def set_journal(conn: sqlite3.Connection, *, wal: bool = True) -> str:
    """Switch the file to WAL (``wal`` False: the rollback journal, for network filesystems,
    see ``netfs``) and full sync; returns the journal mode the file has now."""
    # The mode is recorded in the file's header: switching a file writes to the file.
    mode = str(conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}").fetchone()[0])
    # NORMAL would survive any kill of this process (a WAL commit is in the OS's hands once
    # written), but the write-ahead rule must also hold across a power cut or an OS crash: an
    # intent lost after its request reached Plex would turn an inferred rating into a "manual"
    # one. FULL costs one fsync per commit, and plexrate commits once per batch of a few hundred
    # writes, each batch being an HTTP round trip anyway.
    conn.execute("PRAGMA synchronous = FULL")
    return mode.lower()


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


def create_database(path: Path, *, busy_timeout_ms: int, wal: bool = True) -> bool:
    """Create a new state file at ``path`` unless one appears there first; True if we made it.

    The schema is built in a temporary file which is then linked into place, so the state path
    only ever holds a complete database: a process killed halfway leaves a stray temporary file,
    never an empty or half-built state file that the next start would have to refuse.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    tmp.unlink(missing_ok=True)
    try:
        conn = connect(tmp, readonly=False, busy_timeout_ms=busy_timeout_ms, journal=False)
        try:
            set_journal(conn, wal=wal)
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


def check_file(path: Path) -> str | None:
    """Refuse, before SQLite touches it, a file that cannot be a complete plexrate database.

    Returns why the file deserves the full integrity check although it looks complete (its size
    or header disagree with what SQLite itself leaves), or None.
    """
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
        return None
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
    if header[24:28] != header[92:96]:
        return "its header's page count is stale (another program wrote it)"
    if size != page_count * page_size:
        return f"its size ({size} bytes) is not the {page_count} pages its header names"
    return None


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


GROWING_TABLES = frozenset({"journal"})
"""Tables that grow with every run rather than with the library: the write-path check compares
their indexes with the table by fingerprints instead of probing every row (see
``check_write_path``)."""

# ``PRAGMA integrity_check(TABLE)`` (one table and its indexes) exists since SQLite 3.33.0.
_TABLE_CHECK = sqlite3.sqlite_version_info >= (3, 33, 0)


def check_write_path(conn: sqlite3.Connection, path: Path | None = None) -> str | None:
    """The first problem in what a writing command depends on; None when it is sound.

    Run before a writing command's first write, so its cost must not grow with the file's
    history. SQLite's
    ``quick_check`` reads every page but does not compare an index with its table, so an index
    entry whose key bytes changed passes it, and the first UPDATE or DELETE that has to find that
    entry fails with "database disk image is malformed" after Plex took the write (issue 17.4).
    Here:

    * every table bounded by the library's size (ownership, runs, metadata) gets SQLite's full
      ``integrity_check`` for that table and its indexes (structure, constraints, every row
      found in every index), and its text is read (a changed byte can leave text that does not
      decode, which the write reading that row back would meet);
    * a table that grows with every run (the journal) is read once through the table and once
      through each index, and the counts, rowids and key values (for text: length and end
      characters) must add up to the same totals. Reading a page makes SQLite check its
      structure, so this also finds a damaged page of the table or of an index;
    * the free-page list, which a growing table takes new pages from, is walked.

    ``deep_check`` is the full check, for when something suggests damage.
    """
    conn.execute("PRAGMA cell_size_check = ON")
    if not _TABLE_CHECK:
        return deep_check(conn)
    tables = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        ).fetchall()
    ]
    for table in tables:
        if table in GROWING_TABLES:
            problem = _cross_check(conn, table)
        else:
            problem = _first_problem(conn.execute(f"PRAGMA integrity_check({_quote(table)})"))
            problem = problem or _undecodable(conn, table)
        if problem is not None:
            return problem
    return _freelist_problem(conn, path)


def _undecodable(conn: sqlite3.Connection, table: str) -> str | None:
    """Read every text value of ``table``: a changed byte can leave text that is not UTF-8,
    which no SQLite check sees and which fails the write that reads the row back."""
    columns = [
        _quote(str(info[1]))
        for info in conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        if str(info[2]).upper() == "TEXT"
    ]
    if not columns:
        return None
    cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {_quote(table)}")
    try:
        while cursor.fetchmany(4096):
            pass
    except sqlite3.OperationalError as exc:
        return f"table {table}: {exc}"
    return None


def deep_check(conn: sqlite3.Connection) -> str | None:
    """SQLite's full ``integrity_check``: every page, every index entry against its row, every
    constraint (about a second per 100 MB of state file); None when the file is sound."""
    return _first_problem(conn.execute("PRAGMA integrity_check(20)"))


def quick_check(conn: sqlite3.Connection) -> str | None:
    """SQLite's quick check (every page's structure, not an index's content against its table);
    kept for comparison in tests and benchmarks."""
    return _first_problem(conn.execute("PRAGMA quick_check(20)"))


def _first_problem(cursor: sqlite3.Cursor) -> str | None:
    rows = cursor.fetchall()
    text = "\n".join(str(row[0]) for row in rows)
    if text == "ok":
        return None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("***")]
    return "; ".join(lines)[:200] or text[:200]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fingerprint(expr: str) -> str:
    """An SQL total over ``expr`` that changes when any value changes (for text: its length or
    its first or last character; a changed middle character is left to the deep check)."""
    return (
        f"total(CASE typeof({expr}) WHEN 'text' THEN "
        f"length({expr}) * 1000003 + unicode({expr}) * 31 + unicode(substr({expr}, -1)) "
        f"WHEN 'blob' THEN length({expr}) ELSE {expr} END)"
    )


def _cross_check(conn: sqlite3.Connection, table: str) -> str | None:
    """Compare ``table`` with each of its indexes by totals (see ``check_write_path``)."""
    name = _quote(table)
    indexes: list[tuple[str, list[str], str | None]] = []
    for row in conn.execute(f"PRAGMA index_list({name})").fetchall():
        index, partial = str(row[1]), bool(row[4])
        columns = [
            str(info[2])
            for info in conn.execute(f"PRAGMA index_xinfo({_quote(index)})").fetchall()
            if info[5] and info[2] is not None
        ]
        where = None
        if partial:
            sql = conn.execute(
                "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?", (index,)
            ).fetchone()[0]
            where = str(sql)[str(sql).upper().rindex(" WHERE ") + 7 :]
        indexes.append((index, columns, where))
    numeric = {
        str(info[1])
        for info in conn.execute(f"PRAGMA table_info({name})").fetchall()
        if str(info[2]).upper() in ("INTEGER", "REAL")
    }

    def total(expr: str, column: str | None) -> str:
        # A plain sum for numbers (most of the cost is evaluating expressions per row).
        return f"total({expr})" if column is None or column in numeric else _fingerprint(expr)

    # One pass over the table computes every index's totals, each distinct one once.
    parts: dict[str, int] = {}
    plans: list[tuple[str, str, list[str], str | None]] = []
    for index, columns, where in indexes:
        wanted = [("1", None), ("rowid", None), *((_quote(c), c) for c in columns)]
        keys = []
        for expr, column in wanted:
            inner = expr if where is None else f"CASE WHEN {where} THEN {expr} END"
            key = f"count({inner})" if expr == "1" else total(inner, column)
            parts.setdefault(key, len(parts))
            keys.append(key)
        found = ["count(*)", "total(rowid)", *(total(_quote(c), c) for c in columns)]
        query = f"SELECT {', '.join(found)} FROM {name} INDEXED BY {_quote(index)}"
        plans.append((index, query + ("" if where is None else f" WHERE {where}"), keys, where))
    if not parts:
        return None
    totals = conn.execute(f"SELECT {', '.join(parts)} FROM {name} NOT INDEXED").fetchone()
    for index, query, keys, _ in plans:
        expected = tuple(totals[parts[key]] for key in keys)
        if tuple(conn.execute(query).fetchone()) != expected:
            return f"index {index} does not match table {table}"
    return None


def _freelist_problem(conn: sqlite3.Connection, path: Path | None) -> str | None:
    """Walk the list of free pages: every page number in range, none twice, as many as the header
    says. A damaged list would hand a page in use to the next insert.

    The list is read from the file itself (SQLite builds rarely include the page-reading table).
    That is only the current list when no write-ahead log holds newer pages; otherwise (or for
    an in-memory database) SQLite's quick check walks it.
    """
    free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    if free == 0:
        return None
    wal = None if path is None else path.with_name(path.name + "-wal")
    if path is None or wal is None or (wal.exists() and wal.stat().st_size > 0):
        return quick_check(conn)
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
            trunk = int.from_bytes(header[32:36], "big")
            if int.from_bytes(header[36:40], "big") != free:
                return "the free-page count in the header does not match"
            seen: set[int] = set()
            while trunk:
                if not 2 <= trunk <= pages or trunk in seen:
                    return f"free-page list: bad trunk page {trunk}"
                seen.add(trunk)
                handle.seek((trunk - 1) * page_size)
                page = handle.read(page_size)
                if len(page) < page_size:
                    return f"free-page list: trunk page {trunk} is past the end of the file"
                count = int.from_bytes(page[4:8], "big")
                if count > page_size // 4 - 2:
                    return f"free-page list: trunk page {trunk} lists {count} pages"
                for at in range(8, 8 + 4 * count, 4):
                    leaf = int.from_bytes(page[at : at + 4], "big")
                    if not 2 <= leaf <= pages or leaf in seen:
                        return f"free-page list: bad page {leaf}"
                    seen.add(leaf)
                if len(seen) > free:
                    break
                trunk = int.from_bytes(page[0:4], "big")
    except OSError as exc:
        return f"cannot read the free-page list ({exc.strerror or exc})"
    if len(seen) != free:
        return f"free-page list holds {len(seen)} pages, the header says {free}"
    return None


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
