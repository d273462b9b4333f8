"""Write every artist, album or track of a snapshot, with its rating, as CSV rows.

Everything comes from the snapshot and the ownership record already in memory: an export of
300,000 tracks sends no request of its own, and rows are streamed into the file as they are made.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from plexrate.bulk.columns import COLUMNS, GENRE_SEPARATOR, RatingType, format_stars, safe_cell
from plexrate.fileio import atomic_writer
from plexrate.model import (
    Album,
    Artist,
    Item,
    ItemType,
    LibrarySnapshot,
    OwnedItem,
    Track,
)
from plexrate.progress import NULL_PROGRESS, Progress

HIJACK_TOLERANCE = 0.01
"""An owned item whose Plex value moved further than this from what plexrate wrote is the
person's again (the engine's hijack rule, ``EngineConfig.hijack_tolerance``)."""


def rating_type(
    item: Item, owned: Mapping[int, OwnedItem], *, tolerance: float = HIJACK_TOLERANCE
) -> RatingType | None:
    """``inferred`` for a value plexrate owns and nobody changed, ``manual`` for any other
    value, None for an unrated item."""
    if item.rating is None:
        return None
    claim = owned.get(item.key)
    if claim is not None and abs(item.rating - claim.value) <= tolerance + 1e-9:
        return RatingType.INFERRED
    return RatingType.MANUAL


@dataclass(slots=True)
class ExportCounts:
    """What an export wrote: rows in all, and how many of each ``ratingType``."""

    item_type: ItemType
    rows: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "manual": self.by_type[RatingType.MANUAL.value],
            "inferred": self.by_type[RatingType.INFERRED.value],
            "unrated": self.by_type[""],
        }


def export_rows(
    snapshot: LibrarySnapshot,
    *,
    item_type: ItemType,
    owned: Mapping[int, OwnedItem],
    tolerance: float = HIJACK_TOLERANCE,
    decimal_comma: bool = False,
) -> Iterator[list[str]]:
    """The data rows of one type's export, in the snapshot's (Plex's) order; no header."""
    items = snapshot.items(item_type)
    album_counts: Counter[int] = Counter()
    if item_type is ItemType.ARTIST:
        album_counts.update(album.artist_key for album in snapshot.albums.values())
    for item in items.values():
        kind = rating_type(item, owned, tolerance=tolerance)
        stars = format_stars(item.rating, decimal_comma=decimal_comma)
        tail = [stars, "" if kind is None else kind.value]
        # Every text from the library goes through safe_cell: a title is whatever a tag or a
        # person put there, and a spreadsheet opening the file must show it, not run it.
        if isinstance(item, Artist):
            yield [
                str(item.key),
                safe_cell(item.title),
                safe_cell(item.sort_title),
                str(album_counts[item.key]),
                safe_cell(GENRE_SEPARATOR.join(item.genres)),
                *tail,
            ]
        elif isinstance(item, Album):
            yield [
                str(item.key),
                safe_cell(item.title),
                safe_cell(item.sort_title),
                safe_cell(item.artist_title),
                "" if item.year is None else str(item.year),
                safe_cell(GENRE_SEPARATOR.join(item.genres)),
                *tail,
            ]
        elif isinstance(item, Track):
            yield [
                str(item.key),
                safe_cell(item.title),
                safe_cell(item.track_artist or item.album_artist),
                safe_cell(item.album_title),
                safe_cell(item.album_artist),
                *tail,
            ]


def write_export(
    handle: IO[str],
    snapshot: LibrarySnapshot,
    *,
    item_type: ItemType,
    owned: Mapping[int, OwnedItem],
    delimiter: str = ",",
    tolerance: float = HIJACK_TOLERANCE,
    progress: Progress = NULL_PROGRESS,
) -> ExportCounts:
    """Write the header and every row of ``item_type`` to ``handle`` (opened with newline="").

    With ``;`` as the delimiter, ratings get a decimal comma: a spreadsheet set up for ``;``
    (most of continental Europe) would otherwise read ``3.5`` as a date or as text.
    """
    writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS[item_type])
    counts = ExportCounts(item_type)
    columns = COLUMNS[item_type]
    kind_index = columns.index("ratingType")
    with progress.task(f"Writing {item_type.plural}", total=len(snapshot.items(item_type))) as task:
        for row in export_rows(
            snapshot,
            item_type=item_type,
            owned=owned,
            tolerance=tolerance,
            decimal_comma=delimiter == ";",
        ):
            writer.writerow(row)
            counts.rows += 1
            counts.by_type[row[kind_index]] += 1
            if counts.rows % 1000 == 0:
                task.advance(1000)
        task.advance(counts.rows % 1000)
    return counts


def export_csv(
    path: Path,
    snapshot: LibrarySnapshot,
    *,
    item_type: ItemType,
    owned: Mapping[int, OwnedItem],
    delimiter: str = ",",
    bom: bool = False,
    tolerance: float = HIJACK_TOLERANCE,
    progress: Progress = NULL_PROGRESS,
) -> ExportCounts:
    """Write the export to ``path`` atomically: an error midway leaves the old file (or none).

    ``bom`` starts the file with a UTF-8 byte-order mark, which Excel needs to read names in
    UTF-8 when the file is opened by double-click.
    """
    with atomic_writer(path, newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        return write_export(
            handle,
            snapshot,
            item_type=item_type,
            owned=owned,
            delimiter=delimiter,
            tolerance=tolerance,
            progress=progress,
        )
