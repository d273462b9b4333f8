"""The snapshot cache hands back what it holds, whether from the file or from the copy this process
kept when it last loaded or saved it (``plexrate watch`` loads it at every cycle)."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from plexrate.model import Album, Artist, LibrarySnapshot, Marks, Track
from plexrate.state import snapcache
from plexrate.state.snapcache import CacheHeader, SnapshotCache


def _snapshot(rating: float | None, *, title: str = "Section") -> LibrarySnapshot:
    artist = Artist(key=1, title="A", sort_title="A", rating=8.0, genres=("Rock", "Pop"))
    album = Album(
        key=2, title="B", sort_title="B", artist_key=1, artist_title="A", genres=("Rock",)
    )
    tracks = {
        k: Track(key=k, title=f"T{k}", album_key=2, artist_key=1, album_title="B", album_artist="A")
        for k in (3, 4)
    }
    tracks[3] = replace(tracks[3], rating=rating, rated_at=1_700_000_000)
    return LibrarySnapshot(
        library_uuid="lib",
        section_id=5,
        section_title=title,
        artists=MappingProxyType({1: artist}),
        albums=MappingProxyType({2: album}),
        tracks=tracks,  # a plain dict: the cache must not keep the caller's mapping
        tagged=MappingProxyType({"Inferred": frozenset({2, 4})}),
        rated_again=frozenset({3}),
    )


def _header(read_at: float) -> CacheHeader:
    return CacheHeader(
        library_uuid="lib",
        server_id="srv",
        section_id=5,
        tags=("Inferred",),
        scanned_at=None,
        marks=Marks(),
        journal_mark=7,
        run_mark=2,
        read_at=read_at,
        whole_read_at=read_at,
    )


def _from_file(path: Path) -> LibrarySnapshot:
    snapcache._KEPT.clear()
    loaded = SnapshotCache(path).load("lib")
    assert loaded is not None
    return loaded.snapshot


def test_the_kept_copy_equals_what_the_file_gives_back(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    original = _snapshot(6.0)
    assert SnapshotCache(path).save(_header(1.0), original)
    kept = SnapshotCache(path).load("lib")
    assert kept is not None
    # Only what the file holds: not the title, nor what the read found rated again.
    assert kept.snapshot.section_title == "" and kept.snapshot.rated_again == frozenset()
    assert kept.snapshot.tracks[3].rating == 6.0
    assert isinstance(original.tracks, dict)
    original.tracks[3] = replace(original.tracks[3], rating=1.0)
    assert kept.snapshot.tracks[3].rating == 6.0
    assert kept.snapshot == _from_file(path)


def test_a_copy_written_by_another_process_is_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    cache = SnapshotCache(path)
    assert cache.save(_header(1.0), _snapshot(6.0))
    assert cache.load("lib") is not None  # kept in this process
    # The other process has no copy in memory: it reads the file, re-rates a track, saves.
    child = (
        "import sys\n"
        "from dataclasses import replace\n"
        "from pathlib import Path\n"
        "from plexrate.state.snapcache import SnapshotCache\n"
        "cache = SnapshotCache(Path(sys.argv[1]))\n"
        "old = cache.load('lib')\n"
        "tracks = dict(old.snapshot.tracks)\n"
        "tracks[3] = replace(tracks[3], rating=9.0)\n"
        "new = replace(old.snapshot, tracks=tracks)\n"
        "assert cache.save(replace(old.header, read_at=2.0), new)\n"
    )
    subprocess.run([sys.executable, "-c", child, str(path)], check=True)
    loaded = cache.load("lib")
    assert loaded is not None
    assert loaded.header.read_at == 2.0
    assert loaded.snapshot.tracks[3].rating == 9.0


def test_a_header_changed_in_the_file_is_not_answered_from_memory(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    cache = SnapshotCache(path)
    assert cache.save(_header(1.0), _snapshot(6.0))
    # Same records, another header (another writer, or an older plexrate): the file decides.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE parts SET data = ? WHERE name = 'header'",
            (snapcache._pack(_header(3.0).to_json()),),
        )
    loaded = cache.load("lib")
    assert loaded is not None and loaded.header.read_at == 3.0


def test_settling_updates_the_kept_header(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    cache = SnapshotCache(path)
    assert cache.save(_header(1.0), _snapshot(6.0))
    cache.settle("lib", "fp", {"stats": {"tracks": 2}, "notes": []})
    kept = cache.load("lib")
    assert kept is not None and kept.header.settled == "fp"
    snapcache._KEPT.clear()
    again = cache.load("lib")
    assert again is not None and again.header == kept.header


def test_a_forgotten_copy_is_gone_from_memory_too(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    cache = SnapshotCache(path)
    assert cache.save(_header(1.0), _snapshot(6.0))
    cache.forget("lib")
    assert cache.load("lib") is None


def _library(n: int = 50) -> LibrarySnapshot:
    tracks = {
        k: Track(key=k, title=f"T{k}", album_key=2, artist_key=1, album_title="B", album_artist="A")
        for k in range(100, 100 + n)
    }
    return replace(_snapshot(None), tracks=MappingProxyType(tracks))


def _rated(snapshot: LibrarySnapshot, keys: range, value: float) -> LibrarySnapshot:
    tracks = dict(snapshot.tracks)
    for key in keys:
        tracks[key] = replace(tracks[key], rating=value)
    return replace(snapshot, tracks=MappingProxyType(tracks))


def _stored(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT name, data FROM parts").fetchall())


def test_a_few_changed_tracks_are_written_as_a_delta_over_the_tracks_part(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    cache = SnapshotCache(path)
    first = _library()
    assert cache.save(_header(1.0), first)
    before = _stored(path)
    second = _rated(first, range(100, 103), 7.0)
    assert cache.save(_header(2.0), second)
    after = _stored(path)
    assert after["tracks"] == before["tracks"]  # the part itself was not rewritten
    assert snapcache._unpack(after["tracks.delta"])[0] == [100, 101, 102]  # the keys' column
    # Then once more: the delta holds every difference from the part, not only the last one.
    third = _rated(second, range(110, 111), 3.0)
    assert cache.save(_header(3.0), third)
    assert len(snapcache._unpack(_stored(path)["tracks.delta"])[0]) == 4
    loaded = _from_file(path)
    assert loaded.tracks == third.tracks
    assert list(loaded.tracks) == list(third.tracks)  # in the same order


@pytest.mark.parametrize("change", ["many", "added", "reordered", "other-writer"])
def test_the_tracks_part_is_written_whole_when_a_delta_would_not_do(
    tmp_path: Path, change: str
) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    cache = SnapshotCache(path)
    first = _library()
    assert cache.save(_header(1.0), first)
    before = _stored(path)
    if change == "many":
        after = _rated(first, range(100, 110), 7.0)  # a fifth of the tracks
    elif change == "added":
        tracks = dict(first.tracks)
        tracks[999] = replace(tracks[100], key=999)
        after = replace(first, tracks=MappingProxyType(tracks))
    elif change == "reordered":
        after = replace(first, tracks=MappingProxyType(dict(reversed(list(first.tracks.items())))))
    else:
        after = _rated(first, range(100, 101), 7.0)
        snapcache._KEPT.clear()  # as in a process that never loaded this copy
    assert cache.save(_header(2.0), after)
    stored = _stored(path)
    assert stored["tracks"] != before["tracks"]
    assert snapcache._unpack(stored["tracks.delta"]) == []
    loaded = _from_file(path)
    assert loaded.tracks == after.tracks and list(loaded.tracks) == list(after.tracks)


def test_a_copy_of_the_older_format_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    assert SnapshotCache(path).save(replace(_header(1.0), format=1), _library())
    snapcache._KEPT.clear()
    # Format 1 had no delta: a reader of 2 reads the library whole rather than guess.
    assert SnapshotCache(path).load("lib") is None


def _rewrite(path: Path, name: str, value: object) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE parts SET data = ? WHERE name = ?", (snapcache._pack(value), name))


@pytest.mark.parametrize(
    "damage",
    [
        lambda columns: columns[:-1],  # a field missing
        lambda columns: [*columns[:1], columns[1][:-1], *columns[2:]],  # a field cut short
        lambda columns: list(zip(*columns, strict=True)),  # the format-2 layout
    ],
    ids=["missing-field", "short-field", "by-record"],
)
def test_a_damaged_tracks_part_is_not_used_and_leaves_collection_on(
    tmp_path: Path, damage: Any
) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    assert SnapshotCache(path).save(_header(1.0), _library(20))
    _rewrite(path, "tracks", damage(snapcache._unpack(_stored(path)["tracks"])))
    snapcache._KEPT.clear()
    assert SnapshotCache(path).load("lib") is None  # so the library is read whole
    assert gc.isenabled()


def test_the_parts_are_kept_one_list_per_field(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot.sqlite"
    library = _library(5)
    assert SnapshotCache(path).save(_header(1.0), library)
    columns = snapcache._unpack(_stored(path)["tracks"])
    assert len(columns) == len(fields(Track))
    assert columns[0] == list(library.tracks)
    assert columns[1] == [t.title for t in library.tracks.values()]
    artists = snapcache._unpack(_stored(path)["artists"])
    assert artists[[f.name for f in fields(Artist)].index("genres")] == [["Rock", "Pop"]]
    assert _from_file(path).tracks == library.tracks


def test_collection_is_on_again_when_building_a_record_fails() -> None:
    @dataclass(frozen=True)
    class Refused:
        key: int

        def __post_init__(self) -> None:
            assert gc.isenabled() is False  # built with collection paused
            raise TypeError("not a record")

    with pytest.raises(TypeError, match="not a record"):
        snapcache._records(Refused, [[1, 2]], set())
    assert gc.isenabled()
