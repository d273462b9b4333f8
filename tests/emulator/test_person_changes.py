"""A person's changes while a client runs: plays, skips, new albums, deletions and re-matches, as
the library and the HTTP API show them (counts, children, keys, dates)."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.emulator.library import AlbumItem, ArtistItem, TrackItem

pytestmark = pytest.mark.integration

AT = 1_800_000_000
Plex = Callable[..., Any]


def listing(emu: Emulator, path: str, **params: str | int) -> ET.Element:
    answer = requests.get(
        f"{emu.url}{path}",
        params=params,
        headers={"X-Plex-Token": emu.token, "X-Plex-Container-Size": "1000"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return ET.fromstring(answer.content)


def total(emu: Emulator, kind: int) -> int:
    return int(listing(emu, "/library/sections/3/all", type=kind).get("totalSize") or -1)


def test_play_and_skip_count_and_stamp_tracks_only(emulator: Emulator) -> None:
    emulator.play(305, at=AT)
    emulator.play(305, at=AT + 60)
    emulator.skip(305, at=AT + 90)
    track = listing(emulator, "/library/metadata/305")[0]
    assert (track.get("viewCount"), track.get("lastViewedAt")) == ("2", str(AT + 60))
    assert (track.get("skipCount"), track.get("lastSkippedAt")) == ("1", str(AT + 90))
    with pytest.raises(ValueError, match="only tracks"):
        emulator.play(201)
    with pytest.raises(KeyError):
        emulator.skip(999_999)
    # The JSON format keeps them.
    again = EmulatorLibrary.from_dict(emulator.dump()).item(305)
    assert isinstance(again, TrackItem)
    assert (again.view_count, again.skip_count, again.last_skipped_at) == (2, 1, AT + 90)


def test_add_album_by_a_new_artist(emulator: Emulator, plex_for: Plex) -> None:
    before = emulator.library.counts()
    highest = max(emulator.library.keys())
    added = emulator.add_album(None, tracks=6, at=AT, seed=7)
    assert added.new_artist
    assert emulator.library.counts() == {
        "artists": before["artists"] + 1,
        "albums": before["albums"] + 1,
        "tracks": before["tracks"] + 6,
    }
    assert added.artist_key > highest and added.album_key > added.artist_key
    assert list(added.track_keys) == list(range(added.album_key + 1, added.album_key + 7))
    assert (total(emulator, 8), total(emulator, 9), total(emulator, 10)) == (4, 5, 16)
    artist, album = emulator.library.item(added.artist_key), emulator.library.item(added.album_key)
    assert isinstance(artist, ArtistItem) and isinstance(album, AlbumItem)
    assert album.artist_key == added.artist_key
    assert (album.added_at, album.updated_at, artist.added_at) == (AT, AT, AT)
    assert album.guid and album.guid.startswith("plex://album/")
    tracks = [emulator.library.item(k) for k in added.track_keys]
    assert all(isinstance(t, TrackItem) for t in tracks)
    assert [t.index for t in tracks if isinstance(t, TrackItem)] == [1, 2, 3, 4, 5, 6]
    assert all(t and t.user_rating is None and t.added_at == AT for t in tracks)
    assert len({t.title for t in tracks if t}) == 6
    assert len({t.guid for t in tracks if t}) == 6
    # Plex clients see it: the children, the "added since" listing and plexapi.
    children = listing(emulator, f"/library/metadata/{added.album_key}/children")
    assert [int(e.get("ratingKey") or 0) for e in children] == list(added.track_keys)
    new = listing(emulator, "/library/sections/3/all", type=10, **{"track.addedAt>>": AT - 1})
    assert [int(e.get("ratingKey") or 0) for e in new] == list(added.track_keys)
    music = plex_for(emulator).library.section("Music")
    assert music.fetchItem(added.album_key).artist().ratingKey == added.artist_key
    section = emulator.library.section(3)
    assert section is not None and section.updated_at == AT


def test_add_album_to_an_existing_artist(emulator: Emulator) -> None:
    added = emulator.add_album(102, tracks=2, at=AT)
    assert not added.new_artist and added.artist_key == 102
    assert emulator.library.children_of(102) == [203, added.album_key]
    albums = listing(emulator, "/library/sections/3/all", type=9, **{"artist.id": 102})
    assert [int(e.get("ratingKey") or 0) for e in albums] == [203, added.album_key]
    with pytest.raises(ValueError, match="not an artist"):
        emulator.add_album(201, tracks=2)
    with pytest.raises(ValueError, match="at least one track"):
        emulator.add_album(102, tracks=0)


def test_keys_are_never_reused_after_a_delete(emulator: Emulator) -> None:
    first = emulator.add_album(None, tracks=1, at=AT)
    emulator.delete([first.artist_key])
    second = emulator.add_album(None, tracks=1, at=AT)
    assert second.artist_key > first.track_keys[-1]


def test_delete_removes_children_and_updates_counts(emulator: Emulator) -> None:
    removed = emulator.delete([101])
    assert removed == [101, 201, 202, 301, 302, 303, 304, 305, 306]
    assert emulator.library.counts() == {"artists": 2, "albums": 2, "tracks": 4}
    assert (total(emulator, 8), total(emulator, 9), total(emulator, 10)) == (2, 2, 4)
    assert emulator.delete([203]) == [203, 307, 308]
    assert emulator.library.children_of(102) == []
    assert total(emulator, 10) == 2
    answer = requests.get(
        f"{emulator.url}/library/metadata/302", headers={"X-Plex-Token": emulator.token}, timeout=5
    )
    assert answer.status_code == 404


def test_rematch_in_place_changes_guids_and_stamps(emulator: Emulator) -> None:
    before = {k: emulator.library.item(k) for k in (201, 301, 302, 303, 304)}
    moves = emulator.rematch_album(201, at=AT, title="First Light (Deluxe)")
    assert moves == {k: k for k in (201, 301, 302, 303, 304)}
    for key, old in before.items():
        now = emulator.library.item(key)
        assert now is not None and old is not None
        assert now.guid != old.guid and now.guid
        assert (now.updated_at, now.added_at) == (AT, old.added_at)
        assert (now.user_rating, now.moods, now.locked) == (old.user_rating, old.moods, old.locked)
    album = emulator.library.item(201)
    assert album is not None and album.title == "First Light (Deluxe)"


def test_rematch_under_new_keys_keeps_what_the_person_set(emulator: Emulator) -> None:
    old_302 = emulator.library.item(302)
    highest = max(emulator.library.keys())
    moves = emulator.rematch_album(201, at=AT, rekey=True)
    assert set(moves) == {201, 301, 302, 303, 304}
    assert sorted(moves.values()) == list(range(highest + 1, highest + 6))
    for old in moves:
        assert emulator.library.item(old) is None
    new_302 = emulator.library.item(moves[302])
    assert isinstance(new_302, TrackItem) and old_302 is not None
    assert new_302.album_key == moves[201]
    assert (new_302.user_rating, new_302.last_rated_at, new_302.moods, new_302.locked) == (
        old_302.user_rating,
        old_302.last_rated_at,
        old_302.moods,
        old_302.locked,
    )
    assert new_302.added_at == old_302.added_at and new_302.updated_at == AT
    assert new_302.guid != old_302.guid
    assert emulator.library.children_of(101) == [moves[201], 202]
    assert emulator.library.counts() == {"artists": 3, "albums": 4, "tracks": 10}
    children = listing(emulator, f"/library/metadata/{moves[201]}/children")
    assert [int(e.get("ratingKey") or 0) for e in children] == [
        moves[k] for k in (301, 302, 303, 304)
    ]
    gone = requests.get(
        f"{emulator.url}/library/metadata/201", headers={"X-Plex-Token": emulator.token}, timeout=5
    )
    assert gone.status_code == 404


def test_rekey_with_kept_guids_is_what_plexrate_refinds(emulator: Emulator) -> None:
    guid = emulator.library.item(302)
    moves = emulator.rematch_album(201, at=AT, rekey=True, keep_guids=True)
    moved = emulator.library.item(moves[302])
    assert guid is not None and moved is not None and moved.guid == guid.guid


def test_changes_use_the_emulator_clock(
    emulator_factory: Callable[..., Emulator], small_library: EmulatorLibrary
) -> None:
    now = [1_900_000_000.0]
    emu = emulator_factory(small_library, clock=lambda: now[0])
    assert emu.now() == 1_900_000_000
    emu.play(301)
    now[0] += 86_400  # a simulated day passes in no time
    added = emu.add_album(None, tracks=1)
    emu.person_rate(added.track_keys[0], 8)
    track = emu.library.item(added.track_keys[0])
    first = emu.library.item(301)
    assert first is not None and first.kind == "track"
    assert isinstance(first, TrackItem) and first.last_viewed_at == 1_900_000_000
    assert track is not None and (track.added_at, track.last_rated_at) == (1_900_086_400,) * 2


def test_changes_while_a_client_pages_are_thread_safe(
    emulator_factory: Callable[..., Emulator],
) -> None:
    lib = generate_library(tracks=1500, seed=9)
    emu = emulator_factory(lib)
    stop = threading.Event()
    errors: list[BaseException] = []

    def person() -> None:
        try:
            step = 0
            while not stop.is_set():
                step += 1
                emu.add_album(None, tracks=3, at=AT + step, seed=step)
                keys = emu.library.keys("track")
                emu.play(keys[step % len(keys)], at=AT + step)
                emu.person_rate(keys[(step * 7) % len(keys)], 6, at=AT + step)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=person)
    worker.start()
    try:
        for _ in range(5):
            root = listing(emu, "/library/sections/3/all", type=10, sort="addedAt:desc")
            stamps = [int(e.get("addedAt") or 0) for e in root]
            assert stamps == sorted(stamps, reverse=True)
    finally:
        stop.set()
        worker.join(10)
    assert not errors
    counts = emu.library.counts()
    assert counts["tracks"] == len(emu.library.keys("track")) == total(emu, 10)
