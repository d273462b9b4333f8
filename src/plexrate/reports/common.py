"""What every report shares: the classification of items, statuses, and the document envelope.

A report looks at the ratings Plex holds now. Whose each one is comes from the engine's own
classification (``infer``), so a report can never disagree with what a run would do: an owned
item still holding the value plexrate wrote (within the hijack tolerance) is *inferred*; a rating
plexrate does not own, or one the person changed since plexrate wrote it, is *manual*; anything
without a rating is *unrated*. Twin groups are the engine's, with the current settings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from plexrate.engine import EngineConfig, Inference, RatingKind, infer
from plexrate.model import LibrarySnapshot, OwnedItem, Phase

SCHEMA_VERSION = 1
"""Raised when a field changes meaning or disappears; new fields may appear without a bump."""

SCALE_NOTE = "ratings are on Plex's 0-10 scale (stars x 2); deviations and buckets are in stars"


class Status(StrEnum):
    MANUAL = "manual"
    INFERRED = "inferred"
    UNRATED = "unrated"


def analyse(
    snapshot: LibrarySnapshot, *, owned: Mapping[int, OwnedItem], config: EngineConfig
) -> Inference:
    """Classify every item and form the twin groups, from the ratings Plex holds now.

    Only the twins phase runs, over the current values, so ``twin_groups`` carry the value each
    group shares today; every other value in the result is what Plex holds.
    """
    return infer(snapshot, owned=owned, config=config, phases=(Phase.TWINS,))


def status_of(inference: Inference, key: int) -> Status:
    """Manual (hijacked ones included), inferred, or unrated (an owned rating cleared in Plex)."""
    kind = inference.kind(key)
    if kind.is_manual:
        return Status.MANUAL
    if kind is RatingKind.INFERRED:
        return Status.INFERRED
    return Status.UNRATED


def percent(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, two decimals; 0 of nothing is 0 %."""
    return round(100.0 * part / whole, 2) if whole else 0.0


def rounded(value: float | None, digits: int = 4) -> float | None:
    """A computed rating for JSON: means such as 7.333… would otherwise print 16 digits."""
    return None if value is None else round(value, digits)


def half_star_bucket(rating: float) -> float:
    """The half-star bucket (in stars) of a rating on Plex's 0–10 scale: ⌈stars × 2⌉ / 2.

    A bucket holds the values above the bucket below it up to and including its own value, so
    3.5★ holds 3.01★ … 3.5★. Ratings are > 0 (0 is unrated); float noise of 1e-9 is forgiven so
    that 7.000000001 stays in 3.5★.
    """
    steps = math.ceil(rating - 1e-9)
    return min(max(steps, 1), 10) / 2.0


def duration_text(ms: int | None) -> str:
    """A duration as m:ss (minutes are not wrapped into hours); ``—`` when unknown."""
    if ms is None:
        return "—"
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


class Report(Protocol):
    """A computed report: plain data with its JSON body and its CSV rows."""

    name: ClassVar[str]

    def json_body(self) -> dict[str, Any]: ...

    def csv_header(self) -> tuple[str, ...]: ...

    def csv_rows(self) -> Iterator[tuple[Any, ...]]: ...


def document(report: Report, *, snapshot: LibrarySnapshot) -> dict[str, Any]:
    """The report's JSON document: a fixed envelope around its body."""
    return {
        "report": report.name,
        "schema_version": SCHEMA_VERSION,
        "library": {"title": snapshot.section_title, "uuid": snapshot.library_uuid},
        "scale": SCALE_NOTE,
        **report.json_body(),
    }
