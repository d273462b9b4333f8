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

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
    backlog_per_write: float = 0.0
    """Load model: seconds of background work each write request leaves the single writer
    (committing, checkpointing); 0 switches the load model off."""
    backlog_per_item: float = 0.0
    """Load model: more background work per rating or tag the write changed."""
    backlog_doubling: float = 1.0
    """Load model: seconds of backlog that double every answer's time (1 s: twice as slow
    with a second of work queued)."""

    def __post_init__(self) -> None:
        for attr in (
            "per_request",
            "per_item",
            "per_rate_call",
            "per_rating",
            "per_tag",
            "scale",
            "backlog_per_write",
            "backlog_per_item",
        ):
            if getattr(self, attr) < 0:
                raise ValueError(f"latency {attr} must not be negative")
        if self.backlog_doubling <= 0:
            raise ValueError("latency backlog_doubling must be positive")

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
                backlog_per_write=BACKLOG_PER_WRITE,
                backlog_per_item=BACKLOG_PER_ITEM,
            )
        raise ValueError(f"unknown latency preset {name!r} (choose {', '.join(PRESETS)})")

    def scaled(self, factor: float) -> LatencyModel:
        return replace(self, scale=self.scale * factor)

    def without_load(self) -> LatencyModel:
        return replace(self, backlog_per_write=0.0, backlog_per_item=0.0)

    @property
    def loads(self) -> bool:
        """Whether the load model is on (writes leave a backlog that slows later answers)."""
        return self.scale > 0 and (self.backlog_per_write > 0 or self.backlog_per_item > 0)

    def backlog_of(self, *, items: int) -> float:
        """Seconds of background work one write request changing ``items`` values leaves."""
        return (self.backlog_per_write + self.backlog_per_item * items) * self.scale

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


# The load model's calibration (docs/emulator.md, "Load"). The old tool's first run with its tag
# sends 15,216 single-item writes in the guide's 17:30 (1,014 s under ``plex``): one every 67 ms
# on average. The guide says Plex's database "is single-threaded" and that its author paced the
# writes to avoid swamping the server, so the strict reading is that this pace is the most the
# server sustains: a single-item write leaves 67 ms of background work, which drains in the
# 67 ms until the next one. Of that, the per-item share is what the fit gives an item changed
# inside an edit (1.2 ms), the rest is the cost of a write request as such (a commit).
OLD_TOOL_WRITE_INTERVAL = 0.0666
BACKLOG_PER_ITEM = 0.0012
BACKLOG_PER_WRITE = OLD_TOOL_WRITE_INTERVAL - BACKLOG_PER_ITEM


@dataclass
class Backlog:
    """The single writer's queue of background work: it grows by each write's share, drains at
    one second per second, and slows every answer while it is there (``factor``).

    A client that writes faster than the queue drains sees answers slow down until its own pace
    matches the drain; once it stops, the queue empties and answers are back to idle.
    """

    clock: Callable[[], float] = time.monotonic
    seconds: float = 0.0
    peak_seconds: float = 0.0
    peak_factor: float = 1.0
    """The largest slowdown a write answer was charged since the last ``reset``."""
    write_factors: list[float] = field(default_factory=list)
    """Every write answer's slowdown since the last ``reset``, in order."""
    _at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _drain(self) -> None:
        now = self.clock()
        if self._at is not None:
            self.seconds = max(0.0, self.seconds - (now - self._at))
        self._at = now

    def factor(self, model: LatencyModel, *, write: bool) -> float:
        """How many times slower than idle an answer is now."""
        if not model.loads:
            return 1.0
        with self._lock:
            self._drain()
            factor = 1.0 + self.seconds / (model.backlog_doubling * model.scale or 1.0)
            if write:
                self.peak_factor = max(self.peak_factor, factor)
                self.write_factors.append(factor)
            return factor

    def percentile(self, share: float) -> float:
        """The write slowdown that ``share`` (0-1) of the write answers stayed at or under."""
        with self._lock:
            factors = sorted(self.write_factors)
        if not factors:
            return 1.0
        return factors[min(len(factors) - 1, int(share * len(factors)))]

    def add(self, model: LatencyModel, *, items: int) -> None:
        if not model.loads:
            return
        with self._lock:
            self._drain()
            self.seconds += model.backlog_of(items=items)
            self.peak_seconds = max(self.peak_seconds, self.seconds)

    def reset(self) -> None:
        with self._lock:
            self.seconds = 0.0
            self.peak_seconds = 0.0
            self.peak_factor = 1.0
            self.write_factors = []
            self._at = None


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
