"""The one way tests hand-make a ``LibrarySnapshot``: a few lines per library, keys chosen by the
test, parents added before their children.

The named arguments are the ones tests use most; any other field of the model (``year``,
``genres``, ``rated_at``, ...) passes through as it is. The constructor sets what a whole library
shares: its identity, whether items carry Plex guids, a track's length when a test does not say,
and what an untitled track is called.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Any, Final, Literal

from plexrate.model import Album, Artist, ItemType, LibrarySnapshot, OwnedItem, Track


class _Unset(enum.Enum):
    UNSET = enum.auto()


# ``seconds=None`` means "length unknown", so "not given" needs a value of its own.
UNSET: Final = _Unset.UNSET


class Lib:
    """Build a ``LibrarySnapshot`` item by item; parents must be added before their children."""

    def __init__(
        self,
        *,
        library_uuid: str = "test-library",
        section_id: int = 1,
        guids: bool = True,
        track_seconds: float | None = 200.0,
        numbered_songs: bool = False,
    ) -> None:
        """``guids``: items carry ``plex://<type>/<key>`` guids (else Plex's empty one).
        ``numbered_songs``: an untitled track is "Song <key>" rather than "Song", so untitled
        tracks are never twins by title."""
        self.library_uuid = library_uuid
        self.section_id = section_id
        self.guids = guids
        self.track_seconds = track_seconds
        self.numbered_songs = numbered_songs
        self.artists: dict[int, Artist] = {}
        self.albums: dict[int, Album] = {}
        self.tracks: dict[int, Track] = {}
        self.tags: dict[str, set[int]] = {}
        self.owned: dict[int, OwnedItem] = {}

    def _guid(self, kind: str, key: int) -> str:
        return f"plex://{kind}/{key}" if self.guids else ""

    def artist(
        self,
        key: int,
        title: str = "Artist",
        *,
        rating: float | None = None,
        sort_title: str | None = None,
        **fields: Any,
    ) -> int:
        self.artists[key] = Artist(
            key=key,
            title=title,
            sort_title=sort_title if sort_title is not None else title,
            rating=rating,
            guid=self._guid("artist", key),
            **fields,
        )
        return key

    def album(
        self,
        key: int,
        artist: int,
        title: str = "Album",
        *,
        rating: float | None = None,
        critic: float | None = None,
        live: bool = False,
        sort_title: str | None = None,
        **fields: Any,
    ) -> int:
        owner = self.artists[artist]
        self.albums[key] = Album(
            key=key,
            title=title,
            sort_title=sort_title if sort_title is not None else title,
            artist_key=artist,
            artist_title=owner.title,
            rating=rating,
            critic_rating=critic,
            live=live,
            guid=self._guid("album", key),
            **fields,
        )
        return key

    def track(
        self,
        key: int,
        album: int,
        title: str | None = None,
        *,
        rating: float | None = None,
        seconds: float | Literal[_Unset.UNSET] | None = UNSET,
        track_artist: str | None = None,
        index: int | None = None,
        disc: int | None = None,
        **fields: Any,
    ) -> int:
        parent = self.albums[album]
        if title is None:
            title = f"Song {key}" if self.numbered_songs else "Song"
        if seconds is UNSET:
            seconds = self.track_seconds
        self.tracks[key] = Track(
            key=key,
            title=title,
            album_key=album,
            artist_key=parent.artist_key,
            album_title=parent.title,
            album_artist=parent.artist_title,
            track_artist=track_artist,
            duration_ms=None if seconds is None else int(seconds * 1000),
            rating=rating,
            index=index,
            disc=disc,
            guid=self._guid("track", key),
            **fields,
        )
        return key

    def tag(self, tag: str, *keys: int) -> None:
        self.tags.setdefault(tag, set()).update(keys)

    def own(self, key: int, value: float, item_type: ItemType = ItemType.TRACK) -> None:
        """Record that plexrate wrote ``value`` to ``key`` (kept in ``owned``)."""
        self.owned[key] = OwnedItem(key, item_type, value)

    def snapshot(self) -> LibrarySnapshot:
        return LibrarySnapshot(
            library_uuid=self.library_uuid,
            section_id=self.section_id,
            section_title="Music",
            artists=MappingProxyType(dict(self.artists)),
            albums=MappingProxyType(dict(self.albums)),
            tracks=MappingProxyType(dict(self.tracks)),
            tagged=MappingProxyType({t: frozenset(k) for t, k in self.tags.items()}),
        )


def own(snapshot: LibrarySnapshot, values: dict[int, float]) -> dict[int, OwnedItem]:
    """Ownership records for ``values`` (key → the value plexrate wrote)."""
    claims: dict[int, OwnedItem] = {}
    for key, value in values.items():
        item = snapshot.item(key)
        assert item is not None, key
        claims[key] = OwnedItem(key=key, item_type=item.item_type, value=value)
    return claims


def worked_example() -> Lib:
    """The library of ``docs/inference.md``'s worked example (default settings).

    μ = mean(9, 7, 5) = 7.0: the "Intro" rated 2 is filler. Hand-computed results:
    X (10) 7.4, Alpha (1) 6.48, Y (11) 6.48, W (20) 7.4, tracks 102 7.4, 110/111 6.48,
    120 4.9, 200 7.4, Gamma (3) 7.0, its album (30) 7.0 and track (300) 7.0.
    """
    lib = Lib()
    lib.artist(1, "Alpha")
    lib.album(10, 1, "X")
    lib.track(100, 10, "Morning", rating=9.0, index=1)
    lib.track(101, 10, "Noon", rating=7.0, index=2)
    lib.track(102, 10, "Evening", index=3)
    lib.track(103, 10, "Intro", rating=2.0, index=4)
    lib.album(11, 1, "Y")
    lib.track(110, 11, "North", index=1)
    lib.track(111, 11, "South", index=2)
    lib.album(12, 1, "Z", rating=4.0)
    lib.track(120, 12, "East", index=1)
    lib.track(121, 12, "West", rating=5.0, index=2)
    lib.artist(2, "Beta", rating=9.0)
    lib.album(20, 2, "W")
    lib.track(200, 20, "Up", index=1)
    lib.artist(3, "Gamma")
    lib.album(30, 3, "V")
    lib.track(300, 30, "Down", index=1)
    return lib
