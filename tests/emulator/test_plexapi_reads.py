"""Unmodified plexapi reads the emulator over real HTTP as it reads Plex (plex-api.md §1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from plexapi.exceptions import NotFound

from plexrate.emulator import Emulator

pytestmark = pytest.mark.integration

Plex = Callable[..., Any]


def keys(items: list[Any]) -> list[int]:
    return [i.ratingKey for i in items]


def test_server_root_and_section_lookup(emulator: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emulator)
    assert plex.friendlyName == "Test Server"
    assert plex.machineIdentifier == "emulator-test-0001"
    assert plex.version == "1.41.3.9314-emulator"
    assert [s.title for s in plex.library.sections()] == ["Movies", "Music"]
    # plexapi matches titles case-insensitively after strip().
    music = plex.library.section("  music ")
    assert type(music).__name__ == "MusicSection"
    assert music.key == 3
    assert music.uuid == "00000000-0000-4000-8000-000000000003"
    assert music.locations == ["/data/3"]
    with pytest.raises(NotFound):
        plex.library.section("Podcasts")
    endpoints = emulator.stats().by_endpoint
    assert endpoints["GET /"] == 1
    assert endpoints["GET /library"] == 1
    assert endpoints["GET /library/sections"] == 1


def test_unfiltered_searches_return_every_item_with_its_attributes(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    # Plex orders artists by sort title: "The Testers" files under T, "Ådne" under A.
    assert [a.title for a in music.searchArtists()] == [
        "Ådne Ångström",
        "The Testers",
        "Various Artists",
    ]
    testers = music.searchArtists()[1]
    assert (testers.titleSort, testers.userRating, [g.tag for g in testers.genres]) == (
        "Testers",
        8.0,
        ["Rock"],
    )
    albums = {a.ratingKey: a for a in music.searchAlbums()}
    assert sorted(albums) == [201, 202, 203, 204]
    first = albums[201]
    assert (first.title, first.parentRatingKey, first.parentTitle) == (
        "First Light",
        101,
        "The Testers",
    )
    assert (first.year, first.rating, first.studio, first.leafCount) == (
        1999,
        7.5,
        "Paper Moon Music",
        4,
    )
    assert first.originallyAvailableAt.strftime("%Y-%m-%d") == "1999-05-01"
    assert first.key == "/library/metadata/201"
    assert albums[203].userRating == 6.0
    assert albums[201].userRating is None
    tracks = {t.ratingKey: t for t in music.searchTracks()}
    assert len(tracks) == 10
    morning = tracks[302]
    assert (morning.title, morning.parentRatingKey, morning.grandparentRatingKey) == (
        "Morning Song",
        201,
        101,
    )
    assert (morning.parentTitle, morning.grandparentTitle) == ("First Light", "The Testers")
    assert (morning.duration, morning.userRating, morning.index, morning.parentIndex) == (
        215000,
        8.0,
        2,
        None,
    )
    assert morning.lastRatedAt is not None
    assert morning.librarySectionID == 3
    assert tracks[309].originalTitle == "The Testers"
    assert tracks[309].grandparentTitle == "Various Artists"
    assert tracks[308].duration is None
    assert tracks[301].userRating is None
    # Like real Plex listings, no tag children other than genres: membership needs a filter.
    assert morning.moods == []
    assert albums[202].subformats == []


def test_music_section_albums_lists_every_album(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    assert keys(music.albums()) == [203, 201, 202, 204]
    assert emulator.stats().endpoint("GET /library/sections/{id}/albums") == 1


def test_user_rating_filters_with_every_operator(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    assert sorted(keys(music.searchTracks(filters={"userRating>>": 0}))) == [302, 303, 307]
    assert sorted(keys(music.searchTracks(filters={"userRating>>": 6.5}))) == [302, 307]
    # Unrated items have no value, so "less than" never matches them.
    assert keys(music.searchTracks(filters={"userRating<<": 7})) == [303]
    assert keys(music.searchTracks(filters={"userRating": 8})) == [302]
    assert len(music.searchTracks(filters={"userRating!": 8})) == 9
    assert keys(music.searchAlbums(filters={"userRating>>": 0})) == [203]
    assert keys(music.searchArtists(filters={"userRating>>": 0})) == [101]
    sent = [r for r in emulator.requests() if r.param("track.userRating>>") is not None]
    assert [r.param("track.userRating>>") for r in sent] == ["0", "6.5"]


def test_mood_filter_by_name_goes_through_filter_choices(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    assert keys(music.search(libtype="track", filters={"mood": "chill"})) == [302]
    assert keys(music.search(libtype="artist", filters={"mood": "Energetic"})) == [101]
    assert 302 not in keys(music.search(libtype="track", filters={"mood!": "Chill"}))
    assert len(music.search(libtype="track", filters={"mood!": "Chill"})) == 9
    log = emulator.requests()
    choice = next(r for r in log if r.path == "/library/sections/3/mood")
    assert choice.param("type") == "10"
    listing = next(r for r in log if r.param("track.mood") is not None)
    # plexapi looked the name up and sent the tag id, as it does against real Plex.
    chill_id = listing.param("track.mood")
    assert chill_id is not None and chill_id.isdigit()
    assert emulator.library.tags.by_id(int(chill_id)) == ("mood", "Chill")


def test_unknown_mood_name_is_sent_raw_and_matches_by_name(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    assert music.search(libtype="track", filters={"mood": "Nope Tag"}) == []
    raw = next(r for r in emulator.requests() if r.param("track.mood") is not None)
    assert raw.param("track.mood") == "Nope Tag"


def test_mood_search_without_libtype_returns_only_artists(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    # The old tool's cleanup searched this way and never saw tagged tracks (plex-api.md §1.5).
    assert music.search(filters={"mood": "Chill"}) == []
    assert keys(music.search(filters={"mood": "Energetic"})) == [101]


def test_subformat_filter_finds_live_albums(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    assert keys(music.searchAlbums(filters={"subformat": "Live"})) == [202]
    assert sorted(keys(music.searchAlbums(filters={"subformat!": "Live"}))) == [201, 203, 204]
    assert keys(music.searchAlbums(filters={"subformat": "compilation"})) == [204]


def test_artist_id_and_id_filters(emulator: Emulator, plex_for: Plex, no_autoreload: None) -> None:
    music = plex_for(emulator).library.section("Music")
    assert keys(music.searchAlbums(filters={"artist.id": 101})) == [201, 202]
    assert sorted(keys(music.searchTracks(filters={"id": [303, 307]}))) == [303, 307]
    # A prefix naming a parent level filters through the hierarchy.
    assert sorted(keys(music.searchTracks(filters={"album.userRating>>": 0}))) == [307, 308]


def test_paging_with_small_pages_has_no_duplicates_or_gaps(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    whole = keys(music.searchTracks(container_size=100))
    emulator.reset_stats()
    paged = keys(music.searchTracks(container_size=3))
    assert paged == whole
    assert len(set(paged)) == 10
    pages = [r for r in emulator.requests() if r.endpoint == "GET /library/sections/{id}/all"]
    assert emulator.stats().listings == {"track": 4}
    assert emulator.stats().items_returned == 10
    assert len(pages) == 4


def test_paging_a_generated_library_across_many_pages(
    emulator_factory: Callable[..., Emulator], plex_for: Plex, no_autoreload: None
) -> None:
    emu = emulator_factory(tracks=600, seed=5)
    music = plex_for(emu).library.section("Music")
    expected = [t.rating_key for t in emu.library.default_section.tracks]
    assert keys(music.searchTracks(container_size=47)) == expected
    rated = [t.rating_key for t in emu.library.default_section.tracks if t.user_rating]
    assert keys(music.searchTracks(container_size=13, filters={"userRating>>": 0})) == rated
    assert emu.stats().listings["track"] == -(-600 // 47) + -(-len(rated) // 13)


def test_counts_use_size_zero_and_return_total_size(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emulator).library.section("Music")
    emulator.reset_stats()
    assert music.totalViewSize(libtype="track") == 10
    assert music.totalViewSize(libtype="album") == 4
    assert music.totalSize == 3
    stats = emulator.stats()
    assert stats.requests == 3
    assert stats.items_returned == 0
    assert all(r.param("X-Plex-Container-Size") == "0" for r in emulator.requests())


def test_fetch_item_and_fetch_items_return_details_with_tags(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    plex = plex_for(emulator)
    track = plex.fetchItem(302)
    assert [m.tag for m in track.moods] == ["Chill"]
    assert [(f.name, f.locked) for f in track.fields] == [("mood", True)]
    album = plex.fetchItem(202)
    assert [s.tag for s in album.subformats] == ["Live"]
    artist = plex.fetchItem(101)
    assert [m.tag for m in artist.moods] == ["Energetic"]
    emulator.reset_stats()
    many = plex.fetchItems([307, 301, 204])
    assert keys(many) == [307, 301, 204]
    assert [type(i).__name__ for i in many] == ["Track", "Track", "Album"]
    assert emulator.stats().requests == 1
    with pytest.raises(NotFound):
        plex.fetchItem(999_999)


def test_navigation_children_leaves_and_parents(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    plex = plex_for(emulator)
    music = plex.library.section("Music")
    album = plex.fetchItem(201)
    assert keys(album.tracks()) == [301, 302, 303, 304]
    artist = plex.fetchItem(101)
    assert keys(artist.albums()) == [201, 202]
    assert keys(artist.tracks()) == [301, 302, 303, 304, 305, 306]
    track = music.searchTracks(filters={"id": 305})[0]
    assert track.album().ratingKey == 202
    assert track.artist().ratingKey == 101
    assert album.artist().title == "The Testers"
    endpoints = emulator.stats().by_endpoint
    assert endpoints["GET /library/metadata/{id}/children"] == 1
    assert endpoints["GET /library/metadata/{id}/allLeaves"] == 1


def test_autoreload_costs_one_detail_request_per_partial_object(
    emulator: Emulator, plex_for: Plex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLEXAPI_PLEXAPI_AUTORELOAD", "true")
    music = plex_for(emulator).library.section("Music")
    tracks = {t.ratingKey: t for t in music.searchTracks()}
    emulator.reset_stats()
    # Reading moods of a listed track triggers plexapi's hidden reload (plex-api.md §1.1).
    assert [m.tag for m in tracks[302].moods] == ["Chill"]
    assert tracks[301].userRating is None
    assert emulator.stats().by_endpoint == {"GET /library/metadata/{ids}": 2}
    reload = emulator.requests()[0]
    assert reload.path == "/library/metadata/302"
    assert reload.param("includeLoudnessRamps") == "1"
