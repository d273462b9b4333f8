"""What is at the state path: new files, foreign or damaged files, schema versions."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from plexrate.errors import StateError
from plexrate.state import schema
from tests.state.state_helpers import UNDO_SCHEMA_4, change, open_store, write_and_confirm


def _filled(path: Path, items: int = 2000) -> Path:
    with open_store(path) as store:
        write_and_confirm(store, [change(k) for k in range(1, items + 1)])
    return path


def test_a_new_file_is_stamped_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "plexrate_state.sqlite"
    with open_store(path) as store:
        assert store.created
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["plexrate_state.sqlite", f"plexrate_state.sqlite.{store.library_uuid}.lock"]
    with open_store(path) as again:
        assert not again.created


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b'{"version": "1", "library_uuid": "x", "ratings": {}}', "looks like JSON"),
        (b"\x00\xff garbage " * 400, "not a plexrate state file"),
        (b"SQLite format 3\x00" + b"\x10\x00", "truncated"),
    ],
)
def test_a_file_that_is_not_a_state_database_is_refused_and_kept(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "plexrate_state.sqlite"
    path.write_bytes(content)
    for readonly in (False, True):
        with pytest.raises(StateError, match=message):
            open_store(path, readonly=readonly)
    assert path.read_bytes() == content  # never "repaired" into an empty state


def test_another_programs_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plexrate_state.sqlite"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE metadata_items (id INTEGER)")
    with pytest.raises(StateError, match="SQLite database but not a plexrate state file"):
        open_store(path)


def test_a_truncated_state_file_is_refused(tmp_path: Path) -> None:
    path = _filled(tmp_path / "plexrate_state.sqlite")
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    with pytest.raises(StateError, match="truncated"):
        open_store(path)
    assert path.stat().st_size == size // 2


def test_a_corrupted_page_is_reported_not_read_as_empty(tmp_path: Path) -> None:
    path = _filled(tmp_path / "plexrate_state.sqlite")
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(4096 * 2)
        handle.write(os.urandom(size - 4096 * 3))
    with pytest.raises(StateError, match="damaged"), open_store(path, readonly=True) as store:
        store.owned()
        store.journal()


def test_verify_reports_a_sound_file_as_sound(tmp_path: Path) -> None:
    path = _filled(tmp_path / "plexrate_state.sqlite", items=50)
    with open_store(path, readonly=True) as store:
        assert store.verify() == []


def test_a_missing_folder_is_an_error_not_created(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "state.sqlite"
    with pytest.raises(StateError, match="does not exist"):
        open_store(path)
    assert not (tmp_path / "no").exists()


def test_a_file_from_a_newer_plexrate_is_refused(tmp_path: Path) -> None:
    path = _filled(tmp_path / "plexrate_state.sqlite", items=1)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match="newer plexrate"):
        open_store(path)


def test_the_migration_hook_upgrades_after_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _filled(tmp_path / "plexrate_state.sqlite", items=3)
    old = schema.SCHEMA_VERSION

    def add_column(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE owned ADD COLUMN source TEXT")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", old + 1)
    monkeypatch.setitem(schema.MIGRATIONS, old, add_column)

    with pytest.raises(StateError, match="older schema"):
        open_store(path, readonly=True)
    with open_store(path) as store:
        assert store.migration_backup is not None
        assert store.migration_backup.exists()
        assert len(store.owned()) == 3
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == old + 1
        columns = {row[1] for row in conn.execute("PRAGMA table_info(owned)")}
        assert "source" in columns
    with open_store(path, readonly=True) as store:
        assert len(store.owned()) == 3


def test_a_failing_migration_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _filled(tmp_path / "plexrate_state.sqlite", items=3)
    old = schema.SCHEMA_VERSION

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM owned")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", old + 1)
    monkeypatch.setitem(schema.MIGRATIONS, old, broken)
    with pytest.raises(RuntimeError, match="migration bug"):
        open_store(path)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", old)
    with open_store(path, readonly=True) as store:
        assert len(store.owned()) == 3


def test_a_schema_1_file_is_read_as_is_and_upgraded_by_a_writer(tmp_path: Path) -> None:
    """Schema 2 only adds ``field_locks``: dry runs and reports read a schema-1 file without
    asking for a writing command first; the next writer adds the table."""
    path = _filled(tmp_path / "plexrate_state.sqlite", items=3)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TABLE field_locks")
        # Schema 3's parts too: a file as schema 1 left it.
        conn.executescript(
            "DROP TABLE journal_compact; ALTER TABLE runs DROP COLUMN compacted_at;"
            "ALTER TABLE runs DROP COLUMN compacted_counts;"
            "DROP INDEX journal_by_run; CREATE INDEX journal_by_run ON journal(run_id, id);"
            + UNDO_SCHEMA_4
        )
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    with open_store(path, readonly=True) as store:
        assert len(store.owned()) == 3
        assert store.owned_stamp() is None
        assert store.field_locks() == {}
        assert len(store.runs()) == 1
        assert store.compacted_runs() == set()
        assert len(store.original_values()) == 3
    with open_store(path) as store:
        assert store.migration_backup is not None
        store.record_locks([(1, "mood", True)])
        assert store.field_locks() == {1: {"mood": True}}
        stamp = store.owned_stamp()
        assert stamp is not None
        write_and_confirm(store, [change(9)])
        assert store.owned_stamp() not in (None, stamp)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_the_ownership_stamp_moves_with_every_claim_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "plexrate_state.sqlite"
    with open_store(path) as store:
        assert store.owned_stamp() is None  # the library is not in the file yet
        write_and_confirm(store, [change(1), change(2)])  # claims made
        stamps = [store.owned_stamp()]
        write_and_confirm(store, [change(3, own=None, add_tags=("Other",))])  # no claim
        assert store.owned_stamp() == stamps[-1]
        store.set_meta("note", "not ownership")
        assert store.owned_stamp() == stamps[-1]
        store.rekey(1, 11)  # a claim moved
        stamps.append(store.owned_stamp())
        store.drop_owned([2])  # a claim dropped
        stamps.append(store.owned_stamp())
    with open_store(path, library="another") as other:
        write_and_confirm(other, [change(5)])  # another library's claims
    with open_store(path, readonly=True) as store:
        assert store.owned_stamp() == stamps[-1]
    assert None not in stamps
    assert len(set(stamps)) == len(stamps)


def test_a_schema_3_file_gains_a_stamp_for_every_library(tmp_path: Path) -> None:
    path = _filled(tmp_path / "plexrate_state.sqlite", items=3)
    with open_store(path, library="another") as other:
        write_and_confirm(other, [change(5)])
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(UNDO_SCHEMA_4 + "PRAGMA user_version = 3;")
    with open_store(path, readonly=True) as store:
        assert store.owned_stamp() is None  # read as it is: proves nothing
        assert len(store.owned()) == 3
    with open_store(path) as store:
        assert store.migration_backup is not None
        stamp = store.owned_stamp()
        assert stamp is not None
    with open_store(path, library="another") as other:
        assert other.owned_stamp() not in (None, stamp)
        other.drop_owned([5])
    with open_store(path, readonly=True) as store:
        assert store.owned_stamp() == stamp
