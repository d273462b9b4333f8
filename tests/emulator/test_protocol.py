"""The wire format: tokens, status codes, paging parameters and the XML shapes of each endpoint."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
import requests
from plexapi.exceptions import NotFound, Unauthorized
from plexapi.server import PlexServer

from plexrate.emulator import Emulator, EmulatorLibrary

pytestmark = pytest.mark.integration

Plex = Callable[..., Any]


def get(emu: Emulator, path: str, *, sized: bool = True, **kwargs: Any) -> requests.Response:
    """GET as a careful client does: with the token and, unless ``sized`` is False, a page size
    (real servers refuse section listings without one)."""
    headers = kwargs.pop("headers", {"X-Plex-Token": emu.token})
    if sized:
        headers = {"X-Plex-Container-Size": "1000", **headers}
    return requests.get(f"{emu.url}{path}", headers=headers, timeout=5, **kwargs)


def xml(emu: Emulator, path: str, **kwargs: Any) -> ET.Element:
    response = get(emu, path, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/xml;charset=utf-8"
    return ET.fromstring(response.content)


def test_wrong_or_missing_token_is_refused(emulator: Emulator) -> None:
    with pytest.raises(Unauthorized):
        PlexServer(emulator.url, "not-the-token", timeout=5)
    assert get(emulator, "/library/sections", headers={}).status_code == 401
    assert get(emulator, "/library/sections/3/all", headers={}).status_code == 401
    # The token is also accepted as a query parameter, as Plex accepts it on stream URLs.
    by_param = get(
        emulator, "/library/sections", headers={}, params={"X-Plex-Token": emulator.token}
    )
    assert by_param.status_code == 200
    # /identity answers without a token, as a real server does.
    assert get(emulator, "/identity", headers={}).status_code == 200
    assert emulator.stats().by_status[401] == 3
    assert all(r.param("X-Plex-Token") is None for r in emulator.requests())


def test_unknown_keys_and_paths_are_404(emulator: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emulator)
    with pytest.raises(NotFound):
        plex.fetchItem(123_456)
    with pytest.raises(NotFound):
        plex.query("/library/sections/42/all")
    assert get(emulator, "/library/metadata/777/children").status_code == 404
    assert get(emulator, "/no/such/thing").status_code == 404
    # Several keys: the ones that exist come back; all unknown is a 404.
    root = xml(emulator, "/library/metadata/301,424242,302")
    assert [e.get("ratingKey") for e in root] == ["301", "302"]


def test_malformed_queries_are_400(emulator: Emulator) -> None:
    for query in (
        "type=10&track.userRating>>=abc",
        "type=10&track.bogus=1",
        "type=10&track.mood>>=1",
        "type=10&sort=nonsense",
        "type=10&X-Plex-Container-Start=-1",
        "type=banana",
    ):
        assert get(emulator, f"/library/sections/3/all?{query}").status_code == 400, query


def test_paging_reads_headers_and_query_parameters(emulator: Emulator) -> None:
    by_header = xml(
        emulator,
        "/library/sections/3/all?type=10",
        headers={
            "X-Plex-Token": emulator.token,
            "X-Plex-Container-Start": "4",
            "X-Plex-Container-Size": "3",
        },
    )
    by_param = xml(
        emulator,
        "/library/sections/3/all?type=10&X-Plex-Container-Start=4&X-Plex-Container-Size=3",
    )
    for root in (by_header, by_param):
        assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("3", "10", "4")
        # Default order: Ådne Ångström (307, 308), then The Testers (301…306), then compilations.
        assert [t.get("ratingKey") for t in root] == ["303", "304", "305"]
    count = xml(emulator, "/library/sections/3/all?type=10&X-Plex-Container-Size=0")
    assert (count.get("size"), count.get("totalSize"), len(count)) == ("0", "10", 0)
    filtered = xml(
        emulator, "/library/sections/3/all?type=10&track.userRating%3E%3E=0&X-Plex-Container-Size=0"
    )
    assert filtered.get("totalSize") == "3"
    past_end = xml(emulator, "/library/sections/3/all?type=9&X-Plex-Container-Start=50")
    assert (past_end.get("size"), past_end.get("totalSize")) == ("0", "4")


def test_section_listing_without_type_lists_artists(emulator: Emulator) -> None:
    root = xml(emulator, "/library/sections/3/all")
    assert {e.get("type") for e in root} == {"artist"}
    assert root.get("librarySectionID") == "3"
    movies = xml(emulator, "/library/sections/1/all")
    assert (movies.get("size"), movies.get("totalSize")) == ("0", "0")


def test_listings_carry_no_mood_children_but_details_do(emulator: Emulator) -> None:
    listing = xml(emulator, "/library/sections/3/all?type=10")
    assert listing.findall(".//Mood") == []
    album_listing = xml(emulator, "/library/sections/3/all?type=9")
    assert album_listing.findall(".//Subformat") == []
    assert [g.get("tag") for g in album_listing.findall(".//Genre")] == ["Rock"]
    detail = xml(emulator, "/library/metadata/302,202")
    track, album = list(detail)
    mood = track.find("Mood")
    assert mood is not None and mood.get("tag") == "Chill" and mood.get("id", "").isdigit()
    field = track.find("Field")
    assert field is not None and (field.get("name"), field.get("locked")) == ("mood", "1")
    subformat = album.find("Subformat")
    assert subformat is not None and subformat.get("tag") == "Live"
    part = track.find("Media/Part")
    assert part is not None and part.get("duration") == "215000"
    trimmed = xml(emulator, "/library/metadata/302?excludeElements=Media,Mood")
    assert trimmed[0].find("Media") is None and trimmed[0].find("Mood") is None


def test_every_item_element_carries_what_plexapi_reads(emulator: Emulator) -> None:
    track = xml(emulator, "/library/sections/3/all?type=10&id=309")[0]
    for attr, value in {
        "type": "track",
        "ratingKey": "309",
        "key": "/library/metadata/309",
        "parentRatingKey": "204",
        "parentKey": "/library/metadata/204",
        "grandparentRatingKey": "103",
        "grandparentKey": "/library/metadata/103",
        "title": "Morning Song",
        "parentTitle": "Summer Anthems 2005",
        "grandparentTitle": "Various Artists",
        "originalTitle": "The Testers",
        "duration": "216000",
        "index": "1",
        "librarySectionID": "3",
        "librarySectionTitle": "Music",
    }.items():
        assert track.get(attr) == value, attr
    album = xml(emulator, "/library/sections/3/all?type=9&id=201")[0]
    assert album.tag == "Directory"
    assert album.get("key") == "/library/metadata/201/children"
    assert (album.get("rating"), album.get("year"), album.get("parentTitle")) == (
        "7.5",
        "1999",
        "The Testers",
    )
    rated = xml(emulator, "/library/sections/3/all?type=10&id=302")[0]
    assert (rated.get("userRating"), rated.get("lastRatedAt")) == ("8.0", "1700000000")
    assert "userRating" not in xml(emulator, "/library/sections/3/all?type=10&id=301")[0].attrib


def test_meta_description_matches_the_real_structure(emulator: Emulator) -> None:
    root = xml(
        emulator,
        "/library/sections/3/all?includeMeta=1&includeAdvanced=1"
        "&X-Plex-Container-Start=0&X-Plex-Container-Size=0",
    )
    assert (root.get("size"), root.get("totalSize")) == ("0", "3")
    meta = root.find("Meta")
    assert meta is not None
    types = {t.get("type"): t for t in meta.findall("Type")}
    assert set(types) == {"artist", "album", "track"}
    assert types["artist"].get("active") == "1"
    assert types["track"].get("key") == "/library/sections/3/all?type=10"
    track_fields = {f.get("key"): f.get("type") for f in types["track"].findall("Field")}
    assert track_fields["track.userRating"] == "integer"
    assert track_fields["track.mood"] == "tag"
    mood_filter = types["album"].find("Filter[@filter='subformat']")
    assert mood_filter is not None
    assert mood_filter.get("key") == "/library/sections/3/subformat?type=9"
    operators = {
        ft.get("type"): [o.get("key") for o in ft.findall("Operator")]
        for ft in meta.findall("FieldType")
    }
    assert operators["integer"] == ["=", "!=", ">>=", "<<="]
    assert operators["tag"] == ["=", "!="]
    collections = xml(emulator, "/library/sections/3/collections?includeMeta=1")
    ctype = collections.find("Meta/Type")
    assert ctype is not None and ctype.get("type") == "collection"


def test_filter_choices_list_the_tags_of_one_type(emulator: Emulator) -> None:
    moods = xml(emulator, "/library/sections/3/mood?type=10")
    assert [(d.get("title"), d.get("type")) for d in moods] == [("Chill", "mood")]
    chill = moods[0]
    assert f"mood={chill.get('key')}" in (chill.get("fastKey") or "")
    genres = xml(emulator, "/library/sections/3/genre?type=8")
    assert [d.get("title") for d in genres] == ["Folk", "Rock"]
    artists = xml(emulator, "/library/sections/3/mood")
    assert [d.get("title") for d in artists] == ["Energetic"]


def test_root_identity_and_sections(emulator: Emulator) -> None:
    root = xml(emulator, "/")
    assert root.get("machineIdentifier") == "emulator-test-0001"
    bools = ("allowSync", "myPlex", "multiuser", "transcoderAudio", "updater")
    assert all(root.get(b) in ("0", "1") for b in bools)
    identity = xml(emulator, "/identity", headers={})
    assert (identity.get("claimed"), identity.get("version")) == ("1", "1.41.3.9314-emulator")
    sections = xml(emulator, "/library/sections")
    music = sections.find("Directory[@key='3']")
    assert music is not None
    assert (music.get("type"), music.get("agent"), music.get("scanner")) == (
        "artist",
        "tv.plex.agents.music",
        "Plex Music",
    )
    assert music.find("Location") is not None


def test_escaping_and_non_ascii_round_trip(
    emulator_factory: Callable[..., Emulator],
    small_library_dict: dict[str, Any],
    plex_for: Plex,
) -> None:
    tracks = small_library_dict["sections"][1]["tracks"]
    tracks[0]["title"] = 'Rock & "Roll" <Live>\tTake\x01'
    tracks[1]["title"] = "Ström – 夜明け"
    emu = emulator_factory(EmulatorLibrary.from_dict(small_library_dict))
    plex = plex_for(emu)
    assert plex.fetchItem(301).title == 'Rock & "Roll" <Live>\tTake'
    assert plex.fetchItem(302).title == "Ström – 夜明け"


def test_sorting_parameter(emulator: Emulator) -> None:
    by_rating = xml(emulator, "/library/sections/3/all?type=10&sort=userRating:desc")
    assert [t.get("ratingKey") for t in by_rating][:3] == ["307", "302", "303"]
    by_title = xml(emulator, "/library/sections/3/all?type=8&sort=titleSort:desc")
    assert [a.get("title") for a in by_title] == [
        "Various Artists",
        "The Testers",
        "Ådne Ångström",
    ]
    limited = xml(emulator, "/library/sections/3/all?type=9&sort=year&limit=2")
    assert [a.get("year") for a in limited] == ["1999", "2001"]
    assert limited.get("totalSize") == "2"


def test_request_lines_longer_than_64_kib_are_refused(emulator: Emulator) -> None:
    ids = ",".join(str(100_000 + i) for i in range(11_000))
    response = requests.put(
        f"{emulator.url}/library/sections/3/all",
        params={"id": ids, "type": "10", "userRating.value": "5"},
        headers={"X-Plex-Token": emulator.token},
        timeout=5,
    )
    assert response.status_code == 414


def test_tracks_carry_listening_counts_and_never_the_hidden_truth(
    emulator_factory: Callable[..., Emulator], plex_for: Plex
) -> None:
    emu = emulator_factory(tracks=300, seed=2)
    tracks = {t.rating_key: t for t in emu.library.default_section.tracks}
    listing = xml(emu, "/library/sections/3/all?type=10")
    for element in listing:
        track = tracks[int(element.get("ratingKey", "0"))]
        assert element.get("viewCount") == (str(track.view_count) if track.view_count else None)
        assert element.get("skipCount") == (str(track.skip_count) if track.skip_count else None)
        last = track.last_viewed_at
        assert element.get("lastViewedAt") == (None if last is None else str(last))
        count = track.rating_count
        assert element.get("ratingCount") == (None if count is None else str(count))
    played = next(t for t in tracks.values() if t.view_count and t.skip_count and t.rating_count)
    detail = xml(emu, f"/library/metadata/{played.rating_key}")[0]
    assert detail.get("viewCount") == str(played.view_count)
    # plexapi reads them as Plex's own attributes.
    item = plex_for(emu).fetchItem(played.rating_key)
    assert (item.viewCount, item.skipCount, item.ratingCount) == (
        played.view_count,
        played.skip_count,
        played.rating_count,
    )
    assert item.lastViewedAt is not None
    # The generator's truth stays in the library file.
    for path in ("/library/sections/3/all?type=10", "/library/sections/3/all?type=9"):
        body = get(emu, path).text
        assert "true_rating" not in body and "latent" not in body and "quality" not in body
