"""Read a bulk CSV as a spreadsheet saved it, and report every problem with its row and column.

What spreadsheets do to a CSV, and what this reader accepts: UTF-8 with or without a byte-order
mark (and UTF-16 with one: Excel's "Unicode text"); CRLF, LF or CR line ends; ``,``, ``;``, tab
or ``|`` as the delimiter (found from the header row, or given); a decimal comma; quoted fields
holding delimiters, quotes and line breaks; blank lines; extra columns; columns in any order.

Rows are numbered as a spreadsheet shows them: the first line of the file is row 1 (the header,
unless blank lines precede it), a quoted line break does not start a new row, and blank lines
count. Nothing here needs the library: keys are checked against it when the import is planned.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from plexrate.bulk.columns import (
    COLUMNS,
    DELIMITERS,
    KEY,
    NAME,
    RATING,
    REQUIRED,
    TYPE,
    YEAR,
    RatingType,
    article,
    parse_key,
    parse_rating_type,
    parse_stars,
    parse_year,
    read_cell,
)
from plexrate.model import ItemType

SNIFF_ORDER = (",", ";", "\t", "|")
_T = TypeVar("_T")
_KNOWN = frozenset(name.casefold() for columns in COLUMNS.values() for name in columns)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file. ``row`` None is the file as a whole."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (None if self.row is None else f"row {self.row}", self.column) if part
        )
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def sort_key(self) -> tuple[int, int, str]:
        column = self.column or ""
        order = {KEY: 0, RATING: 1, TYPE: 2, YEAR: 3}.get(column, 4 if column else -1)
        return (-1 if self.row is None else self.row, order, self.message)


@dataclass(frozen=True, slots=True)
class CsvRow:
    """The columns of one valid row that import uses. ``rating`` is 0–10, None when unrated."""

    row: int
    key: int
    rating: float | None
    rating_type: RatingType | None
    year: int | None = None
    name: str = field(default="", compare=False)
    """The item's name as the file gives it (its title cell, a guard apostrophe taken off)."""


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A parsed bulk CSV: the valid rows, and every problem found without the library."""

    item_type: ItemType
    rows: tuple[CsvRow, ...] = ()
    problems: tuple[Problem, ...] = ()
    fatal: bool = False
    """The file as a whole cannot be read (no header, a required column missing, not text)."""
    delimiter: str = ","
    header_row: int = 1
    data_rows: int = 0
    """Rows after the header that are not blank, valid or not."""
    has_year: bool = False
    invalid_keys: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    """Row → ratingKey of the rows that have a problem but a readable key (checked too)."""
    notes: tuple[str, ...] = ()

    @property
    def invalid_rows(self) -> frozenset[int]:
        return frozenset(p.row for p in self.problems if p.row is not None)


def read_bulk_csv(data: bytes, *, item_type: ItemType, delimiter: str | None = None) -> CsvFile:
    """Parse a whole bulk CSV file. Never raises for anything in ``data``: problems are returned.

    ``delimiter`` (``,``, ``;``, ``tab``, ``|``) overrides the one found from the header row.
    """
    if delimiter is not None and delimiter not in DELIMITERS:
        raise ValueError(f"unknown delimiter {delimiter!r}; use one of , ; tab |")
    text, notes, problem = _decode(data)
    if problem is not None:
        return CsvFile(item_type, problems=(problem,), fatal=True, notes=notes)
    chosen = DELIMITERS[delimiter] if delimiter is not None else _sniff(text)
    return _Parser(text, item_type, chosen, notes).parse()


def _decode(data: bytes) -> tuple[str, tuple[str, ...], Problem | None]:
    if data.startswith(b"PK\x03\x04"):
        return "", (), Problem(None, None, _not_csv("an Excel or OpenDocument workbook"))
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace"), (), None
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", errors="replace"), (), None
    # UTF-16 without a BOM (or a binary file) is full of NUL bytes; a stray one in a name is not.
    if data.count(b"\x00") * 8 > len(data):
        return "", (), Problem(None, None, _not_csv("UTF-16 without a byte-order mark, or binary"))
    try:
        return data.decode("utf-8"), (), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        # In every single-byte encoding (Windows-1252, Latin-1) the ASCII bytes are themselves, and
        # import reads only ASCII columns: keys, numbers and two words. Names are for people.
        note = (
            f"the file is not UTF-8 (line {line} is the first that is not); names may show "
            "replacement characters, which does not matter: import reads only ratingKey, "
            "userRating, ratingType and releaseYear. Save as 'CSV UTF-8' to avoid this note"
        )
        return data.decode("utf-8", errors="replace"), (note,), None


def _cell(
    row: int,
    values: Mapping[str, str],
    name: str,
    parse: Callable[[str], _T],
    problems: list[Problem],
) -> _T | None:
    """Parse one cell; a problem is recorded (and None returned) when it cannot be."""
    raw = values.get(name)
    if raw is None:
        return None
    if "\n" in raw or "\r" in raw:
        problems.append(
            Problem(row, name, "spans several lines: is a quote opened here never closed?")
        )
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        problems.append(Problem(row, name, str(exc)))
        return None


def _not_csv(what: str) -> str:
    return f"this is not a CSV text file (it looks like {what}); save it as 'CSV UTF-8' first"


def _records(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)


def _blank(record: list[str]) -> bool:
    return not any(value.strip() for value in record)


def _normalise(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().casefold()


def _first_record(text: str, delimiter: str) -> list[str] | None:
    try:
        for record in _records(text, delimiter):
            if not _blank(record):
                return record
    except csv.Error:
        return None
    return None


def _sniff(text: str) -> str:
    """The delimiter that splits the header into the most known column names (``,`` on ties)."""
    best, best_score = SNIFF_ORDER[0], 0
    for candidate in SNIFF_ORDER:
        record = _first_record(text, candidate)
        if record is None:
            continue
        score = len({_normalise(v) for v in record} & _KNOWN)
        if score > best_score:
            best, best_score = candidate, score
    return best


class _Parser:
    def __init__(self, text: str, item_type: ItemType, delimiter: str, notes: tuple[str, ...]):
        self.text = text
        self.item_type = item_type
        self.delimiter = delimiter
        self.notes = notes
        self.problems: list[Problem] = []
        self.rows: list[CsvRow] = []
        self.keys: dict[int, list[int]] = {}
        self.data_rows = 0

    def fatal(self, row: int | None, column: str | None, message: str) -> CsvFile:
        return CsvFile(
            self.item_type,
            problems=(Problem(row, column, message),),
            fatal=True,
            delimiter=self.delimiter,
            notes=self.notes,
        )

    def parse(self) -> CsvFile:
        records = _records(self.text, self.delimiter)
        number = 0
        header: list[str] | None = None
        try:
            for record in records:
                number += 1
                if _blank(record):
                    continue
                header = record
                break
        except csv.Error as exc:
            return self.fatal(number + 1, None, f"unreadable CSV: {exc}")
        if header is None:
            return self.fatal(None, None, "the file is empty: no header row and no data")
        header_row = number
        positions, problem = self.header_positions(header, header_row)
        if problem is not None:
            return CsvFile(
                self.item_type,
                problems=(problem,),
                fatal=True,
                delimiter=self.delimiter,
                header_row=header_row,
                notes=self.notes,
            )
        try:
            for record in records:
                number += 1
                if _blank(record):
                    continue
                self.data_rows += 1
                self.parse_row(number, record, positions, width=len(header))
        except csv.Error as exc:
            return self.fatal(number + 1, None, f"unreadable CSV: {exc}")
        self.check_duplicates()
        invalid = {p.row for p in self.problems}
        invalid_keys = {
            row: key for key, rows in self.keys.items() for row in rows if row in invalid
        }
        return CsvFile(
            self.item_type,
            rows=tuple(r for r in self.rows if r.row not in invalid),
            problems=tuple(sorted(self.problems, key=Problem.sort_key)),
            delimiter=self.delimiter,
            header_row=header_row,
            data_rows=self.data_rows,
            has_year=YEAR in positions,
            invalid_keys=MappingProxyType(invalid_keys),
            notes=self.notes,
        )

    def header_positions(
        self, header: list[str], row: int
    ) -> tuple[dict[str, int], Problem | None]:
        wanted = [*REQUIRED, YEAR] if self.item_type is ItemType.ALBUM else list(REQUIRED)
        wanted.append(NAME[self.item_type])
        by_name = {name.casefold(): name for name in wanted}
        positions: dict[str, int] = {}
        for index, raw in enumerate(header):
            name = by_name.get(_normalise(raw))
            if name is None:
                continue
            if name in positions:
                message = (
                    f"the column {name} appears twice (columns {positions[name] + 1} and "
                    f"{index + 1}); keep one"
                )
                return positions, Problem(row, name, message)
            positions[name] = index
        found = {_normalise(v) for v in header}
        other = next(
            (
                t
                for t in ItemType
                if t is not self.item_type
                and {c.casefold() for c in COLUMNS[t]} <= found
                and not {c.casefold() for c in COLUMNS[self.item_type]} <= found
            ),
            None,
        )
        if other is not None:
            message = (
                f"this is {article(other.value)} export (its header has "
                f"{', '.join(c for c in COLUMNS[other] if c not in COLUMNS[self.item_type])}), "
                f"not {article(self.item_type.value)} one; import it with --type {other.value}"
            )
            return positions, Problem(row, None, message)
        missing = [name for name in REQUIRED if name not in positions]
        if missing:
            shown = ", ".join(v.strip() for v in header[:12] if v.strip())
            delimiter = "tab" if self.delimiter == "\t" else self.delimiter
            message = (
                f"the header lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (read with delimiter {delimiter!r}, it has: "
                f"{shown or 'nothing'}); the first row must name the columns, as an export does"
            )
            return positions, Problem(row, ", ".join(missing), message)
        return positions, None

    def parse_row(
        self, row: int, record: list[str], positions: dict[str, int], *, width: int
    ) -> None:
        if len(record) > width and not _blank(record[width:]):
            shown = "tab" if self.delimiter == "\t" else self.delimiter
            self.problems.append(
                Problem(
                    row,
                    None,
                    f"has {len(record)} fields but the header has {width}: a name with an "
                    f"unquoted {shown!r}? Its values would land in the wrong columns",
                )
            )
            return
        values: dict[str, str] = {}
        missing = []
        name_column = NAME[self.item_type]
        for name, index in positions.items():
            if index < len(record):
                values[name] = record[index]
            elif name != name_column:
                missing.append(name)
        problems: list[Problem] = []
        if missing:
            problems.append(
                Problem(
                    row,
                    None,
                    f"has only {len(record)} of the header's {width} fields: no "
                    f"{', '.join(missing)}",
                )
            )

        key = _cell(row, values, KEY, parse_key, problems)
        rating = _cell(row, values, RATING, parse_stars, problems)
        kind = _cell(row, values, TYPE, parse_rating_type, problems)
        year = _cell(row, values, YEAR, parse_year, problems)
        if key is not None:
            self.keys.setdefault(key, []).append(row)
        self.problems.extend(problems)
        if problems or key is None:
            return
        name = read_cell(values.get(name_column, ""))
        self.rows.append(CsvRow(row, key, rating, kind, year, name))

    def check_duplicates(self) -> None:
        for key, rows in self.keys.items():
            if len(rows) < 2:
                continue
            for row in rows:
                others = ", ".join(str(r) for r in rows if r != row)
                self.problems.append(
                    Problem(
                        row,
                        KEY,
                        f"ratingKey {key} is also in row{'s' if len(rows) > 2 else ''} {others}: "
                        "keep one row per item",
                    )
                )
