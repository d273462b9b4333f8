"""The undo fold: confirmed journal rows folded, in journal order, into what undo needs per item.

Pure (no database): the store selects the rows (``FOLD_COLUMNS``) and the compacted records
(``COMPACT_COLUMNS``), and writes ``UndoRecord.compact_row`` back when it compacts. The same fold
runs from an empty start or from a compacted record, so compacting changes nothing undo sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Self

from plexrate.model import ItemType
from plexrate.state.encoding import ITEM_TYPES, tags_from_json, tags_to_json
from plexrate.state.records import OriginalValue

FOLD_COLUMNS = (
    "run_id, key, item_type, guid, set_rating, before, after, readback, "
    "add_tags, remove_tags, phase, own, twin"
)
"""The journal columns ``fold`` reads, in this order."""
COMPACT_COLUMNS = (
    "key, item_type, guid, wrote_rating, before, last_written, tags_added, tags_removed, "
    "first_run_id, last_run_id, rating_phase, rating_twin, own, handed_over"
)
"""The ``journal_compact`` columns of one item's record, in ``UndoRecord.compact_row`` order."""


class UndoRecord:
    """One item's history as far as undo cares, built up by ``fold``."""

    __slots__ = (
        "before",
        "first_run",
        "guid",
        "handed_over",
        "item_type",
        "key",
        "last_run",
        "last_written",
        "own",
        "phase",
        "removed",
        "tags",
        "twin",
        "wrote_rating",
    )

    def __init__(self, key: int, item_type: ItemType, guid: str, run: int) -> None:
        self.key = key
        self.item_type = item_type
        self.guid = guid
        self.first_run = run
        self.last_run = run
        self.wrote_rating = False
        self.before: float | None = None
        self.last_written: float | None = None
        self.tags: dict[str, str] = {}
        self.removed: dict[str, str] = {}
        self.phase = ""
        self.twin = False
        self.own: bool | None = None
        self.handed_over: float | None = None

    @classmethod
    def from_compact_row(cls, row: Sequence[Any]) -> Self:
        """The record a compacted item left (``COMPACT_COLUMNS``), to fold later rows onto."""
        undo = cls(row[0], ITEM_TYPES[row[1]], row[2], row[8])
        undo.wrote_rating = bool(row[3])
        undo.before, undo.last_written = row[4], row[5]
        undo.tags = {t.casefold(): t for t in tags_from_json(row[6])}
        undo.removed = {t.casefold(): t for t in tags_from_json(row[7])}
        undo.last_run = row[9]
        undo.phase, undo.twin = row[10], bool(row[11])
        undo.own = None if row[12] is None else bool(row[12])
        undo.handed_over = row[13]
        return undo

    def value(self, superseded_by: int | None) -> OriginalValue:
        return OriginalValue(
            key=self.key,
            item_type=self.item_type,
            guid=self.guid,
            wrote_rating=self.wrote_rating,
            before=self.before,
            last_written=self.last_written,
            tags_added=tuple(sorted(self.tags.values())),
            first_run_id=self.first_run,
            last_run_id=self.last_run,
            superseded_by=superseded_by,
            rating_phase=self.phase,
            rating_twin=self.twin,
            tags_removed=tuple(sorted(self.removed.values())),
            own=self.own,
            handed_over=self.handed_over,
        )

    def compact_row(self) -> tuple[Any, ...]:
        """The ``journal_compact`` columns (``COMPACT_COLUMNS``) of this item."""
        return (
            self.key,
            self.item_type.value,
            self.guid,
            int(self.wrote_rating),
            self.before,
            self.last_written,
            tags_to_json(tuple(self.tags.values())),
            tags_to_json(tuple(self.removed.values())),
            self.first_run,
            self.last_run,
            self.phase,
            int(self.twin),
            None if self.own is None else int(self.own),
            self.handed_over,
        )


def fold(acc: dict[int, UndoRecord], rows: Iterable[Sequence[Any]]) -> None:
    """Fold confirmed journal rows (``FOLD_COLUMNS``, in journal order) into ``acc``: the same
    fold whether it starts empty or from a compacted item's record, so compacting a prefix of
    the journal changes nothing undo sees."""
    for row in rows:
        run, key, item_type, guid, set_rating, before, after, readback = row[:8]
        added, removed, phase, own, twin = row[8:]
        undo = acc.get(key)
        if undo is None:
            undo = acc[key] = UndoRecord(key, ITEM_TYPES[item_type], guid, run)
            if not set_rating and own == 1 and before is not None:
                # plexrate's first entry took the item without writing its rating: the
                # person handed their own value over (a bulk import marking it inferred).
                undo.handed_over = before
        undo.last_run = run
        if guid:
            undo.guid = guid
        if set_rating:
            if not undo.wrote_rating:
                undo.wrote_rating = True
                undo.before = before
                undo.phase = phase
                undo.twin = twin == 1
            undo.last_written = readback if readback is not None else after
        if own is not None:
            undo.own = own == 1
        for tag in tags_from_json(added):
            folded = tag.casefold()
            if undo.removed.pop(folded, None) is None:
                undo.tags[folded] = tag
        for tag in tags_from_json(removed):
            folded = tag.casefold()
            if undo.tags.pop(folded, None) is None:
                undo.removed[folded] = tag
