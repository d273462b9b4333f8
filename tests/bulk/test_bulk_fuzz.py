"""Hypothesis fuzz of the CSV reader: any input gives rows or per-row problems, never a traceback.

Arbitrary bytes and text must come back as a ``CsvFile``; rows a spreadsheet could write (any
delimiter, line end, encoding, column order, quoting) must come back exactly, and every invalid
row must be reported at its own row number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from plexrate.bulk import COLUMNS, CsvFile, CsvRow, RatingType, read_bulk_csv, read_cell
from plexrate.model import RATING_MAX, ItemType, plex_rating

FUZZ = settings(max_examples=150, deadline=None)


def _sane(parsed: CsvFile) -> None:
    assert isinstance(parsed, CsvFile)
    for problem in parsed.problems:
        assert problem.message
        assert problem.row is None or problem.row >= 1
    if parsed.fatal:
        assert len(parsed.problems) == 1
        assert parsed.rows == ()
    for row in parsed.rows:
        assert row.key > 0
        assert row.rating is None or 0 < row.rating <= RATING_MAX
        assert row.row > parsed.header_row
        assert row.row not in parsed.invalid_rows
    assert len({r.key for r in parsed.rows}) == len(parsed.rows)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(list(ItemType)))
def test_arbitrary_bytes_never_raise(data: bytes, item_type: ItemType) -> None:
    _sane(read_bulk_csv(data, item_type=item_type))


header_words = st.sampled_from([*COLUMNS[ItemType.TRACK], "x", "", "releaseYear", '"', ";"])


@FUZZ
@given(
    st.lists(header_words, min_size=0, max_size=8),
    st.text(max_size=300),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(list(ItemType)),
)
def test_arbitrary_text_under_a_plausible_header_never_raises(
    header: list[str], body: str, delimiter: str, item_type: ItemType
) -> None:
    text = delimiter.join(header) + "\n" + body
    _sane(read_bulk_csv(text.encode("utf-8", errors="surrogatepass"), item_type=item_type))


@dataclass(frozen=True)
class Cell:
    text: str
    valid: bool
    value: object = None


valid_keys = st.integers(min_value=1, max_value=99).map(lambda k: Cell(str(k), True, k))
junk_keys = st.sampled_from(["", "abc", "1.5", "-3", "0", "12x", "1e3"]).map(
    lambda t: Cell(t, False)
)


def _stars(thousandths: int, comma: bool, pad: bool) -> Cell:
    text = f"{thousandths / 1000:.3f}".rstrip("0").rstrip(".")
    if comma:
        text = text.replace(".", ",")
    value = None if thousandths == 0 else round(thousandths / 1000 * 2, 9)
    cell = f" {text} " if pad else text
    if value is not None and plex_rating(value) == 0:
        # Plex would store it as 0, "unrated": a row problem, not a silent clear.
        return Cell(cell, False)
    return Cell(cell, True, value)


valid_ratings = st.one_of(
    st.builds(_stars, st.integers(0, 5000), st.booleans(), st.booleans()),
    st.just(Cell("", True, None)),
)
junk_ratings = st.sampled_from(["abc", "6", "-1", "nan", "inf", "1e3", "5.01", "3..5", "★"]).map(
    lambda t: Cell(t, False)
)
valid_types = st.sampled_from(
    [
        Cell("manual", True, RatingType.MANUAL),
        Cell("Inferred", True, RatingType.INFERRED),
        Cell(" MANUAL ", True, RatingType.MANUAL),
        Cell("", True, None),
    ]
)
junk_types = st.sampled_from(["auto", "m", "inferred!", "none"]).map(lambda t: Cell(t, False))
titles = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
).filter(lambda t: t.strip())
rows = st.tuples(
    st.one_of(valid_keys, valid_keys, junk_keys),
    st.one_of(valid_ratings, valid_ratings, junk_ratings),
    st.one_of(valid_types, valid_types, junk_types),
    titles,
)


@FUZZ
@given(
    st.lists(rows, max_size=12),
    st.permutations(["ratingKey", "userRating", "ratingType", "trackTitle", "extra"]),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\r\n", "\n"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_rows_a_spreadsheet_writes_read_back_exactly(
    data: list[tuple[Cell, Cell, Cell, str]],
    order: list[str],
    delimiter: str,
    newline: str,
    encoding: str,
) -> None:
    def line(cells: list[str]) -> str:
        # Spreadsheets quote a field holding CR or LF whatever their line end; Python's writer
        # quotes only the characters of its own line terminator, so write CRLF and swap it.
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(cells)
        return buffer.getvalue()[:-2] + newline

    lines = [line(order)]
    for key, rating, kind, title in data:
        cells = {
            "ratingKey": key.text,
            "userRating": rating.text,
            "ratingType": kind.text,
            "trackTitle": title,
            "extra": title[::-1],
        }
        lines.append(line([cells[name] for name in order]))
    parsed = read_bulk_csv("".join(lines).encode(encoding), item_type=ItemType.TRACK)
    _sane(parsed)
    assert not parsed.fatal
    assert parsed.delimiter == delimiter

    keys = [key.value for key, _, _, _ in data if key.valid]
    expected: list[CsvRow] = []
    bad_rows: set[int] = set()
    for number, (key, rating, kind, title) in enumerate(data, start=2):
        if key.valid and rating.valid and kind.valid and keys.count(key.value) == 1:
            name = read_cell(title) if "trackTitle" in order else ""
            expected.append(CsvRow(number, key.value, rating.value, kind.value, None, name))  # type: ignore[arg-type]
        else:
            bad_rows.add(number)
    assert parsed.rows == tuple(expected)
    assert [row.name for row in parsed.rows] == [row.name for row in expected]
    assert parsed.invalid_rows == bad_rows
    assert parsed.data_rows == len(data)
