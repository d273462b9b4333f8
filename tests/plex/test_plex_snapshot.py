"""``read_snapshot``: the whole section, field by field, in a number of requests N cannot grow."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.emulator.offline import snapshot_of
from plexrate.model import Album, Artist, ItemType, LibrarySnapshot, Track
from plexrate.plex import read_snapshot
from plexrate.plex.snapshot import iter_listing
from tests.plex.plex_helpers import TAG, TWIN_TAG, client_for

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]
TAGS = (TAG, TWIN_TAG)


# ------------------------------------------------------------------------------------ expected
def _music(dump: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in dump["sections"] if s.get("type", "artist") == "artist")


def _rating(raw: float | None) -> float | None:
    return None if raw is None or raw <= 0 else float(raw)


def expected_records(
    dump: dict[str, Any],
) -> tuple[dict[int, Artist], dict[int, Album], dict[int, Track]]:
    """The snapshot records the emulator's library should produce, built from its JSON dump."""
    section = _music(dump)
    artists = {
        a["ratingKey"]: Artist(
            key=a["ratingKey"],
            title=a["title"],
            sort_title=a.get("titleSort") or a["title"],
            guid=a.get("guid", ""),
            rating=_rating(a.get("userRating")),
            rated_at=a.get("lastRatedAt"),
            genres=tuple(a.get("genres", ())),
        )
        for a in section["artists"]
    }
    albums = {
        b["ratingKey"]: Album(
            key=b["ratingKey"],
            title=b["title"],
            sort_title=b.get("titleSort") or b["title"],
            artist_key=b["artist"],
            artist_title=artists[b["artist"]].title,
            guid=b.get("guid", ""),
            rating=_rating(b.get("userRating")),
            rated_at=b.get("lastRatedAt"),
            critic_rating=b.get("rating"),
            year=b.get("year"),
            genres=tuple(b.get("genres", ())),
            live=any(s.casefold() == "live" for s in b.get("subformats", ())),
            compilation=any(s.casefold() == "compilation" for s in b.get("subformats", ())),
        )
        for b in section["albums"]
    }
    tracks = {
        t["ratingKey"]: Track(
            key=t["ratingKey"],
            title=t["title"],
            album_key=t["album"],
            artist_key=albums[t["album"]].artist_key,
            album_title=albums[t["album"]].title,
            album_artist=albums[t["album"]].artist_title,
            track_artist=t.get("originalTitle"),
            duration_ms=t.get("duration"),
            guid=t.get("guid", ""),
            rating=_rating(t.get("userRating")),
            rated_at=t.get("lastRatedAt"),
            index=t.get("index"),
            disc=t.get("parentIndex"),
            plays=t.get("viewCount", 0),
            skips=t.get("skipCount", 0),
            last_played=t.get("lastViewedAt"),
            popularity=t.get("ratingCount"),
        )
        for t in section["tracks"]
    }
    return artists, albums, tracks


def expected_tagged(dump: dict[str, Any], tag: str) -> dict[ItemType, set[int]]:
    section = _music(dump)
    out: dict[ItemType, set[int]] = {}
    for item_type in ItemType:
        out[item_type] = {
            item["ratingKey"]
            for item in section[item_type.plural]
            if any(m.casefold() == tag.casefold() for m in item.get("moods", ()))
        }
    return out


def assert_snapshot_matches(snapshot: LibrarySnapshot, emu: Emulator) -> None:
    dump = emu.dump()
    artists, albums, tracks = expected_records(dump)
    # Compared record by record, so a failure names the item and the field.
    assert sorted(snapshot.artists) == sorted(artists)
    assert sorted(snapshot.albums) == sorted(albums)
    assert sorted(snapshot.tracks) == sorted(tracks)
    for key, artist in artists.items():
        assert snapshot.artists[key] == artist
    for key, album in albums.items():
        assert snapshot.albums[key] == album
    for key, track in tracks.items():
        assert snapshot.tracks[key] == track
    assert snapshot.library_uuid == emu.section_uuid
    assert snapshot.section_id == emu.section_key
    assert snapshot.section_title == emu.section_title
    for tag in TAGS:
        members = expected_tagged(dump, tag)
        assert snapshot.tagged[tag] == frozenset().union(*members.values())


# ------------------------------------------------------------------------------------ libraries
def _tag(item: dict[str, Any], name: str) -> None:
    item["moods"] = [*item.get("moods", []), name]


@pytest.fixture
def detailed(emulator_factory: Factory, small_library_dict: dict[str, Any]) -> Emulator:
    """The example library with plexrate's tags on every type and the awkward values."""
    section = small_library_dict["sections"][1]
    artists = {a["ratingKey"]: a for a in section["artists"]}
    albums = {a["ratingKey"]: a for a in section["albums"]}
    tracks = {t["ratingKey"]: t for t in section["tracks"]}
    _tag(artists[102], "rating_inferred")  # Plex compares tag names case-insensitively
    _tag(albums[203], TAG)
    _tag(albums[204], TWIN_TAG)
    _tag(tracks[303], TAG)
    _tag(tracks[304], TAG)
    _tag(tracks[302], TWIN_TAG)  # beside the person's own "Chill"
    _tag(tracks[309], TWIN_TAG)
    _tag(tracks[309], TAG)
    tracks[310]["userRating"] = 0.0  # Plex's 0 is unrated
    albums[204]["userRating"] = 0.0
    albums[202]["subformats"] = ["live", "Compilation"]  # case of the subformat does not matter
    tracks[305]["parentIndex"] = 2
    return emulator_factory(EmulatorLibrary.from_dict(small_library_dict))


def generated(tracks: int, seed: int) -> EmulatorLibrary:
    """A generated library with both managed tags on some items of every type."""
    data = generate_library(tracks=tracks, seed=seed).to_dict()
    section = _music(data)
    for i, item in enumerate(section["tracks"]):
        if i % 7 == 0:
            _tag(item, TAG if i % 2 else TAG.upper())
        if i % 11 == 3:
            _tag(item, TWIN_TAG)
        if i % 13 == 5:
            item["userRating"] = 0.0
    for i, item in enumerate(section["albums"]):
        if i % 5 == 0:
            _tag(item, TAG)
        if i % 9 == 1:
            _tag(item, TWIN_TAG)
    for i, item in enumerate(section["artists"]):
        if i % 4 == 0:
            _tag(item, TAG)
    return EmulatorLibrary.from_dict(data)


# ------------------------------------------------------------------------------------ tests
def test_snapshot_equals_the_library_field_by_field(detailed: Emulator) -> None:
    snapshot = read_snapshot(client_for(detailed), tags=TAGS, page_size=100)
    assert_snapshot_matches(snapshot, detailed)
    # The awkward values, spelled out so the expectations above cannot share a mistake.
    assert snapshot.tracks[310].rating is None and snapshot.albums[204].rating is None
    assert snapshot.tracks[307].rating == 10.0
    assert snapshot.tracks[308].duration_ms is None
    assert snapshot.tracks[301].duration_ms == 35000
    assert snapshot.tracks[309].track_artist == "The Testers"
    assert snapshot.tracks[309].album_artist == "Various Artists"
    assert snapshot.tracks[302].track_artist is None
    assert snapshot.tracks[305].disc == 2
    assert snapshot.artists[101].sort_title == "Testers"
    assert snapshot.artists[102].sort_title == "Ådne Ångström"
    assert snapshot.albums[201].critic_rating == 7.5
    assert snapshot.albums[203].critic_rating is None
    assert snapshot.albums[201].year == 1999
    assert snapshot.albums[201].genres == ("Rock",)
    assert [a.key for a in snapshot.albums.values() if a.live] == [202]
    assert snapshot.tagged[TAG] == {102, 203, 303, 304, 309}
    assert snapshot.tagged[TWIN_TAG] == {204, 302, 309}
    assert snapshot.has_tag("RATING_INFERRED", 102)
    assert not snapshot.has_tag(TAG, 302)  # the person's own mood is not plexrate's


@pytest.mark.parametrize(("tracks", "seed"), [(400, 1), (900, 5)])
def test_snapshot_of_a_generated_library(emulator_factory: Factory, tracks: int, seed: int) -> None:
    emu = emulator_factory(generated(tracks, seed))
    snapshot = read_snapshot(client_for(emu), tags=TAGS, page_size=150)
    assert_snapshot_matches(snapshot, emu)
    assert len(snapshot.tracks) == tracks
    assert any(t.rating is None and t.key % 13 == 5 for t in snapshot.tracks.values())
    assert any(t.duration_ms is None for t in snapshot.tracks.values())
    assert any(a.live for a in snapshot.albums.values())
    assert any(a.compilation for a in snapshot.albums.values())
    assert any(t.plays and t.last_played for t in snapshot.tracks.values())
    assert any(t.skips for t in snapshot.tracks.values())
    assert any(t.popularity for t in snapshot.tracks.values())
    # The offline conversion benchmarks use gives the same records without a server.
    offline = snapshot_of(emu.library)
    assert dict(offline.artists) == dict(snapshot.artists)
    assert dict(offline.albums) == dict(snapshot.albums)
    assert dict(offline.tracks) == dict(snapshot.tracks)


def test_without_managed_tags_only_listings_and_subformats_are_read(detailed: Emulator) -> None:
    client = client_for(detailed)
    detailed.reset_stats()
    snapshot = read_snapshot(client, tags=("", TAG, TAG), page_size=100)
    assert set(snapshot.tagged) == {TAG}  # empty and repeated names are dropped
    by_kind = dict(client.counts.by_kind)
    assert by_kind.pop("choices-mood") == 3  # one lookup per type for the one tag
    # Each type as a count and two halves, with the tag and without it; no plain listing.
    assert by_kind == {
        "count-artist": 1,
        "count-album": 1,
        "count-track": 1,
        "choices-subformat": 1,
        "list-album-filtered": 4,  # the Live and the Compilation albums, then the two halves
        "list-artist-filtered": 2,
        "list-track-filtered": 2,
    }


# ------------------------------------------------------------------------------------ requests
def _pages(n: int, size: int) -> int:
    # An empty listing still costs the request that says so.
    return max(1, math.ceil(n / size))


def formula(emu: Emulator, *, page_size: int, tags: tuple[str, ...]) -> int:
    """The request count ``snapshot.py``'s docstring states, from the library's own figures."""
    counts = emu.library.counts()
    dump = emu.dump()
    total = 1  # the subformat lookup
    for subformat in ("live", "compilation"):
        carriers = sum(
            1
            for a in _music(dump)["albums"]
            if any(s.casefold() == subformat for s in a.get("subformats", ()))
        )
        total += math.ceil(carriers / page_size) if carriers else 0
    first, *others = tags
    for item_type, members in expected_tagged(dump, first).items():
        total += 1 + _type_listings(counts[item_type.plural], len(members), page_size)
    for tag in others:
        for members in expected_tagged(dump, tag).values():
            total += 1 + (math.ceil(len(members) / page_size) if members else 0)
    return total


def _type_listings(items: int, carriers: int, page_size: int) -> int:
    """Requests for one type beside the tag lookup: a count and its two halves when any item
    carries the first tag, else the plain listing."""
    if not carriers:
        return _pages(items, page_size)
    return 1 + _pages(carriers, page_size) + _pages(items - carriers, page_size)


@pytest.mark.parametrize(
    ("tracks", "page_size"),
    [(300, 40), (300, 1000), (1200, 100), (1200, 333), (2500, 1000), (2500, 700)],
)
def test_request_count_follows_the_formula(
    emulator_factory: Factory, tracks: int, page_size: int
) -> None:
    emu = emulator_factory(generated(tracks, seed=tracks))
    client = client_for(emu)
    emu.reset_stats()
    read_snapshot(client, tags=TAGS, page_size=page_size)
    stats = emu.stats()
    expected = formula(emu, page_size=page_size, tags=TAGS)
    assert client.counts.reads == expected
    assert stats.requests == stats.reads == expected  # the server saw no more than that
    assert client.counts.retries == 0
    # Nothing per item: only listings and filter-choice lookups.
    assert set(stats.by_endpoint) == {
        "GET /library/sections/{id}/all",
        "GET /library/sections/{id}/mood",
        "GET /library/sections/{id}/subformat",
    }
    assert stats.by_endpoint["GET /library/sections/{id}/mood"] == 3 * len(TAGS)
    tagged = {tag: len(expected_tagged(emu.dump(), tag)[ItemType.TRACK]) for tag in TAGS}
    # The count of the type is a listing request too (of Size=0).
    assert stats.listings["track"] == _type_listings(tracks, tagged[TAG], page_size) + sum(
        _pages(tagged[tag], page_size) for tag in TAGS[1:]
    )


def test_request_count_does_not_grow_with_the_library(emulator_factory: Factory) -> None:
    counts = []
    for tracks in (200, 500, 900):
        emu = emulator_factory(generated(tracks, seed=7))
        client = client_for(emu)
        read_snapshot(client, tags=TAGS, page_size=1000)
        counts.append(client.counts.reads)
        emu.stop()
    # Per type a count and the two halves of the first tag, the subformat lookup with the Live
    # and Compilation listings, a lookup per tag and type, and a listing per type that has the
    # twin tag (no artist has).
    assert counts == [3 * 3 + 3 + 3 * len(TAGS) + 2] * 3


# ------------------------------------------------------------------------------------ paging
def test_tiny_pages_have_no_gaps_and_no_duplicates(emulator_factory: Factory) -> None:
    emu = emulator_factory(generated(250, seed=4))
    client = client_for(emu)
    dump = emu.dump()
    for item_type in ItemType:
        emu.reset_stats()
        keys = [
            int(el.get("ratingKey", "0")) for _, el in iter_listing(client, item_type, page_size=3)
        ]
        # Exactly the server's order: every item once, none skipped at a page boundary.
        assert keys == [item["ratingKey"] for item in _music(dump)[item_type.plural]]
        stats = emu.stats()
        assert stats.listings[item_type.value] == _pages(len(keys), 3)
        assert stats.items_returned == len(keys)
        starts = [r.param("X-Plex-Container-Start") for r in emu.requests()]
        assert starts == [None] * len(starts)  # paging rides in headers, as plexapi sends it


def test_a_snapshot_in_pages_of_seven_equals_one_in_a_single_page(
    emulator_factory: Factory,
) -> None:
    emu = emulator_factory(generated(300, seed=9))
    client = client_for(emu)
    small = read_snapshot(client, tags=TAGS, page_size=7)
    large = read_snapshot(client, tags=TAGS, page_size=1000)
    assert small == large
    assert_snapshot_matches(small, emu)


def test_tagged_listings_page_too(emulator_factory: Factory) -> None:
    emu = emulator_factory(generated(400, seed=2))
    client = client_for(emu)
    emu.reset_stats()
    snapshot = read_snapshot(client, tags=(TAG,), page_size=4)
    tagged_tracks = expected_tagged(emu.dump(), TAG)[ItemType.TRACK]
    assert len(tagged_tracks) > 4 * 3  # several pages
    assert tagged_tracks <= snapshot.tagged[TAG]
    filtered = [r for r in emu.requests() if r.param("track.mood") is not None]
    assert len(filtered) == math.ceil(len(tagged_tracks) / 4)
    assert sum(r.items for r in filtered) == len(tagged_tracks)
