"""Coverage: how many items of each type are rated by hand, inferred, unrated, and twin-linked.

Every figure is a count of classified items (the old tool took "manual" to be the total minus the
size of its state file, which counted every unrated item as manual).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from plexrate.engine import Inference, RatingKind
from plexrate.model import ItemType
from plexrate.reports.common import percent

TOTAL = "total"


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """The figures of one item type, or of all three (``label`` "total")."""

    label: str
    items: int
    manual: int
    inferred: int
    unrated: int
    twin_linked: int | None
    """Tracks that belong to a twin group; None for artists and albums, which have no twins."""
    hijacked: int = 0
    """Of ``manual``: ratings plexrate wrote that the person has changed since."""
    cleared: int = 0
    """Of ``unrated``: ratings plexrate wrote that were cleared in Plex (re-inferred next run)."""

    def share(self, count: int | None) -> float | None:
        return None if count is None else percent(count, self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "manual": self.manual,
            "inferred": self.inferred,
            "unrated": self.unrated,
            "twin_linked": self.twin_linked,
            "hijacked": self.hijacked,
            "cleared": self.cleared,
            "percent": {
                "manual": self.share(self.manual),
                "inferred": self.share(self.inferred),
                "unrated": self.share(self.unrated),
                "twin_linked": self.share(self.twin_linked),
            },
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    name: ClassVar[str] = "coverage"

    types: tuple[CoverageRow, ...]
    """Artists, albums and tracks, in that order."""
    total: CoverageRow
    twin_groups: int

    def row(self, item_type: ItemType) -> CoverageRow:
        return next(r for r in self.types if r.label == item_type.value)

    def json_body(self) -> dict[str, Any]:
        return {
            "types": {row.label: row.as_dict() for row in self.types},
            "total": self.total.as_dict(),
            "twin_groups": self.twin_groups,
        }

    def csv_header(self) -> tuple[str, ...]:
        return (
            "type",
            "items",
            "manual",
            "manual_percent",
            "inferred",
            "inferred_percent",
            "unrated",
            "unrated_percent",
            "twin_linked",
            "twin_linked_percent",
            "hijacked",
            "cleared",
        )

    def csv_rows(self) -> Iterator[tuple[Any, ...]]:
        for row in (*self.types, self.total):
            yield (
                row.label,
                row.items,
                row.manual,
                row.share(row.manual),
                row.inferred,
                row.share(row.inferred),
                row.unrated,
                row.share(row.unrated),
                "" if row.twin_linked is None else row.twin_linked,
                "" if row.twin_linked is None else row.share(row.twin_linked),
                row.hijacked,
                row.cleared,
            )


def coverage(inference: Inference) -> Coverage:
    """Count the items of each type by status, from the engine's classification."""
    snapshot = inference.snapshot
    kinds = inference.kinds
    linked: set[int] = set()
    for group in inference.twin_groups:
        linked.update(group.members)
    rows: list[CoverageRow] = []
    for item_type in ItemType:
        keys = snapshot.items(item_type)
        counts = dict.fromkeys(RatingKind, 0)
        for key in keys:
            kind = kinds.get(key)
            if kind is not None:
                counts[kind] += 1
        manual = counts[RatingKind.MANUAL] + counts[RatingKind.HIJACKED]
        inferred = counts[RatingKind.INFERRED]
        rows.append(
            CoverageRow(
                label=item_type.value,
                items=len(keys),
                manual=manual,
                inferred=inferred,
                unrated=len(keys) - manual - inferred,
                twin_linked=len(linked) if item_type is ItemType.TRACK else None,
                hijacked=counts[RatingKind.HIJACKED],
                cleared=counts[RatingKind.CLEARED],
            )
        )
    total = CoverageRow(
        label=TOTAL,
        items=sum(r.items for r in rows),
        manual=sum(r.manual for r in rows),
        inferred=sum(r.inferred for r in rows),
        unrated=sum(r.unrated for r in rows),
        twin_linked=len(linked),
        hijacked=sum(r.hijacked for r in rows),
        cleared=sum(r.cleared for r in rows),
    )
    return Coverage(types=tuple(rows), total=total, twin_groups=len(inference.twin_groups))
