"""Dissenters: the tracks whose rating differs most from their album's.

Deviation = track − album, in stars, signed: positive when the track is rated above its album.
Only tracks that have a rating on an album that has one take part. The list is sorted by the size
of the deviation, largest first; tracks with equal deviations stay in library order (artist sort
title, album, disc, track number, key), so the output is the same on every run.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from plexrate.engine import Inference
from plexrate.model import label
from plexrate.reports.common import Status, status_of

DEFAULT_LIMIT = 50
_NOISE = 1e-9


@dataclass(frozen=True, slots=True)
class Dissenter:
    key: int
    title: str
    """The track as people name it: artist — title."""
    album_key: int
    album: str
    """The album as people name it: album artist — album title."""
    rating: float
    status: Status
    album_rating: float
    album_status: Status
    deviation: float
    """track − album, in stars."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "album_key": self.album_key,
            "album": self.album,
            "rating": self.rating,
            "status": self.status.value,
            "album_rating": self.album_rating,
            "album_status": self.album_status.value,
            "deviation_stars": self.deviation,
        }


@dataclass(frozen=True, slots=True)
class Dissenters:
    name: ClassVar[str] = "dissenters"

    rows: tuple[Dissenter, ...]
    compared: int
    """Tracks with a rating on an album with a rating."""
    matching: int
    """Of those, the tracks that deviate at all and by at least ``min_deviation``."""
    limit: int
    """0 means no limit."""
    min_deviation: float

    def json_body(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "min_deviation_stars": self.min_deviation,
            "compared": self.compared,
            "matching": self.matching,
            "shown": len(self.rows),
            "tracks": [r.as_dict() for r in self.rows],
        }

    def csv_header(self) -> tuple[str, ...]:
        return (
            "rank",
            "key",
            "track",
            "album_key",
            "album",
            "rating",
            "status",
            "album_rating",
            "album_status",
            "deviation_stars",
        )

    def csv_rows(self) -> Iterator[tuple[Any, ...]]:
        for rank, row in enumerate(self.rows, start=1):
            yield (
                rank,
                row.key,
                row.title,
                row.album_key,
                row.album,
                row.rating,
                row.status.value,
                row.album_rating,
                row.album_status.value,
                row.deviation,
            )


def dissenters(
    inference: Inference, *, limit: int = DEFAULT_LIMIT, min_deviation: float = 0.0
) -> Dissenters:
    """The ``limit`` tracks (0 = all) deviating most from their album, by at least
    ``min_deviation`` stars (a deviation of 0 never counts)."""
    if limit < 0:
        raise ValueError("limit must be 0 (no limit) or more")
    if min_deviation < 0:
        raise ValueError("min_deviation must not be negative")
    snapshot = inference.snapshot
    albums = snapshot.albums
    album_rank = inference.index.album_rank
    threshold = max(min_deviation - _NOISE, _NOISE)
    compared = 0
    # (−|deviation| rounded against float noise, library order…, key, deviation)
    ranked: list[tuple[float, int, int, int, int, float]] = []
    for key, track in snapshot.tracks.items():
        rating = track.rating
        if rating is None:
            continue
        album = albums.get(track.album_key)
        if album is None or album.rating is None:
            continue
        compared += 1
        deviation = round((rating - album.rating) / 2.0, 6)
        if abs(deviation) < threshold:
            continue
        ranked.append(
            (
                -abs(deviation),
                album_rank[track.album_key],
                track.disc if track.disc is not None else 0,
                track.index if track.index is not None else 0,
                key,
                deviation,
            )
        )
    chosen = heapq.nsmallest(limit, ranked) if limit else sorted(ranked)
    rows = []
    for *_, key, deviation in chosen:
        track = snapshot.tracks[key]
        album = albums[track.album_key]
        assert album.rating is not None and track.rating is not None
        rows.append(
            Dissenter(
                key=key,
                title=label(track),
                album_key=album.key,
                album=label(album),
                rating=track.rating,
                status=status_of(inference, key),
                album_rating=album.rating,
                album_status=status_of(inference, album.key),
                deviation=deviation,
            )
        )
    return Dissenters(
        rows=tuple(rows),
        compared=compared,
        matching=len(ranked),
        limit=limit,
        min_deviation=min_deviation,
    )
