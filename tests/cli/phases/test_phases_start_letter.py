"""``--start-letter X``: resume an interrupted run by leaving out the first phase's changes for
artists whose sort title comes before X (Plex's sort title: "The Beatles" is under B)."""

from __future__ import annotations

from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary
from tests.e2e.e2e_support import TAG
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]

# (artist key, title, sort title) — one album each, with one rated and one unrated track.
ARTISTS = [
    (401, "ABBA", None),
    (402, "The Animals", "Animals"),
    (403, "The Beatles", "Beatles"),
    (404, "Björk", None),
    (405, "Cream", None),
    (406, "10cc", None),
]
BEFORE_B = {401, 402, 406}


def album_of(artist: int) -> int:
    return artist + 100


def unrated_track_of(artist: int) -> int:
    return artist * 10 + 2


def letters_library() -> EmulatorLibrary:
    artists, albums, tracks = [], [], []
    for n, (key, title, sort) in enumerate(ARTISTS):
        artist: dict[str, Any] = {"ratingKey": key, "title": title}
        if sort:
            artist["titleSort"] = sort
        artists.append(artist)
        albums.append({"ratingKey": album_of(key), "artist": key, "title": f"Album {n}"})
        tracks.append(
            {
                "ratingKey": key * 10 + 1,
                "album": album_of(key),
                "title": f"Song {n}a",
                "index": 1,
                "duration": 200000,
                "userRating": 4.0 + n,
            }
        )
        tracks.append(
            {
                "ratingKey": unrated_track_of(key),
                "album": album_of(key),
                "title": f"Song {n}b",
                "index": 2,
                "duration": 210000,
            }
        )
    return EmulatorLibrary.from_dict(
        {
            "schema": "plexrate-emulator-library/1",
            "sections": [
                {
                    "key": 3,
                    "title": "Music",
                    "uuid": "00000000-0000-4000-8000-00000000000b",
                    "artists": artists,
                    "albums": albums,
                    "tracks": tracks,
                }
            ],
        }
    )


@pytest.fixture
def letters(cli_for: Any) -> PlexrateCli:
    made: PlexrateCli = cli_for(letters_library())
    return made


def test_the_first_phase_skips_artists_sorting_before_the_letter(letters: PlexrateCli) -> None:
    document = letters.ok_json("up-albums", "--apply", "--start-letter", "B")

    library = letters.emulator.library
    assert document["stats"]["skipped_start_letter"] == len(BEFORE_B)
    for key, _, _ in ARTISTS:
        album = album_of(key)
        if key in BEFORE_B:
            assert library.rating(album) is None, key
            assert TAG not in library.item_tags(album, "mood")
        else:
            assert library.rating(album) is not None, key
            assert TAG in library.item_tags(album, "mood")
    assert document["written"] == len(ARTISTS) - len(BEFORE_B)


def test_a_lower_case_letter_and_the_plan_note(letters: PlexrateCli) -> None:
    result = letters.invoke("up-albums", "--start-letter", "b")

    assert result.exit_code == 0, result.output
    assert "start letter B: left out 3 album-up changes" in result.stderr
    keys = {c["key"] for c in letters.ok_json("up-albums", "--start-letter", "b")["changes"]}
    assert keys == {album_of(k) for k, _, _ in ARTISTS if k not in BEFORE_B}


def test_the_sort_title_decides_not_the_title(letters: PlexrateCli) -> None:
    """With T, "The Beatles" (under B) is skipped; "Cream" too; nothing sorts at T or later."""
    document = letters.ok_json("up-albums", "--start-letter", "T")

    assert document["changes"] == []
    assert document["stats"]["skipped_start_letter"] == len(ARTISTS)


def test_run_leaves_out_only_the_first_phase_and_a_full_run_then_completes(
    letters: PlexrateCli,
) -> None:
    document = letters.ok_json("run", "--apply", "--start-letter", "B")

    library = letters.emulator.library
    assert document["stats"]["skipped_start_letter"] == len(BEFORE_B)
    for key, _, _ in ARTISTS:
        # Later phases ran in full: every artist and every unrated track has a value.
        assert library.rating(key) is not None
        assert library.rating(unrated_track_of(key)) is not None
        assert (library.rating(album_of(key)) is None) is (key in BEFORE_B)

    rest = letters.ok_json("run", "--apply")

    assert sorted(c for c in rest["by_phase"]) == ["album-up"]
    assert rest["written"] == len(BEFORE_B)
    assert all(library.rating(album_of(k)) is not None for k, _, _ in ARTISTS)
    letters.emulator.reset_stats()
    assert letters.ok_json("run", "--apply")["planned"] == 0
    assert letters.emulator.stats().writes == 0


def test_an_empty_letter_means_from_the_beginning(letters: PlexrateCli) -> None:
    with_empty = letters.ok_json("up-albums", "--start-letter", "")
    without = letters.ok_json("up-albums")

    assert with_empty["changes"] == without["changes"]
    assert len(without["changes"]) == len(ARTISTS)
