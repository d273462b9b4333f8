"""One test per real-server fact the emulator follows (plex-api.md §7, docs/real-servers.md).

Each test drives the emulator over HTTP (unmodified plexapi where plexapi has the call) and shows
the strict behaviour by default, and the forgiving one only when a test names it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound
from plexapi.server import PlexServer

from plexrate.emulator import LENIENCIES, Emulator, EmulatorLibrary, Strictness
from plexrate.emulator.strictness import STRICT

Factory = Callable[..., Emulator]
Plex = Callable[[Emulator], PlexServer]


def get(emu: Emulator, path: str, size: int | None = None, **params: Any) -> requests.Response:
    headers = {"X-Plex-Token": emu.token}
    if size is not None:
        headers["X-Plex-Container-Size"] = str(size)
    return requests.get(f"{emu.url}{path}", headers=headers, params=params, timeout=5)


@pytest.fixture
def emu(emulator_factory: Factory, small_library: EmulatorLibrary) -> Emulator:
    return emulator_factory(small_library)


# -- 7.1 ------------------------------------------------------------------------------------------


def test_fact_1_ratings_keep_one_decimal_whichever_form_wrote_them(
    emu: Emulator, plex_for: Plex
) -> None:
    plex = plex_for(emu)
    section = plex.library.section(emu.section_title)
    section.batchMultiEdits([plex.fetchItem(301)]).editUserRating(6.58).saveMultiEdits()
    plex.fetchItem(302).rate(3.45)
    assert plex.fetchItem(301).userRating == 6.6
    assert plex.fetchItem(302).userRating == 3.5
    # What a client reads is what the server holds; the XML carries the one-decimal value.
    assert 'userRating="6.6"' in get(emu, "/library/metadata/301").text
    assert emu.library.rating(301) == 6.6


def test_fact_1_a_library_file_is_served_at_one_decimal(
    emulator_factory: Factory, small_library_dict: dict[str, Any], plex_for: Plex
) -> None:
    small_library_dict["sections"][1]["tracks"][0]["userRating"] = 7.26
    key = small_library_dict["sections"][1]["tracks"][0]["ratingKey"]
    lenient = emulator_factory(
        EmulatorLibrary.from_dict(small_library_dict), lenient={"rating-precision"}
    )
    assert plex_for(lenient).fetchItem(key).userRating == 7.26
    strict = emulator_factory(EmulatorLibrary.from_dict(small_library_dict))
    assert plex_for(strict).fetchItem(key).userRating == 7.3


# -- 7.2 ------------------------------------------------------------------------------------------


def test_fact_2_a_section_listing_needs_a_page_size_of_at_most_1000(emu: Emulator) -> None:
    listing = "/library/sections/3/all"
    missing = get(emu, listing, type=10)
    assert missing.status_code == 400
    assert "Missing X-Plex-Container-Size header" in missing.text
    assert get(emu, listing, size=1001, type=10).status_code == 400
    assert get(emu, listing, size=1000, type=10).status_code == 200
    # A count (Size=0 as a parameter, as plexapi's totalViewSize sends it) is a size too.
    counted = get(emu, listing, type=10, **{"X-Plex-Container-Size": 0})
    assert counted.status_code == 200
    for path in ("/library/metadata/201/children", "/library/metadata/101/allLeaves"):
        assert get(emu, path).status_code == 400
        assert get(emu, path, size=50).status_code == 200


def test_fact_2_metadata_answers_a_default_page_without_a_size(
    emulator_factory: Factory, plex_for: Plex
) -> None:
    emu = emulator_factory(tracks=300, seed=2)
    keys = sorted(emu.library.keys("track"))[:120]
    path = "/library/metadata/" + ",".join(map(str, keys))
    unsized = ET.fromstring(get(emu, path).content)
    assert (len(unsized), unsized.get("totalSize")) == (50, "120")
    sized = ET.fromstring(get(emu, path, size=1000).content)
    assert len(sized) == 120
    assert get(emu, path, size=1001).status_code == 400
    # plexapi follows totalSize, so its multi-id fetch still gets every item.
    assert len(plex_for(emu).fetchItems(keys)) == 120


def test_fact_2_filter_choices_are_served_whole_as_plexapi_asks_for_them(
    emu: Emulator, plex_for: Plex
) -> None:
    # plexapi's listFilterChoices sends no size; its CI does this against a real server.
    section = plex_for(emu).library.section(emu.section_title)
    assert section.listFilterChoices("mood", libtype="track")
    assert get(emu, "/library/sections/3/mood", type=10).status_code == 200
    assert get(emu, "/library/sections/3/mood", size=1001, type=10).status_code == 400


def test_fact_2_plexapi_lists_a_section_within_the_limits(emu: Emulator, plex_for: Plex) -> None:
    section = plex_for(emu).library.section(emu.section_title)
    assert len(section.searchTracks()) == len(emu.library.keys("track"))
    with pytest.raises(BadRequest, match="above the limit of 1000"):
        section.searchTracks(container_size=5000)


# -- 7.3 ------------------------------------------------------------------------------------------


def test_fact_3_a_multi_edit_naming_a_deleted_item_answers_404_and_applies_nothing(
    emu: Emulator, plex_for: Plex
) -> None:
    plex = plex_for(emu)
    section = plex.library.section(emu.section_title)
    tracks = [plex.fetchItem(301), plex.fetchItem(303)]
    before = emu.library.rating(301)
    assert emu.delete([303]) == [303]
    with pytest.raises(NotFound):
        section.batchMultiEdits(tracks).editUserRating(2.0).saveMultiEdits()
    assert emu.library.rating(301) == before
    with pytest.raises(NotFound):
        tracks[1].rate(4.0)


def test_deleting_an_album_takes_its_tracks_with_it(emu: Emulator) -> None:
    tracks = emu.library.children_of(201)
    assert tracks
    removed = emu.delete([201])
    assert set(removed) == {201, *tracks}
    assert all(emu.library.item(k) is None for k in removed)
    assert get(emu, "/library/metadata/201").status_code == 404


# -- 7.4 ------------------------------------------------------------------------------------------


def test_fact_4_listings_carry_at_most_three_genres_and_no_moods(
    emulator_factory: Factory, small_library: EmulatorLibrary, plex_for: Plex
) -> None:
    genres = ("Rock", "Pop", "Jazz", "Folk", "Soul")
    with small_library.lock:
        album = small_library.get(201)
        assert album is not None
        album.genres = genres
        album.moods = ("Chill",)
    emu = emulator_factory(small_library)
    listing = ET.fromstring(get(emu, "/library/sections/3/all", size=100, type=9).content)
    listed = next(e for e in listing if e.get("ratingKey") == "201")
    assert [g.get("tag") for g in listed.iter("Genre")] == list(genres[:3])
    assert list(listed.iter("Mood")) == []
    detail = plex_for(emu).fetchItem(201)
    assert [g.tag for g in detail.genres] == list(genres)
    assert [m.tag for m in detail.moods] == ["Chill"]
    everything = emulator_factory(small_library, lenient={"all-genres"})
    listing = ET.fromstring(get(everything, "/library/sections/3/all", size=100, type=9).content)
    listed = next(e for e in listing if e.get("ratingKey") == "201")
    assert [g.get("tag") for g in listed.iter("Genre")] == list(genres)


# -- 7.6 ------------------------------------------------------------------------------------------


def test_fact_6_locks_stay_until_an_edit_unlocks_them(emu: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emu)
    track = plex.fetchItem(301)
    track.editUserRating(8.0)
    assert "userRating" in emu.library.locked_fields(301)
    plex.fetchItem(301).rate(6.0)  # a rating from a player leaves the lock as it is
    assert "userRating" in emu.library.locked_fields(301)
    assert any(f.name == "userRating" and f.locked for f in plex.fetchItem(301).fields)
    plex.fetchItem(301).editUserRating(7.0, locked=False)
    assert "userRating" not in emu.library.locked_fields(301)


# -- 7.9 (unknown; the emulator takes the stricter side) ------------------------------------------


def test_fact_9_a_release_date_edit_leaves_the_album_year(emu: Emulator, plex_for: Plex) -> None:
    album = plex_for(emu).fetchItem(201)
    year = album.year
    album.editOriginallyAvailable("2003-02-01")
    reread = plex_for(emu).fetchItem(201)
    assert reread.originallyAvailableAt.strftime("%Y-%m-%d") == "2003-02-01"
    assert reread.year == year


# -- strictness itself ----------------------------------------------------------------------------


def test_the_forgiving_behaviours_are_off_by_default(emu: Emulator) -> None:
    assert emu.strictness == STRICT and STRICT.strict
    assert STRICT.lenient == frozenset()
    # Every leniency exists to be named by a test; none is on unless named.
    for name in LENIENCIES:
        assert not STRICT.allows(name)
        assert Strictness.of([name]).allows(name)


def test_an_unknown_leniency_is_refused(small_library: EmulatorLibrary) -> None:
    with pytest.raises(ValueError, match="unknown emulator leniency"):
        Emulator(small_library, lenient={"everything"})
