"""Plain typed records shared by every layer: the library snapshot, and the plan of changes.

Nothing here knows about plexapi, HTTP, SQLite or the terminal. The Plex adapter fills these records
from a few bulk listings; the engine, reports, bulk CSV and evaluation read them; the Applier and
the StateStore consume ``Change`` objects.

Ratings are on Plex's 0–10 scale. ``None`` means unrated; a stored 0 is normalised to ``None`` when
the snapshot is built, because Plex's own filters and the old tool both treat 0 as unrated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType

# Star labels live in wording.py; the engine and the Plex adapter still ask the model for them.
from plexrate.wording import stars as stars  # noqa: PLC0414

RATING_MIN = 0.0
RATING_MAX = 10.0


class ItemType(StrEnum):
    ARTIST = "artist"
    ALBUM = "album"
    TRACK = "track"

    @property
    def plex_type(self) -> int:
        """Plex's search type number (``utils.SEARCHTYPES``)."""
        return _PLEX_TYPES[self]

    @property
    def plural(self) -> str:
        return f"{self.value}s"


_PLEX_TYPES = {ItemType.ARTIST: 8, ItemType.ALBUM: 9, ItemType.TRACK: 10}


PLEX_RATING_STEP = 0.1
"""Plex keeps ``userRating`` to one decimal on the 0–10 scale, whichever form wrote it: 6.58 sent
is 6.6 read back (plex-api.md §7.1; docs/real-servers.md). Every value plexrate writes is rounded
to this step first, and every comparison with a value read from Plex is made at it."""

_SAME_RATING = PLEX_RATING_STEP / 2 + 1e-6


def plex_rating(value: float) -> float:
    """``value`` as Plex will store it: rounded half up to one decimal, within 0–10.

    Counting in tenths keeps the result the float nearest the one-decimal value (6.6, not
    6.6000000000000005) and rounds 6.85 up on every platform, where ``round`` would not.
    """
    tenths = math.floor(value * 10.0 + 0.5 + 1e-9)
    return min(max(tenths, 0), int(RATING_MAX * 10)) / 10.0


def same_rating(a: float | None, b: float | None) -> bool:
    """True when Plex cannot tell ``a`` and ``b`` apart (one decimal); None equals only None.

    A value kept at full precision (an old state file's 6.8912) equals what Plex stored for it
    (6.9); values Plex returned differ by a whole step or not at all.
    """
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= _SAME_RATING


def normalise_rating(value: float | None) -> float | None:
    """Map Plex's raw ``userRating`` to plexrate's view: ``None`` for absent or 0."""
    if value is None or value <= 0:
        return None
    return min(float(value), RATING_MAX)


def to_stars(value: float | None) -> float | None:
    return None if value is None else value / 2.0


def from_stars(stars: float | None) -> float | None:
    return None if stars is None else stars * 2.0


@dataclass(frozen=True, slots=True)
class Artist:
    key: int
    title: str
    sort_title: str
    guid: str = ""
    rating: float | None = None
    rated_at: int | None = None
    genres: tuple[str, ...] = ()

    item_type = ItemType.ARTIST


@dataclass(frozen=True, slots=True)
class Album:
    key: int
    title: str
    sort_title: str
    artist_key: int
    artist_title: str
    guid: str = ""
    rating: float | None = None
    rated_at: int | None = None
    critic_rating: float | None = None
    """Plex's ``rating`` attribute on the album (critic score, 0–10), if the agent supplied one."""
    year: int | None = None
    genres: tuple[str, ...] = ()
    live: bool = False
    """The album carries the subformat tag ``Live`` (learned from one filtered listing)."""
    compilation: bool = False
    """The album carries the subformat tag ``Compilation`` (one filtered listing too)."""

    item_type = ItemType.ALBUM


@dataclass(frozen=True, slots=True)
class Track:
    key: int
    title: str
    album_key: int
    artist_key: int
    """The album artist (Plex's ``grandparentRatingKey``)."""
    album_title: str
    album_artist: str
    track_artist: str | None = None
    """Plex's ``originalTitle``: the track's own artist, present only when it differs."""
    duration_ms: int | None = None
    guid: str = ""
    rating: float | None = None
    rated_at: int | None = None
    index: int | None = None
    disc: int | None = None
    plays: int = 0
    """Plex's ``viewCount``: how often the account played the track (absent in Plex = 0)."""
    skips: int = 0
    """Plex's ``skipCount``: how often the account skipped it."""
    last_played: int | None = None
    """Plex's ``lastViewedAt`` (epoch seconds)."""
    popularity: int | None = None
    """Plex's ``ratingCount``: how many listeners elsewhere know the track (its metadata
    agent's popularity figure), if Plex has one."""

    item_type = ItemType.TRACK

    @property
    def sort_title(self) -> str:
        return self.title


Item = Artist | Album | Track


def label(item: Item) -> str:
    """How an item is named to people: its artist too, since titles repeat across artists."""
    if isinstance(item, Track):
        return f"{item.track_artist or item.album_artist} — {item.title}"
    if isinstance(item, Album):
        return f"{item.artist_title} — {item.title}"
    return item.title


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item Plex sent with a value that cannot be a rating (outside 0–10, not finite, not a
    number) or without a usable ratingKey. It is left out of the snapshot: never taken for the
    person's rating, never evidence, never written (docs/real-servers.md, "Values Plex sends")."""

    key: int | None
    item_type: ItemType
    title: str
    problem: str

    def __str__(self) -> str:
        key = "no usable ratingKey" if self.key is None else f"ratingKey {self.key}"
        return f"{self.item_type.value} {self.title!r} ({key}): {self.problem}"


def check_rating(raw: str | None, attribute: str = "userRating") -> float | None:
    """A rating attribute as Plex sent it, checked: None when absent; ValueError (saying what is
    wrong) when it is not a finite number from 0 to 10."""
    if raw is None or raw == "":
        return None
    shown = raw if len(raw) <= 24 else raw[:21] + "…"
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{attribute}={shown!r} is not a number") from None
    if not math.isfinite(value) or not (RATING_MIN <= value <= RATING_MAX):
        raise ValueError(f"{attribute}={shown!r} is outside 0–10")
    return value


@dataclass(frozen=True, slots=True)
class LibrarySnapshot:
    """Everything plexrate knows about one music section, read in a handful of bulk requests.

    ``tagged`` maps a mood name (as configured, compared case-insensitively by Plex) to the keys of
    the items carrying it; only the tags plexrate manages are fetched. Rating keys are unique across
    a Plex server, so one key space covers all three types.
    """

    library_uuid: str
    section_id: int
    section_title: str
    artists: Mapping[int, Artist]
    albums: Mapping[int, Album]
    tracks: Mapping[int, Track]
    tagged: Mapping[str, frozenset[int]] = field(default_factory=lambda: MappingProxyType({}))
    server_name: str = ""
    rejected: tuple[Rejected, ...] = ()
    """Items left out because Plex sent values that cannot be ratings (see ``Rejected``)."""
    rated_again: frozenset[int] = frozenset()
    """Items whose ``lastRatedAt`` moved since plexrate's last read of this library although
    plexrate wrote nothing to them since: someone rated them, maybe at the value plexrate holds
    (``incremental.rated_again``). Empty when there is no earlier read to compare with."""

    def item(self, key: int) -> Item | None:
        return self.tracks.get(key) or self.albums.get(key) or self.artists.get(key)

    def items(self, item_type: ItemType) -> Mapping[int, Item]:
        if item_type is ItemType.ARTIST:
            return self.artists
        if item_type is ItemType.ALBUM:
            return self.albums
        return self.tracks

    def all_items(self) -> Iterator[Item]:
        yield from self.artists.values()
        yield from self.albums.values()
        yield from self.tracks.values()

    def has_tag(self, tag: str, key: int) -> bool:
        if not tag:
            return False
        members = self.tagged.get(tag)
        if members is None:
            for name, keys in self.tagged.items():
                if name.casefold() == tag.casefold():
                    members = keys
                    break
        return members is not None and key in members

    @property
    def size(self) -> int:
        return len(self.artists) + len(self.albums) + len(self.tracks)


class Phase(StrEnum):
    """Why a change exists. The first five are the inference phases, in run order."""

    ALBUM_UP = "album-up"
    ARTIST_UP = "artist-up"
    ALBUM_DOWN = "album-down"
    TRACK_DOWN = "track-down"
    TWINS = "twins"
    HIJACK = "hijack"
    UNDO = "undo"
    IMPORT = "import"
    SYNC_TAGS = "sync-tags"
    RECONCILE = "reconcile"


INFERENCE_PHASES: tuple[Phase, ...] = (
    Phase.ALBUM_UP,
    Phase.ARTIST_UP,
    Phase.ALBUM_DOWN,
    Phase.TRACK_DOWN,
    Phase.TWINS,
)


@dataclass(frozen=True, slots=True)
class Change:
    """One item's planned write: a rating, tags, ownership, or any combination.

    ``set_rating`` False leaves the rating as it is: a tag-only or ownership-only change, such as a
    hijack, where the person's new value stays and plexrate only drops its tag and its claim.
    ``after`` None with ``set_rating`` True clears the rating. ``own`` True records plexrate as the
    owner of the value written, False drops ownership, None leaves ownership as it is.
    """

    key: int
    item_type: ItemType
    title: str
    phase: Phase
    reason: str
    before: float | None
    after: float | None
    set_rating: bool = True
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    own: bool | None = None
    twin: bool = False
    guid: str = ""
    year: int | None = None
    """Albums only (bulk import): set ``originallyAvailableAt`` to January 1st of this year."""
    unlock: tuple[str, ...] = ()
    """Fields whose lock plexrate set and now releases (``admin undo``): ``userRating``,
    ``mood``, ``originallyAvailableAt``. Never a lock that was there before plexrate wrote."""

    def __post_init__(self) -> None:
        if self.after is not None and not (RATING_MIN <= self.after <= RATING_MAX):
            raise ValueError(f"rating {self.after!r} for item {self.key} is outside 0–10")

    @property
    def writes_anything(self) -> bool:
        return (
            self.set_rating
            or bool(self.add_tags)
            or bool(self.remove_tags)
            or (self.year is not None)
            or bool(self.unlock)
        )


@dataclass(slots=True)
class Plan:
    """What a command would write, in order, with the figures the summary reports."""

    changes: list[Change] = field(default_factory=list)
    stats: dict[str, float | int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.changes)

    def by_phase(self) -> dict[Phase, list[Change]]:
        grouped: dict[Phase, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.phase, []).append(change)
        return grouped


@dataclass(frozen=True, slots=True)
class OwnedItem:
    """plexrate's claim on one item's rating: it wrote ``value`` and nobody has changed it since.

    ``value`` is what Plex held after the write (read back, or the value sent when the server
    confirmed it). An item whose current Plex rating differs from ``value`` by more than the hijack
    tolerance was changed by the person, and the claim lapses.
    """

    key: int
    item_type: ItemType
    value: float
    guid: str = ""
    phase: str = ""
    twin: bool = False
    run_id: int | None = None
    written_at: float | None = None


@dataclass(frozen=True, slots=True)
class ObservedItem:
    """An item as read back from Plex: to verify writes and to reconcile unconfirmed intents.

    ``tags`` are the item's moods as Plex returned them; Plex compares tag names
    case-insensitively, and so does ``has_tag``.
    """

    rating: float | None
    tags: frozenset[str] = frozenset()
    key: int = 0
    item_type: ItemType | None = None
    locked: frozenset[str] = frozenset()
    """Fields whose lock is set (``<Field name=… locked="1"/>`` in a detail answer)."""
    rated_at: int | None = None
    """Plex's ``lastRatedAt`` (epoch seconds), when the answer carries it."""

    def has_tag(self, name: str) -> bool:
        wanted = name.casefold()
        return any(tag.casefold() == wanted for tag in self.tags)


@dataclass(frozen=True, slots=True)
class Marks:
    """Server times (epoch seconds) from which the next read lists changed items.

    Each is at or before the moment the read that set it began, in the server's own clock, so a
    change made after that moment has a later time (``plex/changes.py``; kept in the snapshot
    cache, ``state/snapcache.py``). None: no track had the attribute yet, so every track that has
    it since is listed.

    ``upper_rated`` and ``upper_updated`` follow artists' and albums' ``lastRatedAt`` and
    ``updatedAt``, on a server that filters them (docs/real-servers.md, "Finding what changed").
    ``upper_updated`` None means artists and albums were never listed whole with these marks
    (every item has an ``updatedAt``), so they are read whole.

    Each ``seen_*`` is the newest time of its attribute any read has seen. A read that starts
    later starts after it, so it bounds the next mark from below: without it, a mark would stay
    a read's length behind the last change forever and every read would list that change again.
    """

    rated: int | None = None
    added: int | None = None
    viewed: int | None = None
    skipped: int | None = None
    upper_rated: int | None = None
    upper_updated: int | None = None
    seen_rated: int | None = None
    seen_added: int | None = None
    seen_viewed: int | None = None
    seen_skipped: int | None = None
    seen_upper_rated: int | None = None
    seen_upper_updated: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
