"""Ratings, moods and field edits sent by unmodified plexapi land as real Plex applies them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound

from plexrate.emulator import Emulator, EmulatorLibrary

pytestmark = pytest.mark.integration

Plex = Callable[..., Any]
NOW = 1_800_000_000


@pytest.fixture
def emu(emulator_factory: Callable[..., Emulator], small_library: EmulatorLibrary) -> Emulator:
    return emulator_factory(small_library, clock=lambda: float(NOW))


def test_rate_sets_the_rating_and_last_rated_at(emu: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emu)
    track = plex.fetchItem(301)
    track.rate(7.0)
    assert emu.library.rating(301) == 7.0
    item = emu.library.item(301)
    assert item is not None and item.last_rated_at == NOW
    reread = plex.fetchItem(301)
    assert reread.userRating == 7.0
    assert int(reread.lastRatedAt.timestamp()) == NOW
    request = emu.requests()[-2]
    assert (request.method, request.path) == ("PUT", "/:/rate")
    assert request.param("rating") == "7.0"
    assert request.param("identifier") == "com.plexapp.plugins.library"
    stats = emu.stats()
    assert (stats.writes, stats.ratings_written) == (1, 1)


def test_rate_none_clears_the_rating(emu: Emulator, plex_for: Plex, no_autoreload: None) -> None:
    plex = plex_for(emu)
    plex.fetchItem(302).rate(None)
    assert emu.library.rating(302) is None
    assert emu.requests()[-1].param("rating") == "-1"
    reread = plex.fetchItem(302)
    assert reread.userRating is None
    music = plex.library.section("Music")
    assert 302 not in [t.ratingKey for t in music.searchTracks(filters={"userRating>>": 0})]


def test_rate_also_works_as_get_and_rejects_bad_values(emu: Emulator) -> None:
    base = f"{emu.url}/:/rate"
    headers = {"X-Plex-Token": emu.token}
    query: dict[str, str | int | float] = {
        "key": 303,
        "identifier": "com.plexapp.plugins.library",
        "rating": "9.5",
    }
    ok = requests.get(
        base,
        params=query,
        headers=headers,
        timeout=5,
    )
    assert ok.status_code == 200
    assert emu.library.rating(303) == 9.5
    refused: tuple[tuple[dict[str, str | int], int], ...] = (
        ({"key": 303, "identifier": "com.plexapp.plugins.library", "rating": "11"}, 400),
        ({"key": 303, "identifier": "com.plexapp.plugins.library", "rating": "x"}, 400),
        ({"key": 303, "identifier": "other", "rating": "5"}, 400),
        ({"key": 999, "identifier": "com.plexapp.plugins.library", "rating": "5"}, 404),
    )
    for params, status in refused:
        response = requests.put(base, params=params, headers=headers, timeout=5)
        assert response.status_code == status, params
    assert emu.library.rating(303) == 9.5


def test_single_item_add_and_remove_mood_keep_existing_moods(emu: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emu)
    track = plex.fetchItem(302)
    track.addMood("Rating_Inferred")
    assert emu.library.item_tags(302) == ("Chill", "Rating_Inferred")
    sent = emu.requests()[-1]
    # plexapi resent the existing mood with the new one, both as indexed additions.
    assert sent.param("mood[0].tag.tag") == "Chill"
    assert sent.param("mood[1].tag.tag") == "Rating_Inferred"
    assert sent.param("mood.locked") == "1"
    plex.fetchItem(302).removeMood("Rating_Inferred")
    assert emu.library.item_tags(302) == ("Chill",)
    assert emu.library.locked_fields(302) == ("mood",)


def test_add_mood_from_a_listing_without_reload_still_keeps_existing_moods(
    emu: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emu).library.section("Music")
    listed = next(t for t in music.searchTracks() if t.ratingKey == 302)
    assert listed.moods == []  # listings carry no moods and reload is off
    listed.addMood("Rating_Inferred")
    # Only the new tag was sent; the server's union semantics keep "Chill".
    assert emu.requests()[-1].param("mood[0].tag.tag") == "Rating_Inferred"
    assert emu.library.item_tags(302) == ("Chill", "Rating_Inferred")


def test_tag_names_are_matched_case_insensitively(emu: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emu)
    plex.fetchItem(303).addMood("chill")
    # The tag already exists as "Chill": Plex keeps one spelling per tag.
    assert emu.library.item_tags(303) == ("Chill",)
    plex.fetchItem(302).removeMood("CHILL")
    assert emu.library.item_tags(302) == ()


def test_batch_multi_edit_adds_moods_and_ratings_to_many_items(
    emu: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emu).library.section("Music")
    tracks = [t for t in music.searchTracks() if t.ratingKey in (301, 302, 304)]
    emu.reset_stats()
    music.batchMultiEdits(tracks).addMood("Rating_Inferred").editUserRating(7.0).saveMultiEdits()
    stats = emu.stats()
    assert (stats.requests, stats.writes, stats.ratings_written, stats.tags_added) == (1, 1, 3, 3)
    request = emu.requests()[0]
    assert request.param("id") == "301,302,304"
    assert request.param("type") == "10"
    assert emu.library.item_tags(302) == ("Chill", "Rating_Inferred")
    assert emu.library.item_tags(301) == ("Rating_Inferred",)
    before = {301: None, 302: 1_700_000_000, 304: None}  # tests/data/small_library.json
    for key in (301, 302, 304):
        assert emu.library.rating(key) == 7.0
        item = emu.library.item(key)
        # The strict emulator's edit form leaves lastRatedAt alone (edit-sets-last-rated moves it).
        assert item is not None and item.last_rated_at == before[key]
        assert item.updated_at == NOW
        assert "userRating" in item.locked
    assert emu.library.rating(303) == 6.0
    tagged = music.search(libtype="track", filters={"mood": "Rating_Inferred"})
    assert sorted(t.ratingKey for t in tagged) == [301, 302, 304]


def test_batch_remove_mood_with_the_twice_quoted_values_plexapi_sends(
    emu: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    odd = "Rating Inferred/x,y"
    music = plex_for(emu).library.section("Music")
    albums = music.searchAlbums()
    music.batchMultiEdits(albums).addMood([odd, "Keep Me"]).saveMultiEdits()
    assert all(emu.library.item_tags(a.ratingKey) == (odd, "Keep Me") for a in albums)
    music.batchMultiEdits(albums).removeMood(odd).saveMultiEdits()
    request = emu.requests()[-1]
    # After one URL decoding the value is still quoted: the comma inside the name is %2C.
    assert request.param("mood[].tag.tag-") == "Rating%20Inferred/x%2Cy"
    assert all(emu.library.item_tags(a.ratingKey) == ("Keep Me",) for a in albums)
    assert emu.stats().tags_removed == 4


def test_multi_edit_clears_a_rating_with_an_empty_value(
    emu: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    plex = plex_for(emu)
    music = plex.library.section("Music")
    music.batchMultiEdits([plex.fetchItem(303), plex.fetchItem(307)]).editField(
        "userRating", None
    ).saveMultiEdits()
    assert emu.requests()[-1].param("userRating.value") == ""
    assert emu.library.rating(303) is None
    assert emu.library.rating(307) is None


def test_single_edit_user_rating_locks_the_field_and_unlock_removes_the_lock(
    emu: Emulator, plex_for: Plex
) -> None:
    plex = plex_for(emu)
    plex.fetchItem(201).editUserRating(9.0)
    assert emu.library.rating(201) == 9.0
    assert [(f.name, f.locked) for f in plex.fetchItem(201).fields] == [("userRating", True)]
    plex.fetchItem(201).editUserRating(9.0, locked=False)
    assert plex.fetchItem(201).fields == []


def test_release_date_edit_needs_the_value_form(emu: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emu)
    album = plex.fetchItem(201)
    # plexapi's generic edit() sends the bare key, which Plex (and the emulator) ignores.
    album.edit(originallyAvailableAt="1990-01-01")
    assert emu.library.item(201).originally_available_at == "1999-05-01"  # type: ignore[union-attr]
    assert emu.stats().ignored_edits == 1
    album.editOriginallyAvailable("2003-02-01")
    reread = plex.fetchItem(201)
    assert reread.originallyAvailableAt.strftime("%Y-%m-%d") == "2003-02-01"
    # Whether a real server derives the year from the date is unknown: the strict emulator
    # keeps the old year, and only the named leniency derives it.
    assert reread.year == 1999


def test_release_date_sets_the_year_only_when_named_lenient(
    emulator_factory: Callable[..., Emulator], small_library: EmulatorLibrary, plex_for: Plex
) -> None:
    emu = emulator_factory(small_library, lenient={"date-sets-year"})
    plex_for(emu).fetchItem(201).editOriginallyAvailable("2003-02-01")
    assert plex_for(emu).fetchItem(201).year == 2003


def test_batch_edit_rejects_mixed_sections_and_unknown_items(emu: Emulator, plex_for: Plex) -> None:
    url = f"{emu.url}/library/sections/3/all"
    headers = {"X-Plex-Token": emu.token}

    def put(params: dict[str, str]) -> int:
        return requests.put(url, params=params, headers=headers, timeout=5).status_code

    assert put({"id": "301,999", "type": "10", "userRating.value": "5"}) == 404
    assert put({"id": "301,201", "userRating.value": "5"}) == 400
    assert put({"id": "301", "type": "9", "userRating.value": "5"}) == 400
    assert put({"id": "301", "type": "10", "userRating.value": "12"}) == 400
    assert put({"id": "301", "type": "10", "title.value": "x"}) == 400
    assert put({"id": "301", "type": "10", "subformat[0].tag.tag": "Live"}) == 400
    assert put({"id": "x", "type": "10"}) == 400
    assert put({"id": "301", "type": "10", "unknown": "1"}) == 400
    assert (
        requests.put(
            f"{emu.url}/library/sections/7/all", params={"id": "301"}, headers=headers, timeout=5
        ).status_code
        == 404
    )
    # Nothing was applied by the refused requests.
    assert emu.library.rating(301) is None
    with pytest.raises(BadRequest):
        plex_for(emu).fetchItem(301).editField("title", "New")


def test_edit_without_ids_applies_to_every_item_of_the_type(emu: Emulator) -> None:
    response = requests.put(
        f"{emu.url}/library/sections/3/all",
        params={"type": "9", "mood[0].tag.tag": "Everywhere"},
        headers={"X-Plex-Token": emu.token},
        timeout=5,
    )
    assert response.status_code == 200
    assert emu.library.tagged("Everywhere") == {201, 202, 203, 204}


def test_clearing_all_tags_of_a_type(emu: Emulator) -> None:
    response = requests.put(
        f"{emu.url}/library/sections/3/all",
        params={"id": "101", "type": "8", "genre[].tag": ""},
        headers={"X-Plex-Token": emu.token},
        timeout=5,
    )
    assert response.status_code == 200
    assert emu.library.item_tags(101, "genre") == ()


def test_writes_are_visible_to_filtered_listings_immediately(
    emu: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    music = plex_for(emu).library.section("Music")
    before = [t.ratingKey for t in music.searchTracks(filters={"userRating>>": 0})]
    plex_for(emu).fetchItem(310).rate(4.0)
    after = [t.ratingKey for t in music.searchTracks(filters={"userRating>>": 0})]
    assert sorted(after) == sorted([*before, 310])


def test_unknown_item_edit_raises_not_found(emu: Emulator, plex_for: Plex) -> None:
    with pytest.raises(NotFound):
        plex_for(emu).query(
            "/library/sections/3/all?id=424242&type=10&userRating.value=5",
            method=requests.Session().put,
        )
