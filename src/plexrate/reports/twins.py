"""Twins inventory: every group of copies of one recording, the rating it shares, and why.

The groups are the engine's (``docs/inference.md`` §3, Twins), formed with the current settings;
the shared value is what the twins phase computes from the ratings Plex holds now. Tracks that
were grouped by name but left out (no duration, or too far from the group's median duration) are
listed with the group as dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from plexrate.engine import Inference, TwinAnchor
from plexrate.engine.index import twin_artist
from plexrate.reports.common import Status, duration_text, rounded, status_of

NO_DURATION = "no duration"
OUTSIDE_TOLERANCE = "outside tolerance"


@dataclass(frozen=True, slots=True)
class TwinMember:
    key: int
    title: str
    artist: str
    album: str
    album_key: int
    duration_ms: int | None
    rating: float | None
    """What Plex holds now (0–10)."""
    status: Status
    dropped: str | None = None
    """Why the track is not a member: ``no duration`` or ``outside tolerance``; None for members."""
    offset_ms: float | None = None
    """Duration minus the group's median duration; None without a duration."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "album_key": self.album_key,
            "duration_ms": self.duration_ms,
            "duration": duration_text(self.duration_ms),
            "rating": self.rating,
            "status": self.status.value,
            "dropped": self.dropped,
            "offset_ms": self.offset_ms,
        }


@dataclass(frozen=True, slots=True)
class InventoryGroup:
    artist: str
    """The group's artist as Plex names it (the first member's track artist, else album artist)."""
    artist_form: str
    """The cleaned artist name the engine grouped by."""
    title: str
    """The cleaned title the engine grouped by."""
    basis: TwinAnchor
    anchors: tuple[int, ...]
    """Members rated by hand whose mean the group shares (basis ``manual``)."""
    rating: float | None
    """The shared value (0–10) before rounding; None when no member has a value."""
    median_ms: float
    members: tuple[TwinMember, ...]
    dropped: tuple[TwinMember, ...]

    @property
    def reason(self) -> str:
        if self.basis is TwinAnchor.MANUAL:
            n = len(self.anchors)
            if n == 1:
                return "manual anchor: the copy you rated"
            return f"manual anchors: the mean of the {n} copies you rated"
        if self.basis is TwinAnchor.INFERRED:
            return "inferred consensus: the mean of the copies' values (none rated by hand)"
        return "no copy has a rating yet"

    def as_dict(self) -> dict[str, Any]:
        return {
            "artist": self.artist,
            "artist_form": self.artist_form,
            "title": self.title,
            "rating": rounded(self.rating),
            "basis": self.basis.value,
            "reason": self.reason,
            "anchors": list(self.anchors),
            "median_ms": round(self.median_ms),
            "members": [m.as_dict() for m in self.members],
            "dropped": [m.as_dict() for m in self.dropped],
        }


@dataclass(frozen=True, slots=True)
class TwinsInventory:
    name: ClassVar[str] = "twins"

    groups: tuple[InventoryGroup, ...]
    enabled: bool
    tolerance_sec: float

    @property
    def members(self) -> int:
        return sum(len(g.members) for g in self.groups)

    @property
    def dropped(self) -> int:
        return sum(len(g.dropped) for g in self.groups)

    def by_basis(self) -> dict[str, int]:
        counts = {basis.value: 0 for basis in TwinAnchor}
        for group in self.groups:
            counts[group.basis.value] += 1
        return counts

    def json_body(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "duration_tolerance_sec": self.tolerance_sec,
            "group_count": len(self.groups),
            "member_count": self.members,
            "dropped_count": self.dropped,
            "by_basis": self.by_basis(),
            "groups": [g.as_dict() for g in self.groups],
        }

    def csv_header(self) -> tuple[str, ...]:
        return (
            "group",
            "group_artist",
            "group_title",
            "group_rating",
            "basis",
            "key",
            "title",
            "artist",
            "album",
            "duration",
            "duration_ms",
            "rating",
            "status",
            "dropped",
        )

    def csv_rows(self) -> Iterator[tuple[Any, ...]]:
        for number, group in enumerate(self.groups, start=1):
            for member in (*group.members, *group.dropped):
                yield (
                    number,
                    group.artist,
                    group.title,
                    "" if group.rating is None else rounded(group.rating),
                    group.basis.value,
                    member.key,
                    member.title,
                    member.artist,
                    member.album,
                    duration_text(member.duration_ms),
                    "" if member.duration_ms is None else member.duration_ms,
                    "" if member.rating is None else member.rating,
                    member.status.value,
                    member.dropped or "",
                )


def twins_inventory(inference: Inference) -> TwinsInventory:
    """The engine's twin groups with their members, dropped tracks and shared values.

    ``inference`` must include the twins phase (``reports.analyse`` does).
    """
    snapshot = inference.snapshot
    rules = inference.config.twins
    candidates = inference.index.twin_groups
    if rules.enabled and candidates and not inference.twin_groups:
        raise ValueError("the inference did not run the twins phase")
    tracks = snapshot.tracks
    albums = snapshot.albums

    def member(key: int, median: float, dropped: str | None) -> TwinMember:
        track = tracks[key]
        album = albums.get(track.album_key)
        duration = track.duration_ms
        return TwinMember(
            key=key,
            title=track.title,
            artist=twin_artist(track) or track.album_artist,
            album=album.title if album is not None else track.album_title,
            album_key=track.album_key,
            duration_ms=duration,
            rating=track.rating,
            status=status_of(inference, key),
            dropped=dropped,
            offset_ms=None if duration is None else float(duration - median),
        )

    groups: list[InventoryGroup] = []
    for candidate, group in zip(candidates, inference.twin_groups, strict=True):
        if candidate.members != group.members:
            raise ValueError("the inference's twin groups do not match its index")
        median = candidate.median_ms
        first = tracks[group.members[0]]
        groups.append(
            InventoryGroup(
                artist=twin_artist(first) or first.album_artist,
                artist_form=group.artist,
                title=group.title,
                basis=group.anchor,
                anchors=group.anchors,
                rating=group.value,
                median_ms=median,
                members=tuple(member(k, median, None) for k in group.members),
                dropped=tuple(
                    member(
                        k,
                        median,
                        NO_DURATION if tracks[k].duration_ms is None else OUTSIDE_TOLERANCE,
                    )
                    for k in group.dropped
                ),
            )
        )
    return TwinsInventory(
        groups=tuple(groups), enabled=rules.enabled, tolerance_sec=rules.duration_tolerance_sec
    )
