"""Filters and sorts per libtype as the real Meta lists them (docs/real-servers.md, "Filter and sort
fields"): the date and count fields an incremental reader uses, sorted paging, and the refusals of
fields a real server does not offer (with the ``album-artist-rated-filters`` leniency)."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library

pytestmark = pytest.mark.integration

Plex = Callable[..., Any]


def get(emu: Emulator, path: str, **params: str | int) -> requests.Response:
    return requests.get(
        f"{emu.url}{path}",
        params=params,
        headers={"X-Plex-Token": emu.token, "X-Plex-Container-Size": "1000"},
        timeout=10,
    )


def keys(emu: Emulator, kind: int, **params: str | int) -> list[int]:
    response = get(emu, "/library/sections/3/all", type=kind, **params)
    assert response.status_code == 200, response.text
    return [int(e.get("ratingKey") or 0) for e in ET.fromstring(response.content)]


def listened(emulator: Emulator) -> None:
    """Plays and skips on a few tracks of the small library (epoch seconds)."""
    emulator.play(302, at=1_750_000_000)
    emulator.play(302, at=1_750_000_500)
    emulator.play(305, at=1_750_001_000)
    emulator.skip(303, at=1_750_002_000)
    emulator.skip(307, at=1_750_000_100)


def test_play_and_skip_dates_and_counts_filter_tracks(emulator: Emulator) -> None:
    listened(emulator)
    assert keys(emulator, 10, **{"track.lastViewedAt>>": 1_750_000_400}) == [302, 305]
    assert keys(emulator, 10, **{"track.lastViewedAt<<": 1_750_000_600}) == [302]
    assert keys(emulator, 10, **{"track.lastSkippedAt>>": 1_750_001_000}) == [303]
    assert keys(emulator, 10, **{"track.viewCount>>": 1}) == [302]
    assert keys(emulator, 10, **{"track.viewCount": 1}) == [305]
    assert sorted(keys(emulator, 10, **{"track.skipCount>>": 0})) == [303, 307]
    # Served on the items too, listings and details alike.
    track = ET.fromstring(get(emulator, "/library/metadata/303").content)[0]
    assert (track.get("skipCount"), track.get("lastSkippedAt")) == ("1", "1750002000")


def test_albums_and_artists_filter_on_their_tracks_plays(emulator: Emulator) -> None:
    listened(emulator)
    # An album was last played when its latest track was; its plays are its tracks' plays.
    assert keys(emulator, 9, **{"album.lastViewedAt>>": 1_750_000_700}) == [202]
    assert keys(emulator, 9, **{"album.viewCount": 2}) == [201]
    assert keys(emulator, 8, **{"artist.lastViewedAt>>": 1_749_999_999}) == [101]
    # Through the hierarchy: albums with a track skipped after a date.
    assert keys(emulator, 9, **{"track.lastSkippedAt>>": 1_750_001_000}) == [201]


def test_a_fresh_library_counts_its_plays_for_real(
    emulator_factory: Callable[..., Emulator],
) -> None:
    lib = generate_library(tracks=400, seed=5)
    played = {t.rating_key: t.view_count for t in lib.default_section.tracks}
    emu = emulator_factory(lib)
    got = keys(emu, 10, **{"track.viewCount>>": 3})
    assert got and sorted(got) == sorted(k for k, v in played.items() if v > 3)


@pytest.mark.parametrize(
    "query",
    [
        {"album.lastRatedAt>>": 0},
        {"artist.lastRatedAt>>": 0},
        {"track.updatedAt>>": 0},
        {"album.updatedAt<<": 0},
        {"track.year": 1999},
    ],
)
def test_filters_the_real_meta_does_not_offer_are_refused_by_name(
    emulator: Emulator, query: dict[str, int]
) -> None:
    (field,) = query
    for kind in (8, 9, 10):
        response = get(emulator, "/library/sections/3/all", type=kind, **query)
        assert response.status_code == 400
        assert field.rstrip("<>") in response.text


@pytest.mark.parametrize(
    ("kind", "sort"),
    [(9, "lastRatedAt:desc"), (8, "lastRatedAt"), (10, "updatedAt:desc"), (8, "title")],
)
def test_sorts_the_real_meta_does_not_offer_are_refused(
    emulator: Emulator, kind: int, sort: str
) -> None:
    response = get(emulator, "/library/sections/3/all", type=kind, sort=sort)
    assert response.status_code == 400
    assert sort.split(":", maxsplit=1)[0] in response.text


def test_the_leniency_offers_rated_filters_and_sorts_on_albums_and_artists(
    emulator_factory: Callable[..., Emulator],
    small_library: EmulatorLibrary,
    plex_for: Plex,
) -> None:
    emu = emulator_factory(small_library, lenient={"album-artist-rated-filters"})
    assert keys(emu, 9, **{"album.lastRatedAt>>": 1_700_000_050}) == [203]
    assert keys(emu, 8, **{"artist.lastRatedAt>>": 0}) == [101]
    assert keys(emu, 9, sort="lastRatedAt:desc")[:1] == [203]
    # updatedAt has its own leniency.
    assert (
        get(emu, "/library/sections/3/all", type=9, **{"album.updatedAt>>": 0}).status_code == 400
    )
    # The Meta says so too, so plexapi lets a client sort albums by it.
    music = plex_for(emu).library.section("Music")
    assert [a.ratingKey for a in music.searchAlbums(sort="lastRatedAt:desc")][:1] == [203]


def test_plexapi_sees_the_real_fields_and_refuses_the_others_itself(
    emulator: Emulator, plex_for: Plex
) -> None:
    listened(emulator)
    music = plex_for(emulator).library.section("Music")
    since = datetime.fromtimestamp(1_750_001_000)
    tracks = music.searchTracks(filters={"track.lastSkippedAt>>": since})
    assert [t.ratingKey for t in tracks] == [303]
    assert [t.ratingKey for t in music.searchTracks(sort="lastViewedAt:desc")][:2] == [305, 302]
    assert [a.ratingKey for a in music.searchAlbums(filters={"album.viewCount>>": 0})] == [201, 202]
    # plexapi checks sorts against the Meta: albums have no lastRatedAt sort there.
    with pytest.raises((BadRequest, NotFound)):
        music.searchAlbums(sort="lastRatedAt:desc")
    fields = {f.key for f in music.listFields("track")}
    assert {"track.lastSkippedAt", "track.skipCount", "track.viewCount"} <= fields
    sorts = {s.key for s in music.listSorts("album")}
    assert {"lastViewedAt", "viewCount"} <= sorts and "lastRatedAt" not in sorts


@pytest.mark.parametrize("field", ["lastRatedAt", "addedAt", "lastViewedAt"])
def test_sorted_tracks_page_in_order_ties_by_rating_key_undated_last(
    emulator_factory: Callable[..., Emulator], field: str
) -> None:
    lib = generate_library(tracks=900, seed=4)
    rng = random.Random(field)
    attr = {"lastRatedAt": "last_rated_at", "addedAt": "added_at", "lastViewedAt": "last_viewed_at"}
    tracks = lib.default_section.tracks
    # Many ties (a few distinct dates) and many undated items make the order's rules matter.
    for track in tracks:
        setattr(
            track,
            attr[field],
            rng.choice([None, None, 1_700_000_000, 1_700_000_500, 1_600_000_000]),
        )
    expected = sorted(
        tracks,
        key=lambda t: (
            getattr(t, attr[field]) is None,
            -(getattr(t, attr[field]) or 0),
            t.rating_key,
        ),
    )
    emu = emulator_factory(lib)
    seen: list[int] = []
    start = 0
    while True:
        query: dict[str, str | int | float] = {"type": 10, "sort": f"{field}:desc"}
        response = requests.get(
            f"{emu.url}/library/sections/3/all",
            params=query,
            headers={
                "X-Plex-Token": emu.token,
                "X-Plex-Container-Start": str(start),
                "X-Plex-Container-Size": "97",
            },
            timeout=10,
        )
        assert response.status_code == 200
        page = [int(e.get("ratingKey") or 0) for e in ET.fromstring(response.content)]
        if not page:
            break
        seen += page
        start += len(page)
    assert seen == [t.rating_key for t in expected]


def test_ascending_sorts_put_undated_items_first_like_sqlite(emulator: Emulator) -> None:
    got = keys(emulator, 10, sort="lastRatedAt")
    undated = [301, 304, 305, 306, 308, 309, 310]
    assert got[: len(undated)] == undated
    assert got[len(undated) :] == [302, 303, 307]


def test_the_default_album_artist_sorts_of_the_real_meta_are_accepted(emulator: Emulator) -> None:
    tracks = keys(
        emulator,
        10,
        sort="artist.titleSort,album.titleSort,album.year,track.absoluteIndex,track.index,"
        "track.titleSort,track.id",
    )
    assert tracks[:2] == [307, 308]  # Ådne Ångström sorts first, accents folded
    albums = keys(
        emulator,
        9,
        sort="artist.titleSort:desc,album.titleSort,album.index,album.id,album.originallyAvailableAt",
    )
    assert albums == [204, 201, 202, 203]


def test_relative_dates_follow_the_emulator_clock(
    emulator_factory: Callable[..., Emulator], small_library: EmulatorLibrary
) -> None:
    now = [1_750_000_000.0]
    emu = emulator_factory(small_library, clock=lambda: now[0])
    emu.play(302, at=1_749_999_000)  # 1000 s before "now"
    assert keys(emu, 10, **{"track.lastViewedAt>>": "-1h"}) == [302]
    now[0] += 7200
    assert keys(emu, 10, **{"track.lastViewedAt>>": "-1h"}) == []


def test_plexrates_own_filters_still_work(emulator: Emulator) -> None:
    """What plexrate and plexapi send: ids through the hierarchy, moods and subformats by id."""
    assert keys(emulator, 9, **{"artist.id": 101}) == [201, 202]
    assert keys(emulator, 10, **{"album.id": 203}) == [307, 308]
    assert keys(emulator, 10, **{"track.userRating>>": 0}) == [307, 302, 303]
    assert keys(emulator, 10, **{"track.lastRatedAt>>": 1_700_000_100}) == [307]
    assert keys(emulator, 10, **{"track.addedAt>>": 0}) == []
    mood = ET.fromstring(get(emulator, "/library/sections/3/mood", type=10).content)[0]
    assert keys(emulator, 10, **{"track.mood": mood.get("key") or ""}) == [302]
    assert keys(emulator, 9, **{"album.subformat": "Live"}) == [202]


def test_the_updated_leniency_filters_albums_and_artists_by_updatedat_and_no_more(
    emulator_factory: Callable[..., Emulator],
) -> None:
    emu = emulator_factory(
        generate_library(tracks=40, seed=2), lenient={"album-artist-updated-filters"}
    )
    everything = keys(emu, 9)
    assert keys(emu, 9, **{"album.updatedAt>>": 0}) == everything
    assert keys(emu, 9, **{"album.updatedAt>>": 4_000_000_000}) == []
    assert keys(emu, 8, **{"artist.updatedAt<<": 4_000_000_000}) == keys(emu, 8)
    album = everything[0]
    emu.rematch_album(album, at=3_000_000_000)
    assert keys(emu, 9, **{"album.updatedAt>>": 2_999_999_999}) == [album]
    # A rating alone does not move it (the stricter side: unknown of real servers).
    emu.person_rate(everything[1], 8.0, at=3_000_000_100)
    emu.person_rate(keys(emu, 8)[0], 6.0, at=3_000_000_100)
    assert keys(emu, 8, **{"artist.updatedAt>>": 3_000_000_050}) == []
    assert keys(emu, 9, **{"album.updatedAt>>": 3_000_000_050}) == []
    for refused in (
        {"type": 10, "track.updatedAt>>": 0},
        {"type": 9, "album.lastRatedAt>>": 0},
        {"type": 9, "sort": "updatedAt:desc"},
    ):
        assert get(emu, "/library/sections/3/all", **refused).status_code == 400
