"""The CSV reader: spreadsheet variants, and every problem with its spreadsheet row and column."""

from __future__ import annotations

import codecs

import pytest

from plexrate.bulk import CsvRow, Problem, RatingType, parse_stars, read_bulk_csv
from plexrate.model import ItemType
from tests.bulk.bulk_helpers import ALBUM_HEADER, TRACK_HEADER, csv_text

MANUAL, INFERRED = RatingType.MANUAL, RatingType.INFERRED
EXPORTED = csv_text(
    TRACK_HEADER,
    "301,Intro,The Testers,First Light,The Testers,3.76,inferred",
    "302,Morning Song,The Testers,First Light,The Testers,4,manual",
    "308,Ström [Demo],Ådne Ångström,Nordic Hymns,Ådne Ångström,,",
)
EXPECTED = (
    CsvRow(2, 301, 7.52, INFERRED),
    CsvRow(3, 302, 8.0, MANUAL),
    CsvRow(4, 308, None, None),
)


def problems(text: str | bytes, item_type: ItemType = ItemType.TRACK) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return [str(p) for p in read_bulk_csv(data, item_type=item_type).problems]


def test_an_export_reads_back_exactly() -> None:
    parsed = read_bulk_csv(EXPORTED.encode(), item_type=ItemType.TRACK)
    assert parsed.rows == EXPECTED
    assert parsed.problems == ()
    assert (parsed.delimiter, parsed.header_row, parsed.data_rows) == (",", 1, 3)
    assert not parsed.fatal


BLANKS = EXPORTED.replace("\n", "\n\n,,,,,,\n   \n", 1).replace("\n302,", "\n\n302,")


@pytest.mark.parametrize(
    ("data", "row_numbers"),
    [
        pytest.param(codecs.BOM_UTF8 + EXPORTED.encode(), (2, 3, 4), id="utf8-bom"),
        pytest.param(EXPORTED.replace("\n", "\r\n").encode(), (2, 3, 4), id="crlf"),
        pytest.param(EXPORTED.replace("\n", "\r").encode(), (2, 3, 4), id="cr"),
        pytest.param(
            codecs.BOM_UTF16_LE + EXPORTED.replace(",", "\t").encode("utf-16-le"),
            (2, 3, 4),
            id="excel-unicode-text",
        ),
        pytest.param(
            EXPORTED.replace(",", ";").replace("3.76", "3,76").encode(),
            (2, 3, 4),
            id="semicolon-decimal-comma",
        ),
        pytest.param(EXPORTED.replace(",", "|").encode(), (2, 3, 4), id="pipe"),
        # Blank lines are skipped but count as rows, as a spreadsheet shows them.
        pytest.param(BLANKS.encode(), (5, 7, 8), id="blank-lines"),
    ],
)
def test_spreadsheet_variants_read_the_same_rows(data: bytes, row_numbers: tuple[int, ...]) -> None:
    parsed = read_bulk_csv(data, item_type=ItemType.TRACK)
    assert parsed.problems == ()
    assert parsed.data_rows == 3
    assert parsed.rows == tuple(
        CsvRow(n, r.key, r.rating, r.rating_type)
        for n, r in zip(row_numbers, EXPECTED, strict=True)
    )


def test_blank_lines_count_as_spreadsheet_rows() -> None:
    text = csv_text(TRACK_HEADER, "", "301,a,b,c,d,3,manual", ",,,,,,", "302,a,b,c,d,x,manual")
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.TRACK)
    assert [r.row for r in parsed.rows] == [3]
    assert [str(p) for p in parsed.problems] == [
        "row 5, userRating: 'x' is not a number of stars (0–5, e.g. 3.5)"
    ]
    assert parsed.data_rows == 2


def test_leading_blank_lines_move_the_header_down() -> None:
    parsed = read_bulk_csv(
        ("\n\n" + csv_text(TRACK_HEADER, "301,a,b,c,d,3,manual")).encode(),
        item_type=ItemType.TRACK,
    )
    assert parsed.header_row == 3
    assert parsed.rows == (CsvRow(4, 301, 6.0, MANUAL),)


def test_quoted_fields_with_delimiters_line_breaks_and_quotes() -> None:
    text = csv_text(
        TRACK_HEADER,
        '301,"Hello, ""World""","A\nB\r\nC",x,y,"3,5",manual',
        "302,plain,a,b,c,2.5,inferred",
    )
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.TRACK)
    assert parsed.problems == ()
    # The quoted line breaks stay inside row 2: the next record is row 3, as a spreadsheet shows.
    assert parsed.rows == (CsvRow(2, 301, 7.0, MANUAL), CsvRow(3, 302, 5.0, INFERRED))


def test_extra_and_reordered_columns() -> None:
    text = csv_text(
        "ratingType,comment,userRating,ratingKey,trackTitle",
        "manual,my note,4.5,301,Intro",
        "INFERRED , ,  2 ,302,x",
    )
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.TRACK)
    assert parsed.problems == ()
    assert parsed.rows == (CsvRow(2, 301, 9.0, MANUAL), CsvRow(3, 302, 4.0, INFERRED))


def test_explicit_delimiter_overrides_the_sniffer() -> None:
    text = csv_text("ratingKey;userRating;ratingType", "301;3,5;manual")
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.TRACK, delimiter=";")
    assert parsed.rows == (CsvRow(2, 301, 7.0, MANUAL),)
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.TRACK, delimiter=",")
    assert parsed.fatal
    assert "lacks the columns ratingKey, userRating, ratingType" in str(parsed.problems[0])
    with pytest.raises(ValueError, match="unknown delimiter"):
        read_bulk_csv(b"", item_type=ItemType.TRACK, delimiter="x")


@pytest.mark.parametrize(
    ("text", "stars"),
    [("4", 8.0), ("3.75", 7.5), ("3.005", 6.01), (".5", 1.0), ("3,5", 7.0), (" 5 ", 10.0)],
)
def test_star_values(text: str, stars: float) -> None:
    assert parse_stars(text) == stars


@pytest.mark.parametrize("text", ["", "  ", "0", "0.0", "0,000"])
def test_empty_and_zero_mean_unrated(text: str) -> None:
    assert parse_stars(text) is None


@pytest.mark.parametrize("text", ["0.01", "0.02", "0,024"])
def test_a_rating_plex_would_store_as_zero_is_a_row_problem(text: str) -> None:
    """Plex keeps one decimal of 0–10 and reads 0 as unrated: 0.02 stars (0.04) would land as
    "unrated", not as the rating the cell asks for. Said so, instead of writing a clear."""
    with pytest.raises(ValueError, match="would be stored as 0, which Plex reads as unrated"):
        parse_stars(text)
    assert parse_stars("0.025") == 0.05  # stored as 0.1: a rating Plex keeps


def test_every_row_problem_with_row_and_column() -> None:
    text = csv_text(
        TRACK_HEADER,
        "301,ok,a,b,c,3,manual",  # row 2: fine
        "abc,t,a,b,c,3,manual",  # 3
        ",t,a,b,c,3,manual",  # 4
        "303,t,a,b,c,6,manual",  # 5
        "304,t,a,b,c,nan,manual",  # 6
        "305,t,a,b,c,-1,manual",  # 7
        "306,t,a,b,c,3.5.1,manual",  # 8
        "307,t,a,b,c,3,mine",  # 9
        "308,t,a,b,c,11,guessed",  # 10
        "309,Hello, World,a,b,c,3,manual",  # 11: an unquoted comma shifts the columns
        "310,t,a,b",  # 12: short
        '311,t,a,b,c,"3\n4",manual',  # 13: a line break in a used column
        "301,dup,a,b,c,3,manual",  # 14: a key seen in row 2
        "0,t,a,b,c,3,manual",  # 15
    )
    assert problems(text) == [
        "row 2, ratingKey: ratingKey 301 is also in row 14: keep one row per item",
        "row 3, ratingKey: 'abc' is not a Plex ratingKey (a whole number)",
        "row 4, ratingKey: is empty: every row needs the item's ratingKey",
        "row 5, userRating: '6' is outside 0–5 stars (Plex's 0–10 value 6 is 3 stars)",
        "row 6, userRating: 'nan' is not a number of stars (0–5, e.g. 3.5)",
        "row 7, userRating: '-1' is not a number of stars (0–5, e.g. 3.5)",
        "row 8, userRating: '3.5.1' is not a number of stars (0–5, e.g. 3.5)",
        "row 9, ratingType: 'mine' is neither 'manual' nor 'inferred' (or empty)",
        "row 10, userRating: '11' is outside 0–5 stars",
        "row 10, ratingType: 'guessed' is neither 'manual' nor 'inferred' (or empty)",
        "row 11: has 8 fields but the header has 7: a name with an unquoted ','? Its values "
        "would land in the wrong columns",
        "row 12: has only 4 of the header's 7 fields: no userRating, ratingType",
        "row 13, userRating: spans several lines: is a quote opened here never closed?",
        "row 14, ratingKey: ratingKey 301 is also in row 2: keep one row per item",
        "row 15, ratingKey: '0' is not a Plex ratingKey (a whole number)",
    ]
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.TRACK)
    assert parsed.rows == ()
    assert parsed.data_rows == 14
    # Keys of invalid rows are kept, so the library check can report them too.
    assert dict(parsed.invalid_keys) == {
        2: 301,
        5: 303,
        6: 304,
        7: 305,
        8: 306,
        9: 307,
        10: 308,
        12: 310,
        13: 311,
        14: 301,
    }


def test_album_years() -> None:
    text = csv_text(
        ALBUM_HEADER,
        "201,a,a,x,1999,,4,manual",
        "202,a,a,x,2001.0,,,",
        "203,a,a,x,,,3,",
        "204,a,a,x,nineteen,,3,",
    )
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.ALBUM)
    assert parsed.has_year
    assert [(r.key, r.year) for r in parsed.rows] == [(201, 1999), (202, 2001), (203, None)]
    assert [str(p) for p in parsed.problems] == ["row 5, releaseYear: 'nineteen' is not a year"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty: no header row and no data"),
        (b"\n\n \n", "the file is empty: no header row and no data"),
        (b"PK\x03\x04rest", "it looks like an Excel or OpenDocument workbook"),
        ("ratingKey\x00".encode("utf-16-le"), "UTF-16 without a byte-order mark, or binary"),
        (b"301,a,b,c,d,3,manual\n", "row 1, ratingKey, userRating, ratingType: the header lacks"),
        (
            b"ratingKey,trackTitle,userRating\n301,a,3\n",
            "row 1, ratingType: the header lacks the column ratingType",
        ),
        (
            b"ratingKey,userRating,ratingType,userRating\n",
            "row 1, userRating: the column userRating appears twice (columns 2 and 4)",
        ),
        (
            (ALBUM_HEADER + "\n201,a,a,x,1999,,4,manual\n").encode(),
            "this is an album export (its header has sortName, artistName, releaseYear, "
            "genres), not a track one; import it with --type album",
        ),
    ],
)
def test_file_level_problems_are_fatal(data: bytes, message: str) -> None:
    parsed = read_bulk_csv(data, item_type=ItemType.TRACK)
    assert parsed.fatal
    assert len(parsed.problems) == 1
    assert message in str(parsed.problems[0])
    assert parsed.rows == ()


def test_a_quote_never_closed_is_a_problem_not_a_crash() -> None:
    text = csv_text(TRACK_HEADER, '301,"never closed,a,b,c,3,manual') + "x" * 200_000
    parsed = read_bulk_csv(text.encode(), item_type=ItemType.TRACK)
    assert parsed.rows == ()
    assert parsed.problems
    assert all(p.row == 2 for p in parsed.problems)


def test_not_utf8_reads_with_a_note() -> None:
    data = csv_text(TRACK_HEADER, "301,Café,a,b,c,3,manual").encode("cp1252")
    parsed = read_bulk_csv(data, item_type=ItemType.TRACK)
    assert parsed.rows == (CsvRow(2, 301, 6.0, MANUAL),)
    assert parsed.problems == ()
    assert len(parsed.notes) == 1
    assert "not UTF-8 (line 2 is the first that is not)" in parsed.notes[0]


def test_a_header_only_file_has_no_rows_and_no_problems() -> None:
    parsed = read_bulk_csv((TRACK_HEADER + "\r\n").encode(), item_type=ItemType.TRACK)
    assert (parsed.rows, parsed.problems, parsed.fatal, parsed.data_rows) == ((), (), False, 0)


def test_problem_text_and_dict() -> None:
    problem = Problem(5, "userRating", "bad")
    assert str(problem) == "row 5, userRating: bad"
    assert str(Problem(None, None, "whole file")) == "whole file"
    assert problem.as_dict() == {"row": 5, "column": "userRating", "message": "bad"}
