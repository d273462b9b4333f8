"""A full disk, a read-only or vanished state folder: one clear line (exit 1) naming the path and
what to do, before any write to Plex, and nothing half-written (issue 16.4)."""

from __future__ import annotations

import os
import sqlite3
from errno import EROFS
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import generate_library
from plexrate.errors import StateError
from plexrate.model import Change, ItemType, Phase
from plexrate.state import StateStore, schema
from plexrate.state.lock import LibraryLock
from tests.reliability.reliability_helpers import Target, assert_one_line_error, serve

pytestmark = pytest.mark.integration


def _run(tmp_path: Path) -> tuple[Any, Target]:
    emu = serve(generate_library(tracks=300, seed=8))
    target = Target(emu, tmp_path, {})
    try:
        return target.invoke("run", "--apply", "--yes"), target
    finally:
        emu.stop()


def test_too_little_free_space_is_refused_before_the_first_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.statvfs

    def tiny(path: Any) -> Any:
        stat = real(path)
        return os.statvfs_result((*stat[:4], 10, *stat[5:])) if str(path) == str(tmp_path) else stat

    monkeypatch.setattr(os, "statvfs", tiny)
    result, target = _run(tmp_path)
    assert result.exit_code == 1, result.stderr
    error = assert_one_line_error(result.stderr, contains=str(target.state))
    assert f"Error: the disk holding state file {target.state} has 0.0 MB free; recording " in error
    assert (
        f"(free some space in {tmp_path} or point STATE_PATH at another disk; nothing was " in error
    )
    assert target.emu.stats().writes == 0


def test_a_disk_that_fills_up_stops_before_the_batch_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own "database or disk is full" (a page limit makes it real): the run stops with
    what to do, not "damaged", and every write sent so far stays recorded."""
    set_journal = schema.set_journal

    def limited(conn: sqlite3.Connection, *, wal: bool = True) -> str:
        mode = set_journal(conn, wal=wal)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return mode

    monkeypatch.setattr(schema, "set_journal", limited)
    result, target = _run(tmp_path)
    assert result.exit_code == 1, result.stderr
    error = assert_one_line_error(result.stderr, contains=str(target.state))
    assert error.startswith(f"Error: the disk holding state file {target.state} is full (free ")
    assert "plexrate stopped before its next write to Plex" in error
    assert "damaged" not in error
    assert target.emu.stats().writes == 0
    monkeypatch.undo()
    with StateStore(target.state, library_uuid="x", readonly=True) as store:
        assert store.verify(deep=True) == []


def test_a_read_only_state_folder_is_named_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: LibraryLock, **_: Any) -> None:
        raise OSError(EROFS, "Read-only file system", str(self.path))

    monkeypatch.setattr(LibraryLock, "acquire", refuse)
    result, target = _run(tmp_path)
    assert result.exit_code == 1, result.stderr
    error = assert_one_line_error(result.stderr, contains=str(target.state))
    assert error.startswith(
        f"Error: state file {target.state} cannot be written: it or its folder is read-only "
        f"(make {tmp_path} and the file writable for this user, or point STATE_PATH at a "
        "writable folder"
    )
    assert "unexpected" not in error
    assert target.emu.stats().writes == 0


def test_a_folder_that_vanishes_mid_run_stops_before_the_next_batch(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    store = StateStore(folder / "plexrate_state.sqlite", library_uuid="lib")
    try:
        run = store.begin_run(command="run")
        store.confirm(store.record_intents(run, [_change(1)]))
        folder.rename(tmp_path / "moved")
        with pytest.raises(StateError) as raised:
            store.record_intents(run, [_change(2)])
        assert str(raised.value) == (
            f"the folder of state file {folder / 'plexrate_state.sqlite'} has vanished (restore "
            f"{folder} (or point STATE_PATH at the file's new place); plexrate stopped before "
            "its next write to Plex; the next run picks up from there)"
        )
    finally:
        store.close()


def _change(key: int) -> Change:
    return Change(
        key=key,
        item_type=ItemType.TRACK,
        title=f"item {key}",
        phase=Phase.TRACK_DOWN,
        reason="test",
        before=None,
        after=7.0,
        own=True,
    )
