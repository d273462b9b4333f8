"""The emulator's own in-memory music library and its JSON file format.

Plain slotted records (a 300,000-track library must fit comfortably in memory), a tag registry that
hands out Plex-style tag ids, and the load/save code for the documented JSON schema
(``docs/emulator.md``). Nothing here knows about HTTP; ``server.py`` reads and edits this state
under ``EmulatorLibrary.lock``.

Hidden generator truth (what the person would rate a track, album and artist quality) lives under a
``latent`` key in the JSON and in clearly named fields here; it is never rendered to Plex clients.
"""

from __future__ import annotations

import json
import math
import random
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

from plexrate.emulator.strictness import STRICT, Strictness
from plexrate.errors import InputFileError

SCHEMA = "plexrate-emulator-library/1"

ItemKind = Literal["artist", "album", "track"]
KINDS: tuple[ItemKind, ...] = ("artist", "album", "track")
SEARCH_TYPES: dict[ItemKind, int] = {"artist": 8, "album": 9, "track": 10}
KIND_BY_SEARCH_TYPE: dict[int, ItemKind] = {v: k for k, v in SEARCH_TYPES.items()}

# Tag types the emulator stores, with the XML element name Plex uses for each.
TAG_ELEMENTS: dict[str, str] = {
    "genre": "Genre",
    "mood": "Mood",
    "style": "Style",
    "collection": "Collection",
    "label": "Label",
    "country": "Country",
    "format": "Format",
    "subformat": "Subformat",
}
# Stored in dedicated fields; every other tag type lives in ``Item.tags``.
_DEDICATED_TAGS = frozenset({"genre", "mood", "subformat"})
_EXTRA_TAG_KEYS: dict[str, str] = {
    "styles": "style",
    "collections": "collection",
    "labels": "label",
    "countries": "country",
    "formats": "format",
}

EMPTY: tuple[str, ...] = ()


def sort_key(text: str) -> str:
    """Collation close to Plex's: accents folded, case ignored ("Ångström" sorts under A)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(slots=True, kw_only=True, eq=False)
class Item:
    rating_key: int
    title: str
    title_sort: str | None = None
    guid: str | None = None
    user_rating: float | None = None
    last_rated_at: int | None = None
    added_at: int | None = None
    updated_at: int | None = None
    summary: str | None = None
    genres: tuple[str, ...] = EMPTY
    moods: tuple[str, ...] = EMPTY
    tags: dict[str, tuple[str, ...]] | None = None
    """Tag types other than genre, mood and subformat (style, collection, label, …)."""
    locked: tuple[str, ...] = EMPTY
    """Field names whose lock is set (rendered as ``<Field name=… locked="1"/>`` in details)."""
    section_key: int = 0

    kind: ClassVar[ItemKind] = "artist"

    @property
    def sort_title(self) -> str:
        return self.title_sort or self.title

    def get_tags(self, tag_type: str) -> tuple[str, ...]:
        if tag_type == "genre":
            return self.genres
        if tag_type == "mood":
            return self.moods
        if tag_type == "subformat":
            return getattr(self, "subformats", EMPTY)
        return self.tags.get(tag_type, EMPTY) if self.tags else EMPTY

    def set_tags(self, tag_type: str, values: tuple[str, ...]) -> None:
        if tag_type == "genre":
            self.genres = values
        elif tag_type == "mood":
            self.moods = values
        elif tag_type == "subformat":
            if not isinstance(self, AlbumItem):
                if values:
                    raise ValueError("only albums carry a subformat")
                return
            self.subformats = values
        elif values:
            if self.tags is None:
                self.tags = {}
            self.tags[tag_type] = values
        elif self.tags and tag_type in self.tags:
            del self.tags[tag_type]
            if not self.tags:
                self.tags = None


@dataclass(slots=True, kw_only=True, eq=False)
class ArtistItem(Item):
    kind: ClassVar[ItemKind] = "artist"
    latent: dict[str, Any] | None = None


@dataclass(slots=True, kw_only=True, eq=False)
class AlbumItem(Item):
    kind: ClassVar[ItemKind] = "album"
    artist_key: int
    year: int | None = None
    originally_available_at: str | None = None
    critic_rating: float | None = None
    studio: str | None = None
    subformats: tuple[str, ...] = EMPTY
    latent: dict[str, Any] | None = None


@dataclass(slots=True, kw_only=True, eq=False)
class TrackItem(Item):
    kind: ClassVar[ItemKind] = "track"
    album_key: int
    artist_key: int = 0
    """The album artist (Plex's grandparent); derived from the album when loading."""
    original_title: str | None = None
    index: int | None = None
    parent_index: int | None = None
    duration: int | None = None
    # The person's listening, served as Plex serves it (``viewCount``, ``skipCount``,
    # ``lastViewedAt``, ``lastSkippedAt``) and other listeners' count (``ratingCount``); 0 and
    # None are left out.
    view_count: int = 0
    skip_count: int = 0
    last_viewed_at: int | None = None
    last_skipped_at: int | None = None
    rating_count: int | None = None
    # Hidden truth (JSON ``latent``), kept as two plain fields: a dict per track would cost tens of
    # megabytes at 300,000 tracks.
    true_rating: float | None = None
    recording: int | None = None
    """Copies of one recording (twins) share this id; a live take of the same song does not."""


AnyItem = ArtistItem | AlbumItem | TrackItem


@dataclass(frozen=True, slots=True)
class Added:
    """What ``EmulatorLibrary.add_album`` created."""

    artist_key: int
    album_key: int
    track_keys: tuple[int, ...]
    new_artist: bool


@dataclass(slots=True, kw_only=True)
class ServerInfo:
    friendly_name: str = "plexrate-emulator"
    machine_identifier: str = "0123456789abcdef0123456789abcdef01234567"
    version: str = "1.41.3.9314-emulator"
    platform: str = "Linux"
    platform_version: str = "emulated"


@dataclass(slots=True, kw_only=True, eq=False)
class Section:
    key: int
    type: str
    """``artist`` for music sections; other types (``movie``, ``show``, ``photo``) are listed
    by ``/library/sections`` but hold no items."""
    title: str
    uuid: str
    agent: str | None = None
    scanner: str | None = None
    language: str = "en"
    created_at: int = 1_600_000_000
    updated_at: int = 1_600_000_000
    scanned_at: int | None = None
    """When the scanner last ran (``scannedAt``); None: as ``updated_at``. Adding files means a
    scan; a re-match chosen in Plex's UI (``rematch_album`` without ``rekey``) does not."""
    location: str | None = None
    artists: list[ArtistItem] = field(default_factory=list)
    albums: list[AlbumItem] = field(default_factory=list)
    tracks: list[TrackItem] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.scanned_at is None:
            self.scanned_at = self.updated_at

    @property
    def is_music(self) -> bool:
        return self.type == "artist"

    def items(self, kind: ItemKind) -> Sequence[AnyItem]:
        if kind == "artist":
            return self.artists
        if kind == "album":
            return self.albums
        return self.tracks


class TagRegistry:
    """Plex-style tag ids: one id per (tag type, name), names matched case-insensitively.

    Ids come from one counter across types, like Plex's single ``tags`` table, and are handed out
    in first-seen order so the same library file always gets the same ids.
    """

    def __init__(self, *, first_id: int = 1001) -> None:
        self._next = first_id
        self._by_name: dict[tuple[str, str], tuple[int, str]] = {}
        self._by_id: dict[int, tuple[str, str]] = {}

    def register(self, tag_type: str, name: str) -> tuple[int, str]:
        """The tag's id and canonical spelling (the first spelling seen), creating it if new."""
        key = (tag_type, name.casefold())
        found = self._by_name.get(key)
        if found is None:
            found = (self._next, name)
            self._by_name[key] = found
            self._by_id[self._next] = (tag_type, name)
            self._next += 1
        return found

    def lookup(self, tag_type: str, name: str) -> tuple[int, str] | None:
        return self._by_name.get((tag_type, name.casefold()))

    def by_id(self, tag_id: int) -> tuple[str, str] | None:
        return self._by_id.get(tag_id)

    def tag_id(self, tag_type: str, name: str) -> int:
        return self.register(tag_type, name)[0]


class EmulatorLibrary:
    """The whole server's content: sections, their items in Plex's default order, and tags.

    Every read or write from the HTTP server happens under ``lock``. The accessors at the bottom
    take the lock and return copies, so tests can assert on live state while a client runs.
    """

    def __init__(
        self,
        *,
        server: ServerInfo | None = None,
        sections: Sequence[Section] = (),
    ) -> None:
        self.server = server or ServerInfo()
        self.sections: list[Section] = list(sections)
        self.lock = threading.RLock()
        self.tags = TagRegistry()
        self.version = 0
        """Incremented by every write; listing caches key on it."""
        self._items: dict[int, AnyItem] = {}
        self._children: dict[int, list[int]] = {}
        self._positions: dict[int, int] | None = None
        self._max_key = 0
        self._reindex()

    # ----------------------------------------------------------------------------- structure
    def _reindex(self) -> None:
        items: dict[int, AnyItem] = {}
        seen_sections: set[int] = set()
        for section in self.sections:
            if section.key in seen_sections:
                raise InputFileError(f"emulator library: section key {section.key} appears twice")
            seen_sections.add(section.key)
            for kind in KINDS:
                for item in section.items(kind):
                    if item.rating_key in items:
                        raise InputFileError(
                            f"emulator library: ratingKey {item.rating_key} appears twice"
                        )
                    item.section_key = section.key
                    items[item.rating_key] = item
        self._items = items
        # Plex never hands out a ratingKey twice: new items get keys above every key the
        # library ever held, deleted ones included.
        self._max_key = max(self._max_key, max(items, default=0))
        for section in self.sections:
            artists = {a.rating_key: a for a in section.artists}
            albums = {a.rating_key: a for a in section.albums}
            for album in section.albums:
                if album.artist_key not in artists:
                    raise InputFileError(
                        f"emulator library: album {album.rating_key} names artist "
                        f"{album.artist_key}, which is not in section {section.key}"
                    )
            for track in section.tracks:
                parent = albums.get(track.album_key)
                if parent is None:
                    raise InputFileError(
                        f"emulator library: track {track.rating_key} names album "
                        f"{track.album_key}, which is not in section {section.key}"
                    )
                track.artist_key = parent.artist_key
            self._sort_section(section, artists, albums)
        children: dict[int, list[int]] = {}
        for section in self.sections:
            for album in section.albums:
                children.setdefault(album.artist_key, []).append(album.rating_key)
            for track in section.tracks:
                children.setdefault(track.album_key, []).append(track.rating_key)
        self._children = children
        for section in self.sections:
            for kind in KINDS:
                for item in section.items(kind):
                    for tag_type in TAG_ELEMENTS:
                        for name in item.get_tags(tag_type):
                            self.tags.register(tag_type, name)

    @staticmethod
    def _sort_section(
        section: Section, artists: Mapping[int, ArtistItem], albums: Mapping[int, AlbumItem]
    ) -> None:
        # Plex's default orders: artists by sort title; albums by artist then album sort title;
        # tracks by artist, album, year, disc, track number. Rating key breaks ties so paging
        # is stable.
        artist_keys = {k: sort_key(a.sort_title) for k, a in artists.items()}
        section.artists.sort(key=lambda a: (artist_keys[a.rating_key], a.rating_key))
        album_keys = {
            k: (artist_keys[a.artist_key], sort_key(a.sort_title), a.year or 0, k)
            for k, a in albums.items()
        }
        section.albums.sort(key=lambda a: album_keys[a.rating_key])
        section.tracks.sort(
            key=lambda t: (
                album_keys[t.album_key],
                t.parent_index or 1,
                t.index or 0,
                sort_key(t.title),
                t.rating_key,
            )
        )

    def music_sections(self) -> list[Section]:
        return [s for s in self.sections if s.is_music]

    def section(self, key: int) -> Section | None:
        for section in self.sections:
            if section.key == key:
                return section
        return None

    def section_by_title(self, title: str) -> Section | None:
        wanted = title.strip().casefold()
        for section in self.sections:
            if section.title.casefold() == wanted:
                return section
        return None

    @property
    def default_section(self) -> Section:
        music = self.music_sections()
        if not music:
            raise InputFileError("emulator library has no music section (type 'artist')")
        return music[0]

    def get(self, rating_key: int) -> AnyItem | None:
        """The live record (no lock, no copy): for the server, which holds ``lock`` itself."""
        return self._items.get(rating_key)

    def children_of(self, rating_key: int) -> list[int]:
        return self._children.get(rating_key, [])

    def leaves_of(self, rating_key: int) -> list[int]:
        item = self._items.get(rating_key)
        if isinstance(item, ArtistItem):
            return [t for album in self.children_of(rating_key) for t in self.children_of(album)]
        if isinstance(item, AlbumItem):
            return list(self.children_of(rating_key))
        return []

    def position(self, rating_key: int) -> int:
        """The item's place in its section's default listing order."""
        if self._positions is None:
            self._positions = {
                item.rating_key: i
                for section in self.sections
                for kind in KINDS
                for i, item in enumerate(section.items(kind))
            }
        return self._positions[rating_key]

    def parent_of(self, item: AnyItem) -> AnyItem | None:
        if isinstance(item, TrackItem):
            return self._items.get(item.album_key)
        if isinstance(item, AlbumItem):
            return self._items.get(item.artist_key)
        return None

    def counts(self) -> dict[str, int]:
        music = self.music_sections()
        return {
            "artists": sum(len(s.artists) for s in music),
            "albums": sum(len(s.albums) for s in music),
            "tracks": sum(len(s.tracks) for s in music),
        }

    def bump(self) -> None:
        self.version += 1

    def delete(self, rating_keys: Sequence[int]) -> list[int]:
        """Remove items, and the albums and tracks under them, as Plex does when their files go
        (and the trash is emptied). Returns every key removed; unknown keys are ignored."""
        with self.lock:
            doomed: set[int] = set()
            for key in rating_keys:
                if key not in self._items:
                    continue
                doomed.add(key)
                doomed.update(self.children_of(key))
                doomed.update(self.leaves_of(key))
            if not doomed:
                return []
            for section in self.sections:
                section.artists[:] = [a for a in section.artists if a.rating_key not in doomed]
                section.albums[:] = [a for a in section.albums if a.rating_key not in doomed]
                section.tracks[:] = [t for t in section.tracks if t.rating_key not in doomed]
            for key in doomed:
                del self._items[key]
                self._children.pop(key, None)
            for siblings in self._children.values():
                siblings[:] = [k for k in siblings if k not in doomed]
            self._positions = None
            self.bump()
            return sorted(doomed)

    # ----------------------------------------------------------------------------- changes
    # What a person (or Plex's scanner) does to the library while a client runs. Each takes the
    # lock, stamps with ``at`` (epoch seconds on the emulator's clock) and bumps ``version``.
    def play(self, rating_key: int, *, at: int) -> None:
        """The person played a track to the end: ``viewCount`` + 1, ``lastViewedAt`` = ``at``."""
        with self.lock:
            track = self._require_track(rating_key, "played")
            track.view_count += 1
            track.last_viewed_at = at
            self.bump()

    def skip(self, rating_key: int, *, at: int) -> None:
        """The person skipped a track: ``skipCount`` + 1, ``lastSkippedAt`` = ``at``."""
        with self.lock:
            track = self._require_track(rating_key, "skipped")
            track.skip_count += 1
            track.last_skipped_at = at
            self.bump()

    def person_rate(
        self,
        rating_key: int,
        value: float | None,
        *,
        at: int,
        strictness: Strictness = STRICT,
    ) -> AnyItem:
        """The person rated an item (``None`` clears), exactly as ``/:/rate`` does: a set rating
        stamps ``lastRatedAt``, a clear leaves it (unless ``clear-sets-last-rated``). Returns a
        copy of the item as it is now."""
        if value is not None and not (math.isfinite(value) and 0 <= value <= 10):
            raise ValueError(f"a rating is between 0 and 10, or None to clear; got {value!r}")
        with self.lock:
            item = self._require(rating_key)
            self.set_rating(item, value, at=at, strictness=strictness)
            found = self.item(rating_key)
            assert found is not None
            return found

    def set_rating(
        self, item: AnyItem, value: float | None, *, at: int, strictness: Strictness = STRICT
    ) -> None:
        """``/:/rate``'s effect on the live record ``item`` (the caller holds the lock).

        Whether Plex moves ``lastRatedAt`` when a rating is cleared is unknown
        (docs/real-servers.md, "Rating timestamps"); an unchanged stamp is the harder case for a
        client that finds changes by date, so the strict emulator keeps it. ``updatedAt`` stays
        too: whether a rating (kept per account, apart from the item's metadata) moves it is
        unknown, and a reader that found ratings by it would miss them on such a server.
        """
        item.user_rating = strictness.stored_rating(value)
        if value is not None or strictness.clear_sets_last_rated:
            item.last_rated_at = at
        self.bump()

    def add_album(
        self,
        artist_key: int | None,
        *,
        tracks: int,
        at: int,
        seed: int = 0,
        section_key: int | None = None,
    ) -> Added:
        """Plex's scanner found a new album of ``tracks`` tracks by ``artist_key`` (None: by a new
        artist). Names, guids and durations look like the generator's; nothing is rated. New
        ratingKeys lie above every key the library ever held; ``addedAt`` = ``updatedAt`` =
        ``at`` on the new items, and the section's ``updatedAt`` moves to ``at`` (a scan ran)."""
        # The generator builds on this module: imported here, not at the top, to avoid a cycle.
        from plexrate.emulator.generator import new_album_records  # noqa: PLC0415

        if tracks < 1:
            raise ValueError("an album needs at least one track")
        with self.lock:
            if artist_key is None:
                section = self.default_section if section_key is None else self.section(section_key)
                if section is None or not section.is_music:
                    raise KeyError(section_key)
                artist: ArtistItem | None = None
            else:
                found = self._require(artist_key)
                if not isinstance(found, ArtistItem):
                    raise ValueError(f"item {artist_key} is a {found.kind}, not an artist")
                artist = found
                section = self.section(found.section_key)
                assert section is not None
            records = new_album_records(
                artist,
                taken={a.title for s in self.music_sections() for a in s.artists},
                tracks=tracks,
                at=at,
                seed=seed,
                first_key=self._max_key + 1,
                first_recording=1
                + max(
                    (t.recording or 0 for s in self.music_sections() for t in s.tracks), default=0
                ),
            )
            new_artist, album, new_tracks = records
            if new_artist is not None:
                section.artists.append(new_artist)
            section.albums.append(album)
            section.tracks.extend(new_tracks)
            owner = new_artist or artist
            assert owner is not None
            for item in (*((new_artist,) if new_artist else ()), album, *new_tracks):
                item.section_key = section.key
                self._items[item.rating_key] = item
                self._max_key = max(self._max_key, item.rating_key)
                for tag_type in TAG_ELEMENTS:
                    for name in item.get_tags(tag_type):
                        self.tags.register(tag_type, name)
            self._children.setdefault(owner.rating_key, []).append(album.rating_key)
            self._children[album.rating_key] = [t.rating_key for t in new_tracks]
            section.updated_at = max(section.updated_at, at)
            section.scanned_at = max(section.scanned_at or section.updated_at, at)
            self._resort(section)
            return Added(
                artist_key=owner.rating_key,
                album_key=album.rating_key,
                track_keys=tuple(t.rating_key for t in new_tracks),
                new_artist=new_artist is not None,
            )

    def rename_artist(self, rating_key: int, title: str, *, at: int) -> None:
        """The person renamed an artist in Plex's edit form: its ``title`` and ``titleSort`` and
        its ``updatedAt`` = ``at``. Its albums' ``parentTitle`` and its tracks'
        ``grandparentTitle`` follow, as they are served from the artist, while their own
        ``updatedAt`` stays (the harder case for a reader that finds changes by date)."""
        with self.lock:
            artist = self._require(rating_key)
            if not isinstance(artist, ArtistItem):
                raise ValueError(f"item {rating_key} is a {artist.kind}, not an artist")
            artist.title = artist.title_sort = title
            artist.updated_at = at
            section = self.section(artist.section_key)
            assert section is not None
            self._resort(section)
            self.bump()

    def rematch_album(
        self,
        rating_key: int,
        *,
        at: int,
        rekey: bool = False,
        keep_guids: bool = False,
        title: str | None = None,
        seed: int = 0,
    ) -> dict[int, int]:
        """The person fixed an album's match, or Plex re-matched it: new guids for the album and
        its tracks (unless ``keep_guids``), ``title`` if given, ``updatedAt`` = ``at`` on all of
        them; ``addedAt``, ratings, moods and locks stay.

        With ``rekey`` the album and its tracks also move to new ratingKeys above every key the
        library ever held (what a re-scan that deletes and re-adds them does; the old keys are
        gone). ``keep_guids`` with ``rekey`` is the shape plexrate finds by guid. Returns old key
        → new key for the album and each track (the same key without ``rekey``).
        """
        rng = random.Random(f"rematch:{seed}:{rating_key}")
        with self.lock:
            album = self._require(rating_key)
            if not isinstance(album, AlbumItem):
                raise ValueError(f"item {rating_key} is a {album.kind}, not an album")
            section = self.section(album.section_key)
            assert section is not None
            tracks = [self._items[k] for k in self.children_of(rating_key)]
            if not keep_guids:
                album.guid = f"plex://album/{rng.getrandbits(96):024x}"
                for track in tracks:
                    track.guid = f"plex://track/{rng.getrandbits(96):024x}"
            if title is not None:
                album.title = title
            for item in (album, *tracks):
                item.updated_at = at
            moves = {item.rating_key: item.rating_key for item in (album, *tracks)}
            if rekey:
                for item in (album, *tracks):
                    self._max_key += 1
                    moves[item.rating_key] = self._max_key
                for item in (album, *tracks):
                    del self._items[item.rating_key]
                    item.rating_key = moves[item.rating_key]
                    self._items[item.rating_key] = item
                for track in tracks:
                    assert isinstance(track, TrackItem)
                    track.album_key = album.rating_key
                self._children[album.rating_key] = [
                    moves[k] for k in self._children.pop(rating_key, [])
                ]
                siblings = self._children.get(album.artist_key, [])
                siblings[:] = [moves.get(k, k) for k in siblings]
            section.updated_at = max(section.updated_at, at)
            if rekey:
                # New rating keys are what a re-scan that drops and re-adds the files gives.
                section.scanned_at = max(section.scanned_at or section.updated_at, at)
            self._resort(section)
            return moves

    def _resort(self, section: Section) -> None:
        artists = {a.rating_key: a for a in section.artists}
        albums = {a.rating_key: a for a in section.albums}
        self._sort_section(section, artists, albums)
        self._positions = None
        self.bump()

    def _require_track(self, rating_key: int, done: str) -> TrackItem:
        found = self._require(rating_key)
        if not isinstance(found, TrackItem):
            raise ValueError(f"only tracks are {done}; item {rating_key} is a {found.kind}")
        return found

    # ----------------------------------------------------------------------------- accessors
    def item(self, rating_key: int) -> AnyItem | None:
        """A copy of one item as it is now (thread-safe)."""
        with self.lock:
            found = self._items.get(rating_key)
            if found is None:
                return None
            copy = replace(found)
            if found.tags is not None:
                copy.tags = dict(found.tags)
            return copy

    def rating(self, rating_key: int) -> float | None:
        with self.lock:
            return self._require(rating_key).user_rating

    def item_tags(self, rating_key: int, tag_type: str = "mood") -> tuple[str, ...]:
        with self.lock:
            return self._require(rating_key).get_tags(tag_type)

    def locked_fields(self, rating_key: int) -> tuple[str, ...]:
        with self.lock:
            return self._require(rating_key).locked

    def ratings(self, kind: ItemKind | None = None) -> dict[int, float | None]:
        """Every item's current ``userRating`` (optionally one kind only)."""
        with self.lock:
            return {
                k: v.user_rating for k, v in self._items.items() if kind is None or v.kind == kind
            }

    def round_ratings(self, stored: Callable[[float | None], float | None]) -> None:
        """Put every rating into the form the server keeps (``stored`` maps a value to it)."""
        with self.lock:
            for item in self._items.values():
                if item.user_rating is not None:
                    item.user_rating = stored(item.user_rating)

    def tagged(self, tag: str, *, tag_type: str = "mood", kind: ItemKind | None = None) -> set[int]:
        """Rating keys of the items that carry ``tag`` (case-insensitive)."""
        wanted = tag.casefold()
        with self.lock:
            return {
                k
                for k, v in self._items.items()
                if (kind is None or v.kind == kind)
                and any(t.casefold() == wanted for t in v.get_tags(tag_type))
            }

    def keys(self, kind: ItemKind | None = None) -> list[int]:
        with self.lock:
            return [k for k, v in self._items.items() if kind is None or v.kind == kind]

    def _require(self, rating_key: int) -> AnyItem:
        found = self._items.get(rating_key)
        if found is None:
            raise KeyError(rating_key)
        return found

    def __len__(self) -> int:
        return len(self._items)

    # ----------------------------------------------------------------------------- JSON
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmulatorLibrary:
        return _Loader().library(data)

    @classmethod
    def load(cls, path: Path | str) -> EmulatorLibrary:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"cannot read emulator library {path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"emulator library {path} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}"
            ) from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "schema": SCHEMA,
                "server": {
                    "friendlyName": self.server.friendly_name,
                    "machineIdentifier": self.server.machine_identifier,
                    "version": self.server.version,
                    "platform": self.server.platform,
                    "platformVersion": self.server.platform_version,
                },
                "sections": [_section_dict(s) for s in self.sections],
            }

    def save(self, path: Path | str) -> None:
        """Write the library as JSON (atomically: a crash never leaves half a file)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, ensure_ascii=False, separators=(",", ":"))
            fh.write("\n")
        tmp.replace(path)


# --------------------------------------------------------------------------------- dump helpers
def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value not in ((), []):
        out[key] = list(value) if isinstance(value, tuple) else value


def _common_dict(item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"ratingKey": item.rating_key, "title": item.title}
    _put(out, "titleSort", item.title_sort)
    _put(out, "guid", item.guid)
    _put(out, "summary", item.summary)
    _put(out, "userRating", item.user_rating)
    _put(out, "lastRatedAt", item.last_rated_at)
    _put(out, "addedAt", item.added_at)
    _put(out, "updatedAt", item.updated_at)
    _put(out, "genres", item.genres)
    _put(out, "moods", item.moods)
    if item.tags:
        for plural, tag_type in _EXTRA_TAG_KEYS.items():
            _put(out, plural, item.tags.get(tag_type))
    _put(out, "locked", item.locked)
    return out


def _section_dict(section: Section) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": section.key,
        "type": section.type,
        "title": section.title,
        "uuid": section.uuid,
    }
    _put(out, "agent", section.agent)
    _put(out, "scanner", section.scanner)
    out["language"] = section.language
    out["createdAt"] = section.created_at
    out["updatedAt"] = section.updated_at
    _put(out, "scannedAt", section.scanned_at)
    _put(out, "location", section.location)
    if not section.is_music:
        return out
    artists = []
    for artist in section.artists:
        a = _common_dict(artist)
        _put(a, "latent", artist.latent)
        artists.append(a)
    albums = []
    for album in section.albums:
        b = _common_dict(album)
        b["artist"] = album.artist_key
        _put(b, "year", album.year)
        _put(b, "originallyAvailableAt", album.originally_available_at)
        _put(b, "rating", album.critic_rating)
        _put(b, "studio", album.studio)
        _put(b, "subformats", album.subformats)
        _put(b, "latent", album.latent)
        albums.append(b)
    tracks = []
    for track in section.tracks:
        t = _common_dict(track)
        t["album"] = track.album_key
        _put(t, "originalTitle", track.original_title)
        _put(t, "index", track.index)
        _put(t, "parentIndex", track.parent_index)
        _put(t, "duration", track.duration)
        _put(t, "viewCount", track.view_count or None)
        _put(t, "skipCount", track.skip_count or None)
        _put(t, "lastViewedAt", track.last_viewed_at)
        _put(t, "lastSkippedAt", track.last_skipped_at)
        _put(t, "ratingCount", track.rating_count)
        latent: dict[str, Any] = {}
        _put(latent, "true_rating", track.true_rating)
        _put(latent, "recording", track.recording)
        _put(t, "latent", latent or None)
        tracks.append(t)
    out["artists"] = artists
    out["albums"] = albums
    out["tracks"] = tracks
    return out


# --------------------------------------------------------------------------------- loading
_COMMON_KEYS = frozenset(
    {
        "ratingKey",
        "title",
        "titleSort",
        "guid",
        "summary",
        "userRating",
        "lastRatedAt",
        "addedAt",
        "updatedAt",
        "genres",
        "moods",
        "locked",
        "latent",
        *_EXTRA_TAG_KEYS,
    }
)
_ALBUM_KEYS = _COMMON_KEYS | {
    "artist",
    "year",
    "originallyAvailableAt",
    "rating",
    "studio",
    "subformats",
}
_TRACK_KEYS = _COMMON_KEYS | {
    "album",
    "originalTitle",
    "index",
    "parentIndex",
    "duration",
    "viewCount",
    "skipCount",
    "lastViewedAt",
    "lastSkippedAt",
    "ratingCount",
}
_SECTION_KEYS = frozenset(
    {
        "key",
        "type",
        "title",
        "uuid",
        "agent",
        "scanner",
        "language",
        "createdAt",
        "updatedAt",
        "scannedAt",
        "location",
        "artists",
        "albums",
        "tracks",
    }
)


class _Loader:
    """Validates a library document field by field; errors name the offending path."""

    def library(self, data: Mapping[str, Any]) -> EmulatorLibrary:
        if not isinstance(data, Mapping):
            raise self._err("$", "the document must be a JSON object")
        schema = data.get("schema")
        if schema != SCHEMA:
            raise self._err("$.schema", f"expected {SCHEMA!r}, found {schema!r}")
        server = self._server(data.get("server") or {})
        raw_sections = data.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            raise self._err("$.sections", "must be a non-empty list")
        sections = [self._section(s, f"$.sections[{i}]") for i, s in enumerate(raw_sections)]
        return EmulatorLibrary(server=server, sections=sections)

    @staticmethod
    def _err(path: str, message: str) -> InputFileError:
        return InputFileError(f"emulator library {path}: {message}")

    def _server(self, raw: Any) -> ServerInfo:
        if not isinstance(raw, Mapping):
            raise self._err("$.server", "must be an object")
        info = ServerInfo()
        mapping = {
            "friendlyName": "friendly_name",
            "machineIdentifier": "machine_identifier",
            "version": "version",
            "platform": "platform",
            "platformVersion": "platform_version",
        }
        for key, value in raw.items():
            attr = mapping.get(key)
            if attr is None:
                raise self._err(f"$.server.{key}", "unknown key")
            setattr(info, attr, self._str(value, f"$.server.{key}"))
        return info

    def _section(self, raw: Any, path: str) -> Section:
        if not isinstance(raw, Mapping):
            raise self._err(path, "must be an object")
        self._known(raw, _SECTION_KEYS, path)
        key = self._int(raw.get("key"), f"{path}.key", required=True)
        section_type = self._str(raw.get("type", "artist"), f"{path}.type")
        title = self._str(raw.get("title"), f"{path}.title")
        section = Section(
            key=key,
            type=section_type,
            title=title,
            uuid=self._str(raw.get("uuid", f"emulator-section-{key}"), f"{path}.uuid"),
            agent=self._opt_str(raw.get("agent"), f"{path}.agent"),
            scanner=self._opt_str(raw.get("scanner"), f"{path}.scanner"),
            language=self._str(raw.get("language", "en"), f"{path}.language"),
            created_at=self._int(raw.get("createdAt", 1_600_000_000), f"{path}.createdAt"),
            updated_at=self._int(raw.get("updatedAt", 1_600_000_000), f"{path}.updatedAt"),
            scanned_at=self._opt_int(raw.get("scannedAt"), f"{path}.scannedAt"),
            location=self._opt_str(raw.get("location"), f"{path}.location"),
        )
        if section.is_music:
            section.agent = section.agent or "tv.plex.agents.music"
            section.scanner = section.scanner or "Plex Music"
            section.artists = [
                self._artist(a, f"{path}.artists[{i}]")
                for i, a in enumerate(self._list(raw.get("artists", []), f"{path}.artists"))
            ]
            section.albums = [
                self._album(a, f"{path}.albums[{i}]")
                for i, a in enumerate(self._list(raw.get("albums", []), f"{path}.albums"))
            ]
            section.tracks = [
                self._track(t, f"{path}.tracks[{i}]")
                for i, t in enumerate(self._list(raw.get("tracks", []), f"{path}.tracks"))
            ]
        else:
            for kind in ("artists", "albums", "tracks"):
                if raw.get(kind):
                    raise self._err(
                        f"{path}.{kind}", "only music sections (type 'artist') hold items"
                    )
        return section

    def _common(self, raw: Any, path: str, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise self._err(path, "must be an object")
        self._known(raw, allowed, path)
        extra: dict[str, tuple[str, ...]] = {}
        for plural, tag_type in _EXTRA_TAG_KEYS.items():
            if plural in raw:
                values = self._tags(raw[plural], f"{path}.{plural}")
                if values:
                    extra[tag_type] = values
        return {
            "rating_key": self._int(raw.get("ratingKey"), f"{path}.ratingKey", required=True),
            "title": self._str(raw.get("title"), f"{path}.title"),
            "title_sort": self._opt_str(raw.get("titleSort"), f"{path}.titleSort"),
            "guid": self._opt_str(raw.get("guid"), f"{path}.guid"),
            "summary": self._opt_str(raw.get("summary"), f"{path}.summary"),
            "user_rating": self._rating(raw.get("userRating"), f"{path}.userRating"),
            "last_rated_at": self._opt_int(raw.get("lastRatedAt"), f"{path}.lastRatedAt"),
            "added_at": self._opt_int(raw.get("addedAt"), f"{path}.addedAt"),
            "updated_at": self._opt_int(raw.get("updatedAt"), f"{path}.updatedAt"),
            "genres": self._tags(raw.get("genres", []), f"{path}.genres"),
            "moods": self._tags(raw.get("moods", []), f"{path}.moods"),
            "tags": extra or None,
            "locked": self._tags(raw.get("locked", []), f"{path}.locked"),
        }

    def _artist(self, raw: Any, path: str) -> ArtistItem:
        common = self._common(raw, path, _COMMON_KEYS)
        return ArtistItem(**common, latent=self._latent(raw.get("latent"), f"{path}.latent"))

    def _album(self, raw: Any, path: str) -> AlbumItem:
        common = self._common(raw, path, _ALBUM_KEYS)
        year = self._opt_int(raw.get("year"), f"{path}.year")
        released = self._opt_str(raw.get("originallyAvailableAt"), f"{path}.originallyAvailableAt")
        if released is not None:
            _check_date(released, f"{path}.originallyAvailableAt", self._err)
        return AlbumItem(
            **common,
            artist_key=self._int(raw.get("artist"), f"{path}.artist", required=True),
            year=year,
            originally_available_at=released,
            critic_rating=self._rating(raw.get("rating"), f"{path}.rating"),
            studio=self._opt_str(raw.get("studio"), f"{path}.studio"),
            subformats=self._tags(raw.get("subformats", []), f"{path}.subformats"),
            latent=self._latent(raw.get("latent"), f"{path}.latent"),
        )

    def _track(self, raw: Any, path: str) -> TrackItem:
        common = self._common(raw, path, _TRACK_KEYS)
        latent = self._latent(raw.get("latent"), f"{path}.latent") or {}
        unknown = set(latent) - {"true_rating", "recording"}
        if unknown:
            raise self._err(
                f"{path}.latent", f"tracks keep only true_rating and recording, not {unknown}"
            )
        return TrackItem(
            **common,
            album_key=self._int(raw.get("album"), f"{path}.album", required=True),
            original_title=self._opt_str(raw.get("originalTitle"), f"{path}.originalTitle"),
            index=self._opt_int(raw.get("index"), f"{path}.index"),
            parent_index=self._opt_int(raw.get("parentIndex"), f"{path}.parentIndex"),
            duration=self._opt_int(raw.get("duration"), f"{path}.duration"),
            view_count=self._count(raw.get("viewCount"), f"{path}.viewCount"),
            skip_count=self._count(raw.get("skipCount"), f"{path}.skipCount"),
            last_viewed_at=self._opt_int(raw.get("lastViewedAt"), f"{path}.lastViewedAt"),
            last_skipped_at=self._opt_int(raw.get("lastSkippedAt"), f"{path}.lastSkippedAt"),
            rating_count=self._opt_int(raw.get("ratingCount"), f"{path}.ratingCount"),
            true_rating=self._rating(latent.get("true_rating"), f"{path}.latent.true_rating"),
            recording=self._opt_int(latent.get("recording"), f"{path}.latent.recording"),
        )

    # -- scalar checks
    def _known(self, raw: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        for key in raw:
            if key not in allowed:
                raise self._err(f"{path}.{key}", "unknown key")

    def _list(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self._err(path, "must be a list")
        return value

    def _str(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self._err(path, "must be a non-empty string")
        return value

    def _opt_str(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._err(path, "must be a string")
        return value

    def _int(self, value: Any, path: str, *, required: bool = False) -> int:
        if value is None and required:
            raise self._err(path, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._err(path, "must be an integer")
        return value

    def _opt_int(self, value: Any, path: str) -> int | None:
        return None if value is None else self._int(value, path)

    def _count(self, value: Any, path: str) -> int:
        count = self._opt_int(value, path) or 0
        if count < 0:
            raise self._err(path, "must not be negative")
        return count

    def _rating(self, value: Any, path: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._err(path, "must be a number")
        if not 0 <= value <= 10:
            raise self._err(path, "must be between 0 and 10")
        return float(value)

    def _tags(self, value: Any, path: str) -> tuple[str, ...]:
        values = self._list(value, path)
        for i, v in enumerate(values):
            self._str(v, f"{path}[{i}]")
        return tuple(values) if values else EMPTY

    def _latent(self, value: Any, path: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self._err(path, "must be an object")
        return dict(value)


def _check_date(value: str, path: str, err: Any) -> None:
    parts = value.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise err(path, f"expected YYYY-MM-DD, found {value!r}")
