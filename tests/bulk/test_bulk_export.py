"""Export rows on hand-made snapshots: columns, stars, rating types, atomic files, round trips."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import plexrate.bulk.export as export_module
from plexrate.bulk import (
    COLUMNS,
    RatingType,
    export_csv,
    export_rows,
    format_stars,
    plan_import,
    rating_type,
    read_bulk_csv,
    read_cell,
    safe_cell,
    write_export,
)
from plexrate.model import ItemType
from tests.bulk.bulk_helpers import TAG, bulk_lib
from tests.support.library import Lib


def library() -> Lib:
    lib = bulk_lib()
    lib.artist(
        100,
        "The Testers",
        sort_title="Testers",
        genres=("Rock", "Folk, World, & Country"),
        rating=8.0,
    )
    lib.artist(101, "Ådne Ångström")
    lib.album(200, 100, "First Light", rating=7.52, year=1999, genres=("Rock",))
    lib.album(201, 100, "Live, at the Hall", rating=6.0)
    lib.album(202, 101, "Nordic Hymns", year=2010)
    lib.track(300, 200, 'Say "Hi"\nthere', rating=6.01, track_artist="Guest")
    lib.track(301, 202, "Fjord", rating=10.0)
    lib.own(200, 7.52, ItemType.ALBUM)
    lib.own(201, 5.0, ItemType.ALBUM)  # hijacked: the person changed it to 6.0
    lib.own(300, 6.01)
    lib.tag(TAG, 200, 201, 300)
    return lib


def rows(lib: Lib, item_type: ItemType, **kw: object) -> list[list[str]]:
    return list(export_rows(lib.snapshot(), item_type=item_type, owned=lib.owned, **kw))  # type: ignore[arg-type]


def test_artist_rows() -> None:
    assert rows(library(), ItemType.ARTIST) == [
        ["100", "The Testers", "Testers", "2", "Rock; Folk, World, & Country", "4", "manual"],
        ["101", "Ådne Ångström", "Ådne Ångström", "1", "", "", ""],
    ]


def test_album_rows() -> None:
    assert rows(library(), ItemType.ALBUM) == [
        ["200", "First Light", "First Light", "The Testers", "1999", "Rock", "3.76", "inferred"],
        ["201", "Live, at the Hall", "Live, at the Hall", "The Testers", "", "", "3", "manual"],
        ["202", "Nordic Hymns", "Nordic Hymns", "Ådne Ångström", "2010", "", "", ""],
    ]


def test_track_rows_name_the_track_artist_else_the_album_artist() -> None:
    assert rows(library(), ItemType.TRACK) == [
        ["300", 'Say "Hi"\nthere', "Guest", "First Light", "The Testers", "3.005", "inferred"],
        ["301", "Fjord", "Ådne Ångström", "Nordic Hymns", "Ådne Ångström", "5", "manual"],
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (8.0, "4"), (7.5, "3.75"), (6.01, "3.005"), (0.02, "0.01"), (7.123456, "3.562")],
)
def test_stars_keep_three_decimals(value: float | None, text: str) -> None:
    assert format_stars(value) == text


def test_rating_type_follows_the_hijack_rule() -> None:
    lib = bulk_lib()
    lib.artist(1)
    lib.album(2, 1)
    for key, rating in ((10, 6.0), (11, 6.01), (12, 6.011), (13, None), (14, 6.0)):
        lib.track(key, 2, rating=rating)
    for key in (10, 11, 12, 13):
        lib.own(key, 6.0)
    snapshot = lib.snapshot()
    kinds = {k: rating_type(snapshot.tracks[k], lib.owned) for k in (10, 11, 12, 13, 14)}
    assert kinds == {
        10: RatingType.INFERRED,
        11: RatingType.INFERRED,  # within the 0.01 hijack tolerance
        12: RatingType.MANUAL,  # moved further: the person's now
        13: None,  # owned but unrated: nothing to show
        14: RatingType.MANUAL,  # not owned
    }


def test_semicolon_files_get_decimal_commas_and_quoted_genres() -> None:
    handle = io.StringIO(newline="")
    lib = library()
    counts = write_export(
        handle, lib.snapshot(), item_type=ItemType.ARTIST, owned=lib.owned, delimiter=";"
    )
    assert handle.getvalue() == (
        "ratingKey;artistName;sortName;albumCount;genres;userRating;ratingType\r\n"
        '100;The Testers;Testers;2;"Rock; Folk, World, & Country";4;manual\r\n'
        "101;Ådne Ångström;Ådne Ångström;1;;;\r\n"
    )
    assert counts.as_dict() == {"rows": 2, "manual": 1, "inferred": 0, "unrated": 1}


def test_export_file_with_bom_reads_back(tmp_path: Path) -> None:
    lib = library()
    path = tmp_path / "albums.csv"
    counts = export_csv(path, lib.snapshot(), item_type=ItemType.ALBUM, owned=lib.owned, bom=True)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8 + b"ratingKey,albumName,")
    assert counts.as_dict() == {"rows": 3, "manual": 1, "inferred": 1, "unrated": 1}
    parsed = read_bulk_csv(data, item_type=ItemType.ALBUM)
    assert [(r.key, r.rating, r.year) for r in parsed.rows] == [
        (200, 7.52, 1999),
        (201, 6.0, None),
        (202, None, 2010),
    ]


@pytest.mark.parametrize("existing", [False, True])
def test_an_export_that_fails_midway_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    lib = bulk_lib()
    lib.artist(1)
    lib.album(2, 1)
    for key in range(10, 3010):
        lib.track(key, 2, rating=6.0)
    path = tmp_path / "tracks.csv"
    if existing:
        path.write_text("the previous export\n", encoding="utf-8")
    real = export_module.export_rows

    def failing(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        for n, row in enumerate(real(*args, **kw)):  # type: ignore[arg-type]
            if n == 2500:
                raise OSError("disk full")
            yield row

    monkeypatch.setattr(export_module, "export_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        export_csv(path, lib.snapshot(), item_type=ItemType.TRACK, owned=lib.owned)
    assert [p.name for p in tmp_path.iterdir()] == (["tracks.csv"] if existing else [])
    if existing:
        assert path.read_text(encoding="utf-8") == "the previous export\n"


# From 0.05 up: below it Plex would store 0 (unrated), and import refuses such a cell
# (test_bulk_reader: a rating that rounds to 0).
ratings = st.none() | st.integers(min_value=5, max_value=1000).map(lambda n: n / 100)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(ratings, st.booleans(), st.text(max_size=8)), min_size=1, max_size=30),
    st.sampled_from(list(ItemType)),
    st.sampled_from([",", ";", "\t"]),
)
def test_any_export_reimports_as_no_change(
    items: list[tuple[float | None, bool, str]], item_type: ItemType, delimiter: str
) -> None:
    """Whatever the values (0.01 precision), titles and ownership: export → import plans nothing."""
    lib = bulk_lib()
    for n, (rating, owned, title) in enumerate(items):
        on = {t: rating if t is item_type else None for t in ItemType}
        artist = lib.artist(1000 + n, title, rating=on[ItemType.ARTIST])
        album = lib.album(2000 + n, artist, title, year=1990 + n % 30, rating=on[ItemType.ALBUM])
        track = lib.track(3000 + n, album, title, rating=on[ItemType.TRACK])
        key = {ItemType.ARTIST: artist, ItemType.ALBUM: album, ItemType.TRACK: track}[item_type]
        if owned and rating is not None:
            lib.own(key, rating, item_type)
            lib.tag(TAG, key)
    handle = io.StringIO(newline="")
    write_export(handle, lib.snapshot(), item_type=item_type, owned=lib.owned, delimiter=delimiter)
    parsed = read_bulk_csv(handle.getvalue().encode(), item_type=item_type)
    assert parsed.problems == ()
    assert len(parsed.rows) == len(items)
    assert handle.getvalue().split("\r\n")[0].split(delimiter) == list(COLUMNS[item_type])
    result = plan_import(parsed, lib.snapshot(), owned=lib.owned, inferred_tag=TAG)
    assert result.plan.changes == []
    assert result.plan.stats["unchanged_rows"] == len(items)


HOSTILE = ["=", "+", "-", "@", "\t", "\r", "'", "''", '=HYPERLINK("http://x","y")', "-2+3"]
hostile_text = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from(["", *HOSTILE]),
    st.text(max_size=12),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(hostile_text, hostile_text), min_size=1, max_size=20),
    st.sampled_from(list(ItemType)),
    st.sampled_from([",", ";", "\t"]),
)
def test_hostile_titles_are_text_in_a_spreadsheet_and_read_back_the_same(
    names: list[tuple[str, str]], item_type: ItemType, delimiter: str
) -> None:
    """CSV injection (issue 21.3): no cell of an export starts a formula, and import reads
    every name back exactly as the library has it."""
    lib = bulk_lib()
    for n, (name, other) in enumerate(names):
        artist = lib.artist(1000 + n, name, genres=(other,))
        album = lib.album(2000 + n, artist, name)
        lib.track(3000 + n, album, name, track_artist=other)
    handle = io.StringIO(newline="")
    write_export(handle, lib.snapshot(), item_type=item_type, owned={}, delimiter=delimiter)
    text = handle.getvalue()
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    for record in records[1:]:
        for cell in record:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), record
    parsed = read_bulk_csv(text.encode(), item_type=item_type)
    assert parsed.problems == ()
    assert [row.name for row in parsed.rows] == [name for name, _ in names]
    assert [safe_cell(name) for name, _ in names] == [r[1] for r in records[1:]]


@given(st.text(max_size=20))
def test_a_guarded_cell_reads_back_to_its_text(text: str) -> None:
    assert read_cell(safe_cell(text)) == text
    guarded = safe_cell(text)
    assert guarded[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_a_title_that_would_be_a_formula_is_written_after_an_apostrophe() -> None:
    lib = bulk_lib()
    lib.artist(1, '=HYPERLINK("http://evil","click")')
    lib.artist(2, "'=already quoted")
    lib.artist(3, "-")
    lib.artist(4, "Plain")
    cells = [row[1] for row in rows(lib, ItemType.ARTIST)]
    assert cells == ['\'=HYPERLINK("http://evil","click")', "''=already quoted", "'-", "Plain"]
