"""The library file format: loading, validation, ordering, round trips and the live accessors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import SCHEMA, EmulatorLibrary
from plexrate.emulator.library import TrackItem
from plexrate.errors import InputFileError


def test_small_library_loads_with_counts_and_plex_order(small_library: EmulatorLibrary) -> None:
    assert small_library.counts() == {"artists": 3, "albums": 4, "tracks": 10}
    section = small_library.default_section
    assert (section.key, section.title, section.type) == (3, "Music", "artist")
    assert [a.title for a in section.artists] == ["Ådne Ångström", "The Testers", "Various Artists"]
    assert [a.rating_key for a in section.albums] == [203, 201, 202, 204]
    order = [307, 308, 301, 302, 303, 304, 305, 306, 309, 310]
    assert [t.rating_key for t in section.tracks] == order
    track = small_library.get(309)
    assert isinstance(track, TrackItem)
    assert track.artist_key == 103  # derived from the album
    assert (track.true_rating, track.recording) == (8.0, 1)
    assert small_library.children_of(101) == [201, 202]
    assert small_library.leaves_of(101) == [301, 302, 303, 304, 305, 306]
    assert small_library.section_by_title("MUSIC ") is section


def test_dict_and_file_round_trips_are_lossless(
    small_library: EmulatorLibrary, small_library_dict: dict[str, Any], tmp_path: Path
) -> None:
    data = small_library.to_dict()
    assert EmulatorLibrary.from_dict(data).to_dict() == data
    path = tmp_path / "lib.json"
    small_library.save(path)
    assert EmulatorLibrary.load(path).to_dict() == data

    # Every field of the hand-written file survives (the dump is in Plex order).
    def by_key(section: dict[str, Any], kind: str) -> dict[int, Any]:
        return {item["ratingKey"]: item for item in section.get(kind, [])}

    for kind in ("artists", "albums", "tracks"):
        assert by_key(data["sections"][1], kind) == by_key(small_library_dict["sections"][1], kind)
    assert data["schema"] == SCHEMA


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="other/1"), r"\$\.schema"),
        (lambda d: d["sections"][1]["tracks"][0].update(colour="red"), r"tracks\[0\]\.colour"),
        (lambda d: d["sections"][1]["tracks"][1].update(ratingKey=301), "301 appears twice"),
        (lambda d: d["sections"][1]["albums"][0].update(artist=999), "artist 999"),
        (lambda d: d["sections"][1]["tracks"][0].update(album=999), "album 999"),
        (lambda d: d["sections"][1]["tracks"][0].update(userRating=11), "between 0 and 10"),
        (lambda d: d["sections"][1]["tracks"][0].update(userRating="8"), "must be a number"),
        (lambda d: d["sections"][1]["albums"][0].update(originallyAvailableAt="1999"), "YYYY"),
        (lambda d: d["sections"][0].update(tracks=[{"ratingKey": 1}]), "only music sections"),
        (lambda d: d["sections"][1]["tracks"][0].update(latent={"mood": 1}), "latent"),
        (lambda d: d["sections"][1]["artists"][0].pop("ratingKey"), "ratingKey: is required"),
        (lambda d: d["sections"][1]["artists"][0].update(moods="Chill"), "must be a list"),
        (lambda d: d.update(sections=[]), "non-empty list"),
    ],
)
def test_invalid_documents_name_the_offending_field(
    small_library_dict: dict[str, Any], mutate: Any, message: str
) -> None:
    data = copy.deepcopy(small_library_dict)
    mutate(data)
    with pytest.raises(InputFileError, match=message):
        EmulatorLibrary.from_dict(data)


def test_unreadable_files_are_input_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": \n', encoding="utf-8")
    with pytest.raises(InputFileError, match="line 2"):
        EmulatorLibrary.load(broken)
    with pytest.raises(InputFileError, match="cannot read"):
        EmulatorLibrary.load(tmp_path / "missing.json")


def test_minimal_items_need_only_keys_titles_and_parents() -> None:
    lib = EmulatorLibrary.from_dict(
        {
            "schema": SCHEMA,
            "sections": [
                {
                    "key": 7,
                    "title": "Tunes",
                    "artists": [{"ratingKey": 1, "title": "A"}],
                    "albums": [{"ratingKey": 2, "artist": 1, "title": "B"}],
                    "tracks": [{"ratingKey": 3, "album": 2, "title": "C"}],
                }
            ],
        }
    )
    assert lib.counts() == {"artists": 1, "albums": 1, "tracks": 1}
    assert lib.default_section.uuid == "emulator-section-7"
    assert json.loads(json.dumps(lib.to_dict()))["sections"][0]["tracks"] == [
        {"ratingKey": 3, "title": "C", "album": 2}
    ]


def test_accessors_return_copies_and_tag_ids_are_stable(
    small_library: EmulatorLibrary, small_library_dict: dict[str, Any]
) -> None:
    item = small_library.item(302)
    assert item is not None
    item.moods = ("Changed",)
    item.user_rating = 1.0
    assert small_library.item_tags(302) == ("Chill",)
    assert small_library.rating(302) == 8.0
    assert small_library.tagged("chill") == {302}
    assert small_library.tagged("Live", tag_type="subformat", kind="album") == {202}
    assert small_library.ratings("album") == {201: None, 202: None, 203: 6.0, 204: None}
    assert sorted(small_library.keys("artist")) == [101, 102, 103]
    assert len(small_library) == 17
    again = EmulatorLibrary.from_dict(small_library_dict)
    assert small_library.tags.lookup("mood", "CHILL") == again.tags.lookup("mood", "Chill")
    with pytest.raises(KeyError):
        small_library.rating(1)


def test_the_documented_example_is_the_test_library(small_library_dict: dict[str, Any]) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
    section = docs.split("## Library file", 1)[1]
    block = section.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == small_library_dict
