"""Bulk CSV export and import of artist, album and track ratings (the old tool's bulk menu).

``export_csv`` writes every item of one type from a snapshot; ``read_bulk_csv`` parses a file a
spreadsheet saved and reports every problem with its row and column; ``plan_import`` checks the
rows against the live library and plans their edits as one journaled run. Pure: no typer, no
rich, no requests of its own. See ``docs/bulk.md``.
"""

from __future__ import annotations

from pathlib import Path

from plexrate.bulk.columns import (
    COLUMNS,
    DELIMITERS,
    GENRE_SEPARATOR,
    REQUIRED,
    STAR_DECIMALS,
    RatingType,
    format_stars,
    parse_stars,
    read_cell,
    safe_cell,
)
from plexrate.bulk.export import ExportCounts, export_csv, export_rows, rating_type, write_export
from plexrate.bulk.plan import (
    CHANGE_TOLERANCE,
    BulkInputError,
    ImportPlan,
    library_problems,
    plan_import,
)
from plexrate.bulk.reader import CsvFile, CsvRow, Problem, read_bulk_csv
from plexrate.errors import InputFileError
from plexrate.fileio import read_bounded
from plexrate.model import ItemType


def load_bulk_csv(path: Path, *, item_type: ItemType, delimiter: str | None = None) -> CsvFile:
    """Read and parse ``path``; a file that cannot be opened is an ``InputFileError``."""
    try:
        data = read_bounded(path, what="bulk CSV")
    except FileNotFoundError:
        raise InputFileError(
            f"{path} does not exist",
            hint=f"export one first: plexrate bulk export --type {item_type.value}",
        ) from None
    except IsADirectoryError:
        raise InputFileError(f"{path} is a folder, not a CSV file") from None
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return read_bulk_csv(data, item_type=item_type, delimiter=delimiter)


__all__ = [
    "CHANGE_TOLERANCE",
    "COLUMNS",
    "DELIMITERS",
    "GENRE_SEPARATOR",
    "REQUIRED",
    "STAR_DECIMALS",
    "BulkInputError",
    "CsvFile",
    "CsvRow",
    "ExportCounts",
    "ImportPlan",
    "Problem",
    "RatingType",
    "export_csv",
    "export_rows",
    "format_stars",
    "library_problems",
    "load_bulk_csv",
    "parse_stars",
    "plan_import",
    "rating_type",
    "read_bulk_csv",
    "read_cell",
    "safe_cell",
    "write_export",
]
