"""The integrity check before writing: index-only damage is caught, the full check runs when
something suggests damage, and a damaged file is refused before it is used (issue 17.4)."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from plexrate.errors import StateError
from plexrate.state import schema
from plexrate.state import store as store_module
from plexrate.state.store import META_CHECKED, META_WRITER_OPEN, StateStore
from tests.state.state_helpers import UNDO_SCHEMA_4, change, open_store, write_and_confirm

PAGE = 4096


def _sound(path: Path, *, items: int = 1500, runs: int = 3) -> Path:
    with open_store(path) as store:
        for run in range(runs):
            first = run * 300
            write_and_confirm(
                store,
                [
                    change(1000 + i, after=float(1 + (i + run) % 9))
                    for i in range(first, first + items)
                ],
            )
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _sound(tmp_path_factory.mktemp("sound") / "state.sqlite").read_bytes()


def _leaf_pages(data: bytes, folder: Path, tree: str) -> list[int]:
    copy = folder / "pages.sqlite"
    copy.write_bytes(data)
    with closing(sqlite3.connect(copy)) as conn:
        pages = [
            int(r[0])
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (tree,)
            )
        ]
    copy.unlink()
    return pages


def _quick_check(path: Path) -> str | None:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            return schema.quick_check(conn)
        except sqlite3.DatabaseError as exc:
            return str(exc)


def _flips(data: bytes, pages: list[int], seed: int, count: int) -> Iterator[bytes]:
    """Copies of ``data`` with one bit flipped in the cell area of one of ``pages``."""
    rng = random.Random(seed)
    for _ in range(count):
        page = rng.choice(pages)
        offset = (page - 1) * PAGE
        cells = int.from_bytes(data[offset + 5 : offset + 7], "big")
        at = offset + rng.randrange(cells, PAGE)
        copy = bytearray(data)
        copy[at] ^= 1 << rng.randrange(8)
        yield bytes(copy)


def test_index_only_damage_quick_check_misses_is_refused_before_writing(
    sound: bytes, tmp_path: Path
) -> None:
    """A flipped bit in a journal index entry's key: SQLite's quick check (the old pre-write
    check) calls the file sound; the write-path check refuses it and leaves it as it was."""
    path = tmp_path / "state.sqlite"
    missed = 0
    for content in _flips(sound, _leaf_pages(sound, tmp_path, "journal_by_key"), 5, 40):
        path.write_bytes(content)
        if _quick_check(path) is not None:
            continue
        missed += 1
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            if schema.deep_check(conn) is None:
                continue  # the flip changed nothing SQLite can tell (free space in a cell)
        with open_store(path) as store:  # opening reads, and writes nothing
            assert store.owned()
            with pytest.raises(StateError, match="damaged") as raised:
                store.begin_run(command="run")  # the first write: checked before it
        assert str(path) in str(raised.value)
        assert path.read_bytes() == content
        break
    else:
        pytest.fail(f"no flip that quick_check misses and the deep check sees ({missed} missed)")


@pytest.mark.parametrize(
    "tree",
    ["journal_by_key", "journal_by_run", "owned_by_guid", "owned", "runs_by_library", "journal"],
)
def test_a_bit_flip_is_refused_or_harmless_or_met_before_any_request(
    sound: bytes, tmp_path: Path, tree: str
) -> None:
    """Whatever one flipped bit in a table or index page does, the write path never fails after
    a request would have been sent (confirming a batch, moving a re-keyed record)."""
    path = tmp_path / "state.sqlite"
    refused = 0
    for number, content in enumerate(_flips(sound, _leaf_pages(sound, tmp_path, tree), 11, 25)):
        path.write_bytes(content)
        # Rewritten within the clock tick of the last close, the file may look untouched.
        store_module.forget_checks()
        try:
            store = open_store(path)
        except StateError as exc:
            assert "damaged" in str(exc), exc
            assert path.read_bytes() == content
            refused += 1
            continue
        with store:
            try:
                run = store.begin_run(command="run")  # the first write: checked before it
            except StateError as exc:
                assert "damaged" in str(exc), exc
                assert path.read_bytes() == content
                refused += 1
                continue
            try:
                ids = store.record_intents(
                    run, [change(1000 + i, after=float(1 + i % 9)) for i in range(0, 2000, 3)]
                )
            except StateError as exc:
                # Met while recording intents: nothing of this batch was sent.
                assert "damaged" in str(exc), (number, exc)
                continue
            # From here on the requests would have reached Plex: nothing may fail.
            store.confirm(ids)
            store.rekey(1003, 99_999)
            store.owned()
    assert refused > 0


def test_a_clean_close_needs_only_the_write_path_check(tmp_path: Path) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    with open_store(path) as store:
        assert store.deep_checked is None


def test_a_writer_that_never_closed_makes_the_next_one_check_everything(tmp_path: Path) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    store = open_store(path)
    with closing(sqlite3.connect(path)) as conn:
        marker = "SELECT value FROM meta WHERE name = ?"
        assert not conn.execute(marker, (META_WRITER_OPEN,)).fetchall()  # nothing written yet
        write_and_confirm(store, [change(5000)])
        assert conn.execute(marker, (META_WRITER_OPEN,)).fetchall()  # written with the first write
    # A kill: the process ends without close(); only its connection and lock go away.
    store._teardown()
    with open_store(path) as again:
        assert again.deep_checked is not None
        assert "did not close" in again.deep_checked
    with open_store(path) as third:
        assert third.deep_checked is None


def test_a_new_version_checks_everything_once(tmp_path: Path) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE meta SET value = 'plexrate 0.0.1' WHERE name = ?", (META_CHECKED,))
        conn.commit()
    with open_store(path) as store:
        assert store.deep_checked is not None
        assert "version" in store.deep_checked
    # Nothing else was written, but the passed check was recorded on close: the next rerun with
    # nothing to do is not asked to check everything again.
    with open_store(path) as store:
        assert store.deep_checked is None
        write_and_confirm(store, [change(5000)])
    with open_store(path) as store:
        assert store.deep_checked is None


def test_a_writer_that_writes_nothing_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    before = path.read_bytes()
    with open_store(path) as store:
        store.owned()
        assert store.pending() == []
    assert path.read_bytes() == before


def test_a_file_larger_than_its_header_says_is_checked_fully(tmp_path: Path) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    with path.open("ab") as handle:
        handle.write(bytes(PAGE))
    with open_store(path) as store:
        assert store.deep_checked is not None
        assert "size" in store.deep_checked


@pytest.mark.parametrize("tree", ["journal_by_key", "journal_by_run", "owned_by_guid"])
def test_the_write_path_check_sees_the_index_damage_the_deep_check_sees(
    sound: bytes, tmp_path: Path, tree: str
) -> None:
    """On index pages the cheap check finds what SQLite's full check finds (measured: 279 of
    280 flipped bits over three indexes, where quick_check found 29); verify(deep=...) reports."""
    path = tmp_path / "state.sqlite"
    path.write_bytes(sound)
    with open_store(path, readonly=True) as store:
        assert store.verify() == []
        assert store.verify(deep=True) == []
    deep_found = fast_found = 0
    for content in _flips(sound, _leaf_pages(sound, tmp_path, tree), 3, 30):
        path.write_bytes(content)
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            try:
                deep = schema.deep_check(conn)
            except sqlite3.DatabaseError as exc:
                deep = str(exc)
        if deep is None:
            continue
        deep_found += 1
        with open_store(path, readonly=True) as store:
            try:
                fast = store.verify()
            except StateError as exc:
                fast = [str(exc)]
        fast_found += bool(fast)
    assert deep_found >= 20
    assert fast_found >= deep_found - 1


def test_a_schema_2_file_is_upgraded_and_checked(tmp_path: Path) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(
            "DROP INDEX journal_by_run; CREATE INDEX journal_by_run ON journal(run_id, id);"
            "DROP INDEX journal_pending; CREATE INDEX journal_pending ON journal(library_id, id)"
            " WHERE status = 'pending'; DROP TABLE journal_compact;"
            "ALTER TABLE runs DROP COLUMN compacted_at;"
            "ALTER TABLE runs DROP COLUMN compacted_counts; PRAGMA user_version = 2;"
            + UNDO_SCHEMA_4
        )
    with open_store(path) as store:
        assert store.migration_backup is not None
        assert store.deep_checked is not None  # a new schema: checked fully once
        assert len(store.owned()) == 50
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        columns = [r[2] for r in conn.execute("PRAGMA index_info(journal_by_run)")]
        assert columns == ["run_id"]
    # The upgrade wrote to the file and recorded its full check: the next writer, with nothing
    # to write either, is not asked to check everything again.
    with open_store(path) as store:
        assert store.deep_checked is None


def test_the_free_page_list_is_walked(tmp_path: Path) -> None:
    path = _sound(tmp_path / "state.sqlite", items=400, runs=1)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DELETE FROM journal WHERE id % 2 = 0")
        conn.commit()
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        conn.execute("REINDEX")
        conn.commit()
    assert free > 0
    with closing(sqlite3.connect(path)) as conn:
        assert schema.check_write_path(conn, path) is None
        trunk = int.from_bytes(path.read_bytes()[32:36], "big")
    data = bytearray(path.read_bytes())
    at = (trunk - 1) * PAGE + 8
    data[at : at + 4] = (10**6).to_bytes(4, "big")  # a free page far past the end of the file
    path.write_bytes(bytes(data))
    with closing(sqlite3.connect(path)) as conn:
        problem = schema.check_write_path(conn, path)
    assert problem is not None
    assert "free-page list" in problem


def _touch(store: StateStore) -> None:
    """A write: the write-path check is due before a writer's first one."""
    store.set_meta("touched", repr(time.time()))


def _counting_checks(monkeypatch: pytest.MonkeyPatch) -> list[Path | None]:
    calls: list[Path | None] = []
    real = schema.check_write_path

    def counted(conn: sqlite3.Connection, path: Path | None = None) -> str | None:
        calls.append(path)
        return real(conn, path)

    monkeypatch.setattr(schema, "check_write_path", counted)
    return calls


def test_a_file_this_process_checked_and_closed_untouched_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plexrate watch`` opens the file every cycle: the check it passed a moment ago stands
    while nothing else wrote the file (issue 23)."""
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    store_module.forget_checks()  # _sound's own writer closed it
    calls = _counting_checks(monkeypatch)
    with open_store(path) as store:
        write_and_confirm(store, [change(5000)])
    with open_store(path) as store:
        store.owned()
    assert len(calls) == 1
    # A read-only look changes nothing.
    with open_store(path, readonly=True) as reader:
        reader.owned()
    with open_store(path) as store:
        _touch(store)
    assert len(calls) == 1


def test_a_file_written_by_someone_else_or_long_ago_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    store_module.forget_checks()  # _sound's own writer closed it
    calls = _counting_checks(monkeypatch)
    with open_store(path) as store:
        _touch(store)
    # Another program writes the file (another plexrate process, a restored copy).
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE meta SET value = value WHERE name = ?", (META_CHECKED,))
        conn.execute("CREATE TABLE other (x)")
        conn.commit()
    with open_store(path) as store:
        _touch(store)
    assert len(calls) == 2
    with open_store(path) as store:
        _touch(store)
    assert len(calls) == 2
    monkeypatch.setattr(store_module, "CHECK_REUSE_SECONDS", 0.0)
    with open_store(path) as store:
        _touch(store)
    assert len(calls) == 3


def test_damage_after_the_close_is_still_refused(sound: bytes, tmp_path: Path) -> None:
    """A file changed in place after this process closed it is checked, and refused when
    damaged, like a file never seen."""
    path = tmp_path / "state.sqlite"
    for content in _flips(sound, _leaf_pages(sound, tmp_path, "journal_by_key"), 5, 40):
        path.write_bytes(content)
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            try:
                if schema.check_write_path(conn, path) is None:
                    continue  # a flip the write-path check cannot see anyway
            except sqlite3.DatabaseError:
                pass
        path.write_bytes(sound)
        store_module.forget_checks()
        with open_store(path) as store:
            _touch(store)
        # Past the file system's clock tick, as any later write is.
        time.sleep(0.05)
        path.write_bytes(content)
        with pytest.raises(StateError, match="damaged"), open_store(path) as store:
            _touch(store)
        return
    pytest.fail("no flip the write-path check sees")


def test_the_trust_in_a_check_ends_however_often_the_file_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    store_module.forget_checks()
    calls = _counting_checks(monkeypatch)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    for _ in range(12):  # a watch cycle a minute
        with open_store(path) as store:
            _touch(store)
        clock[0] += 60
    # Checked at 0 and again once ten minutes had passed since: not pushed back by every open.
    assert len(calls) == 2


def test_a_file_replaced_while_open_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(path.read_bytes())
    store_module.forget_checks()
    calls = _counting_checks(monkeypatch)
    with open_store(path) as store:
        _touch(store)
        copy.replace(path)  # another program swaps the file while this writer has it open
    with open_store(path) as store:
        _touch(store)
    assert len(calls) == 2


def test_a_state_path_that_is_a_link_is_signed_by_the_real_file_and_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real").mkdir()
    real = _sound(tmp_path / "real" / "state.sqlite", items=50, runs=1)
    link = tmp_path / "state.sqlite"
    link.symlink_to(real)
    store_module.forget_checks()
    calls = _counting_checks(monkeypatch)
    with open_store(link) as store:
        _touch(store)
    # Another process writes through the real file and leaves its write-ahead log behind.
    keep = sqlite3.connect(real)
    try:
        keep.execute("PRAGMA journal_mode = WAL")
        keep.execute("CREATE TABLE other (x)")
        keep.commit()
        assert real.with_name(real.name + "-wal").stat().st_size > 0
        with open_store(link) as store:
            _touch(store)
    finally:
        keep.close()
    assert len(calls) == 2


def test_the_write_path_check_waits_for_the_first_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that only reads (a rerun with nothing to do) depends on nothing the check
    protects and is spared it; one that writes is checked before its first write, once."""
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    store_module.forget_checks()
    calls = _counting_checks(monkeypatch)
    before = path.read_bytes()
    with open_store(path) as store:
        assert len(store.owned()) == 50
    assert calls == []
    assert path.read_bytes() == before
    with open_store(path) as store:
        assert calls == []
        _touch(store)
        assert calls == [path]
        write_and_confirm(store, [change(7000)])
    assert calls == [path]


def test_a_file_whose_journal_mode_opening_switches_is_checked_on_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Switching the journal mode writes the file's header: not before the file is known sound.
    path = _sound(tmp_path / "state.sqlite", items=50, runs=1)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    store_module.forget_checks()
    calls = _counting_checks(monkeypatch)
    with open_store(path) as store:
        assert calls == [path]
        assert store.journal_mode == "wal"


def test_a_command_about_to_write_to_plex_first_can_ask_for_the_check(
    sound: bytes, tmp_path: Path
) -> None:
    """``doctor`` clears an interrupted probe's rating in Plex before it writes to the file: it
    asks for the check first, and a damaged file stops it there."""
    path = tmp_path / "state.sqlite"
    for content in _flips(sound, _leaf_pages(sound, tmp_path, "journal_by_key"), 5, 40):
        path.write_bytes(content)
        store_module.forget_checks()
        try:
            with open_store(path) as store:
                store.check_before_writing()
        except StateError as exc:
            assert "damaged" in str(exc)
            assert path.read_bytes() == content
            return
    pytest.fail("no flip the write-path check sees")
