"""Histogram: the ratings of one item type in half-star buckets, manual and inferred apart.

A rating of v stars falls in the bucket ⌈2v⌉ / 2: bucket 3.5★ holds everything above 3★ up to
and including 3.5★, so 3.5★ itself is counted at 3.5 and 3.2★ at 3.5 too. The lowest bucket,
0.5★, holds everything from just above 0 (0 is unrated) up to 0.5★.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from plexrate.engine import Inference, RatingKind
from plexrate.model import ItemType
from plexrate.reports.common import half_star_bucket, percent

BUCKETS: tuple[float, ...] = tuple(step / 2 for step in range(1, 11))
"""The buckets in stars, lowest first: 0.5, 1.0, …, 5.0."""


@dataclass(frozen=True, slots=True)
class Bucket:
    stars: float
    """The bucket's upper bound, in stars; it holds the values above ``stars - 0.5``."""
    manual: int
    inferred: int

    @property
    def total(self) -> int:
        return self.manual + self.inferred


@dataclass(frozen=True, slots=True)
class Histogram:
    name: ClassVar[str] = "histogram"

    item_type: ItemType
    buckets: tuple[Bucket, ...]
    """One per value of ``BUCKETS``, in that order, empty ones included."""
    items: int
    unrated: int

    @property
    def manual(self) -> int:
        return sum(b.manual for b in self.buckets)

    @property
    def inferred(self) -> int:
        return sum(b.inferred for b in self.buckets)

    @property
    def rated(self) -> int:
        return self.manual + self.inferred

    def bucket(self, stars: float) -> Bucket:
        return next(b for b in self.buckets if b.stars == stars)

    def json_body(self) -> dict[str, Any]:
        rated = self.rated
        return {
            "type": self.item_type.value,
            "items": self.items,
            "rated": rated,
            "manual": self.manual,
            "inferred": self.inferred,
            "unrated": self.unrated,
            "buckets": [
                {
                    "stars": b.stars,
                    "above_stars": b.stars - 0.5,
                    "manual": b.manual,
                    "inferred": b.inferred,
                    "total": b.total,
                    "percent": percent(b.total, rated),
                    "manual_percent": percent(b.manual, rated),
                    "inferred_percent": percent(b.inferred, rated),
                }
                for b in self.buckets
            ],
        }

    def csv_header(self) -> tuple[str, ...]:
        return (
            "type",
            "stars",
            "manual",
            "inferred",
            "total",
            "percent",
            "manual_percent",
            "inferred_percent",
        )

    def csv_rows(self) -> Iterator[tuple[Any, ...]]:
        rated = self.rated
        for b in self.buckets:
            yield (
                self.item_type.value,
                b.stars,
                b.manual,
                b.inferred,
                b.total,
                percent(b.total, rated),
                percent(b.manual, rated),
                percent(b.inferred, rated),
            )


def histogram(inference: Inference, *, item_type: ItemType = ItemType.TRACK) -> Histogram:
    """Count the manual and the inferred ratings of ``item_type`` per half-star bucket.

    The values are the ones Plex holds now; an owned rating cleared in Plex is unrated.
    """
    items = inference.snapshot.items(item_type)
    kinds = inference.kinds
    manual = dict.fromkeys(BUCKETS, 0)
    inferred = dict.fromkeys(BUCKETS, 0)
    for key, item in items.items():
        rating = item.rating
        if rating is None:
            continue
        kind = kinds.get(key)
        if kind is RatingKind.INFERRED:
            inferred[half_star_bucket(rating)] += 1
        elif kind is not None and kind.is_manual:
            manual[half_star_bucket(rating)] += 1
    buckets = tuple(Bucket(stars, manual[stars], inferred[stars]) for stars in BUCKETS)
    rated = sum(b.total for b in buckets)
    return Histogram(
        item_type=item_type, buckets=buckets, items=len(items), unrated=len(items) - rated
    )
