"""A damaged ``plexrate_state.sqlite`` at the level of ``plexrate run``: reported, never read as
empty, and never a reason to write to Plex.

The library has work to do (the person re-rated tracks since the last run), so a state file
silently read as empty or partial would show up as writes. Each damaged copy of a sound state file
must either fail before anything is sent (exit 1, naming the file and what to do) or, where the
damage lies in bytes SQLite never reads, end exactly as the sound file does.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import generate_library
from tests.reliability.reliability_helpers import (
    STATE_NAME,
    TOKEN,
    Outcome,
    Target,
    assert_one_line_error,
    assert_same_outcome,
    serve,
)

pytestmark = pytest.mark.integration

PAGE = 4096
RESTORE = "restore it from a backup, or move it away to start a new state file"


@dataclass(frozen=True)
class Sound:
    """A library the person changed since plexrate's last run, the state file of that run, and
    where a run with the sound file ends."""

    library: dict[str, Any]
    state: bytes
    outcome: Outcome
    writes: int


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sound]:
    folder = tmp_path_factory.mktemp("sound")
    emu = serve(generate_library(tracks=250, seed=45))
    try:
        target = Target(emu, folder, {})
        assert target.invoke_json("run", "--apply", "--yes")["status"] == "completed"
        library = emu.dump()
    finally:
        emu.stop()
    # The person re-rates a few tracks in Plex: their albums' inferred ratings must move.
    tracks = next(s for s in library["sections"] if s["type"] == "artist")["tracks"]
    rated = [
        t for t in tracks if t.get("userRating") and "Rating_Inferred" not in t.get("moods", ())
    ]
    for track in rated[:12]:
        track["userRating"] = 10.0 if track["userRating"] < 6 else 2.0
    state = (folder / STATE_NAME).read_bytes()
    assert not (folder / f"{STATE_NAME}-wal").exists()  # closed: every page is in the file

    emu = serve(library)
    try:
        target = Target(emu, tmp_path_factory.mktemp("sound-rerun"), {})
        target.state.write_bytes(state)
        summary = target.invoke_json("run", "--apply", "--yes")
        assert summary["written"] > 0
        yield Sound(library, state, target.outcome(), emu.stats().writes)
    finally:
        emu.stop()


def run_on(sound: Sound, folder: Path, content: bytes, *args: str) -> tuple[Any, Target]:
    """``plexrate run ARGS`` with ``content`` at the state path; returns the result and target."""
    emu = serve(sound.library)
    target = Target(emu, folder, {})
    target.state.write_bytes(content)
    try:
        return target.invoke("run", "--yes", *args), target
    finally:
        emu.stop()


def assert_refused(result: Any, target: Target, content: bytes, *, says: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    error = assert_one_line_error(result.stderr, contains=str(target.state))
    assert says in error
    assert target.emu.stats().writes == 0
    assert target.state.read_bytes() == content  # kept as it was, never "repaired" to empty


def page_count(data: bytes) -> int:
    return len(data) // PAGE


def other_database(path: Path) -> bytes:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE metadata_items (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO metadata_items (title) VALUES ('x')")
        conn.commit()
    return path.read_bytes()


FIXED: dict[str, tuple[Callable[[bytes, Path], bytes], str]] = {
    "empty": (lambda s, p: b"", "is empty"),
    "garbage": (lambda s, p: random.Random(1).randbytes(len(s)), RESTORE),
    "header-only": (lambda s, p: s[:100], "truncated"),
    "first-page-only": (lambda s, p: s[:PAGE], "truncated"),
    "json": (lambda s, p: json.dumps({"version": "1", "ratings": {}}).encode(), "looks like JSON"),
    "another-database": (lambda s, p: other_database(p), "not a plexrate state file"),
}


@pytest.mark.parametrize("case", list(FIXED))
def test_a_file_that_is_not_a_sound_state_is_refused_by_run_and_dry_run(
    sound: Sound, tmp_path: Path, case: str
) -> None:
    make, says = FIXED[case]
    content = make(sound.state, tmp_path / "other.db")
    for mode in ("--apply", "--dry-run"):
        folder = tmp_path / mode.strip("-")
        folder.mkdir()
        result, target = run_on(sound, folder, content, mode)
        assert_refused(result, target, content, says=says)


def root_pages(state: bytes, folder: Path) -> dict[str, int]:
    """Every table's and index's root page (1-based), from a scratch copy of the file."""
    copy = folder / "scratch.sqlite"
    copy.write_bytes(state)
    with closing(sqlite3.connect(copy)) as conn:
        rows = conn.execute("SELECT name, rootpage FROM sqlite_master WHERE rootpage > 0")
        return {str(name): int(page) for name, page in rows}


def garbage_at(state: bytes, page: int, seed: int) -> bytes:
    data = bytearray(state)
    data[(page - 1) * PAGE : page * PAGE] = random.Random(seed).randbytes(PAGE)
    return bytes(data)


@pytest.mark.parametrize("tree", ["owned_by_guid", "journal_by_key", "runs_by_library"])
def test_damage_only_a_write_would_meet_is_found_before_writing(
    sound: Sound, tmp_path: Path, tree: str
) -> None:
    """An index the run reads nothing from, but updates with every write it records."""
    content = garbage_at(sound.state, root_pages(sound.state, tmp_path)[tree], seed=7)
    result, target = run_on(sound, tmp_path, content, "--apply")
    assert_refused(result, target, content, says=RESTORE)


def damaged_copies(state: bytes, seed: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    pages = page_count(state)
    for _ in range(3):
        cut = rng.randrange(PAGE, len(state))
        yield f"truncated at {cut}", state[:cut]
    for _ in range(5):
        page = rng.randrange(1, pages)
        data = bytearray(state)
        data[page * PAGE : (page + 1) * PAGE] = rng.randbytes(PAGE)
        yield f"page {page} garbage", bytes(data)
    for _ in range(3):
        page = rng.randrange(1, pages)
        data = bytearray(state)
        data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
        yield f"page {page} zeroed", bytes(data)
    for _ in range(3):
        at = rng.randrange(PAGE, len(state) - 16)
        data = bytearray(state)
        data[at : at + 16] = rng.randbytes(16)
        yield f"16 bytes at {at}", bytes(data)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_damage_is_reported_before_any_write_or_is_harmless(
    sound: Sound, tmp_path: Path, seed: int
) -> None:
    refused = 0
    for number, (what, content) in enumerate(damaged_copies(sound.state, seed)):
        folder = tmp_path / str(number)
        folder.mkdir()
        result, target = run_on(sound, folder, content, "--apply")
        assert TOKEN not in result.stdout + result.stderr
        if result.exit_code == 0:
            # Damage in bytes SQLite never reads (free space, a record's text): same end.
            assert_same_outcome(sound.outcome, target.outcome())
            continue
        refused += 1
        assert result.exit_code == 1, (what, result.stderr)
        error = assert_one_line_error(result.stderr, contains=str(target.state))
        assert "damaged" in error or "truncated" in error, (what, error)
        assert RESTORE in error, (what, error)
        assert target.emu.stats().writes == 0, (what, error)  # found before writing to Plex
        assert target.state.read_bytes() == content, what
    assert refused >= 8


def test_a_flipped_bit_in_an_index_entry_stops_run_and_undo_before_any_write(
    sound: Sound, tmp_path: Path
) -> None:
    """Index-only damage SQLite's quick check misses (issue 17.4: a flipped key byte let
    `admin undo` write 309 items and stop half-way): refused before the first request."""
    copy = tmp_path / "pages.sqlite"
    copy.write_bytes(sound.state)
    with closing(sqlite3.connect(copy)) as conn:
        pages = [
            int(r[0])
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'journal_by_key' AND pagetype = 'leaf'"
            )
        ]
    rng = random.Random(3)
    for _ in range(60):
        page = rng.choice(pages)
        start = (page - 1) * PAGE
        cells = int.from_bytes(sound.state[start + 5 : start + 7], "big")
        data = bytearray(sound.state)
        data[start + rng.randrange(cells, PAGE)] ^= 1 << rng.randrange(8)
        copy.write_bytes(bytes(data))
        with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as conn:
            missed = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            seen = conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
        if missed and seen:
            break
    else:
        pytest.fail("no flip that quick_check misses")
    content = bytes(data)
    for command in (("run", "--apply"), ("admin", "undo", "--apply")):
        folder = tmp_path / command[0]
        folder.mkdir()
        emu = serve(sound.library)
        target = Target(emu, folder, {})
        target.state.write_bytes(content)
        try:
            result = target.invoke(*command, "--yes")
        finally:
            emu.stop()
        assert_refused(result, target, content, says=RESTORE)


def test_admin_verify_reports_index_damage_and_deep_runs_the_full_check(
    sound: Sound, tmp_path: Path
) -> None:
    """`admin verify` (read-only) runs the write-path check on the file, `--deep` SQLite's full
    one; both report a damaged index entry and exit 1, and a sound file passes both."""
    pages = _index_leaf_pages(sound.state, tmp_path, "journal_by_key")
    rng = random.Random(8)
    content = sound.state
    for _ in range(60):
        page = rng.choice(pages)
        start = (page - 1) * PAGE
        cells = int.from_bytes(sound.state[start + 5 : start + 7], "big")
        data = bytearray(sound.state)
        data[start + rng.randrange(cells, PAGE)] ^= 1 << rng.randrange(8)
        probe = tmp_path / "probe.sqlite"
        probe.write_bytes(bytes(data))
        with closing(sqlite3.connect(f"file:{probe}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                content = bytes(data)
                break
    assert content != sound.state
    for state, code in ((sound.state, 0), (content, 1)):
        for deep in ((), ("--deep",)):
            folder = tmp_path / f"{code}{len(deep)}"
            folder.mkdir()
            emu = serve(sound.library)
            target = Target(emu, folder, {})
            target.state.write_bytes(state)
            try:
                result = target.invoke("admin", "verify", "--json", *deep)
            finally:
                emu.stop()
            assert result.exit_code == code, (deep, result.stderr)
            assert target.state.read_bytes() == state
            if code == 0:
                assert json.loads(result.stdout)["counts"]["state_problems"] == 0
            else:
                # Reported as a finding (exit 1 with the report), not an error.
                assert json.loads(result.stdout)["counts"]["state_problems"] >= 1, deep


def _index_leaf_pages(state: bytes, folder: Path, tree: str) -> list[int]:
    copy = folder / "pages.sqlite"
    copy.write_bytes(state)
    with closing(sqlite3.connect(copy)) as conn:
        return [
            int(r[0])
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (tree,)
            )
        ]
