"""How long the emulator takes to answer, so benchmarks can compare access patterns.

A response costs ``per_request`` plus ``per_item`` for every element it returns. A ``/:/rate``
call adds ``per_rate_call``; a multi-edit adds ``per_rating`` for every rating it sets and
``per_tag`` for every tag it adds or removes. Writes are
serialized (Plex keeps its library in SQLite, which has one writer), reads are not. ``scale``
multiplies everything, so a benchmark can run the same model ten times faster and scale the
result back.

The ``plex`` preset is calibrated against the one measurement we have of a real server under the
old tool's access pattern (its guide: a full run over 7,500 tracks took 11:00 without tags and
17:30 with them). ``old_tool_workload`` states that pattern as request counts; the preset's
numbers solve the two equations it gives (``docs/emulator.md`` shows the derivation, and a test
checks the preset still lands within 5 % of both figures). That tool rated through ``/:/rate``
only, so the fitted rating cost is the cost of that call. Nothing measures a rating set through
the edit form; ``plex`` assumes it costs what the fit gives a tag edit (both update one field of
one item inside the request's transaction), and ``plex-conservative`` charges it as much as a
``/:/rate`` call, so a benchmark can show how much its conclusions depend on that assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from plexrate.emulator.library import EmulatorLibrary

PresetName = Literal["none", "plex", "plex-conservative"]
PRESETS: tuple[str, ...] = ("none", "plex", "plex-conservative")


@dataclass(frozen=True, kw_only=True)
class LatencyModel:
    per_request: float = 0.0
    per_item: float = 0.0
    per_rate_call: float = 0.0
    per_rating: float = 0.0
    per_tag: float = 0.0
    scale: float = 1.0
    name: str = "custom"

    def __post_init__(self) -> None:
        for attr in ("per_request", "per_item", "per_rate_call", "per_rating", "per_tag", "scale"):
            if getattr(self, attr) < 0:
                raise ValueError(f"latency {attr} must not be negative")

    @classmethod
    def preset(cls, name: str, *, scale: float = 1.0) -> LatencyModel:
        if name == "none":
            return cls(name="none", scale=scale)
        if name in ("plex", "plex-conservative"):
            return cls(
                name=name,
                per_request=0.024,
                per_item=0.0002,
                per_rate_call=0.029,
                per_rating=0.029 if name == "plex-conservative" else 0.0012,
                per_tag=0.0012,
                scale=scale,
            )
        raise ValueError(f"unknown latency preset {name!r} (choose {', '.join(PRESETS)})")

    def scaled(self, factor: float) -> LatencyModel:
        return replace(self, scale=self.scale * factor)

    @property
    def enabled(self) -> bool:
        return self.scale > 0 and any(
            (self.per_request, self.per_item, self.per_rate_call, self.per_rating, self.per_tag)
        )

    def read_cost(self, items: int) -> float:
        return (self.per_request + self.per_item * items) * self.scale

    def write_cost(self, *, ratings: int, tags: int, rate_calls: int = 0) -> float:
        return (
            self.per_request
            + self.per_rate_call * rate_calls
            + self.per_rating * ratings
            + self.per_tag * tags
        ) * self.scale

    def estimate(self, workload: Workload) -> float:
        """Seconds the workload would take against this model (one request in flight)."""
        return (
            self.per_request * (workload.reads + workload.writes)
            + self.per_item * workload.items
            + self.per_rate_call * workload.rate_calls
            + self.per_rating * workload.ratings
            + self.per_tag * workload.tags
        ) * self.scale


def resolve(latency: str | LatencyModel | None, *, scale: float = 1.0) -> LatencyModel:
    if latency is None:
        return LatencyModel.preset("none")
    if isinstance(latency, LatencyModel):
        return latency.scaled(scale) if scale != 1.0 else latency
    return LatencyModel.preset(latency, scale=scale)


@dataclass(frozen=True)
class Workload:
    reads: int
    writes: int
    items: int
    ratings: int
    """Ratings set through multi-edits."""
    tags: int
    rate_calls: int = 0
    """``/:/rate`` requests (one rating each)."""


def old_tool_workload(library: EmulatorLibrary, *, tags: bool) -> Workload:
    """The requests the old tool's first full run (options 1–5) sends for ``library``.

    Per ``original-tool.md`` and ``plex-api.md`` §6, with plexapi's default page size of 100 and
    auto-reload on: Album-Up lists albums, reads each album's tracks, reloads each unrated album to
    read its rating and rates every album that is not manual (with no evidence it writes the
    prior); Artist-Up does the same one level up; Album-Down fetches each album's artist and
    rewrites every non-manual album (defect 2); Track-Down reads each album's tracks, reloads each
    unrated track and rates it; Twins lists every track, fetches the album of each twin candidate
    and rates the unrated ones. With a tag, every rated item also costs a reload to read its moods
    and a PUT that adds the tag.
    """
    section = library.default_section
    n_art, n_alb, n_trk = len(section.artists), len(section.albums), len(section.tracks)

    def pages(n: int) -> int:
        return max(1, -(-n // 100))

    unrated_albums = sum(1 for a in section.albums if a.user_rating is None)
    unrated_artists = sum(1 for a in section.artists if a.user_rating is None)
    unrated_tracks = sum(1 for t in section.tracks if t.user_rating is None)
    by_title: dict[tuple[int, str], int] = {}
    for t in section.tracks:
        k = (t.artist_key, t.title.casefold())
        by_title[k] = by_title.get(k, 0) + 1
    twins = sum(1 for t in section.tracks if by_title[(t.artist_key, t.title.casefold())] > 1)
    twin_writes = sum(
        1
        for t in section.tracks
        if t.user_rating is None and by_title[(t.artist_key, t.title.casefold())] > 1
    )

    reads = (
        pages(n_alb) + n_alb + unrated_albums  # Album-Up
        + pages(n_art) + n_art + unrated_artists  # Artist-Up
        + n_alb  # Album-Down: album.artist()
        + n_alb + unrated_tracks  # Track-Down
        + pages(n_trk) + twins  # Twins
    )  # fmt: skip
    items = (
        n_alb + n_trk + unrated_albums
        + n_art + n_alb + unrated_artists
        + n_alb
        + n_trk + unrated_tracks
        + n_trk + twins
    )  # fmt: skip
    ratings = unrated_albums + unrated_artists + unrated_albums + unrated_tracks + twin_writes
    writes = ratings
    tag_count = 0
    if tags:
        reads += ratings
        items += ratings
        writes += ratings
        tag_count = ratings
    return Workload(
        reads=reads, writes=writes, items=items, ratings=0, tags=tag_count, rate_calls=ratings
    )
