"""Hand-made snapshots for the engine tests: a few lines per library, keys chosen by the test."""

from __future__ import annotations

from types import MappingProxyType

from plexrate.model import Album, Artist, LibrarySnapshot, OwnedItem, Track


class Lib:
    """Build a ``LibrarySnapshot`` item by item; parents must be added before their children."""

    def __init__(self) -> None:
        self.artists: dict[int, Artist] = {}
        self.albums: dict[int, Album] = {}
        self.tracks: dict[int, Track] = {}
        self.tags: dict[str, set[int]] = {}

    def artist(
        self,
        key: int,
        title: str = "Artist",
        *,
        rating: float | None = None,
        sort_title: str | None = None,
    ) -> int:
        self.artists[key] = Artist(
            key=key,
            title=title,
            sort_title=sort_title if sort_title is not None else title,
            guid=f"plex://artist/{key}",
            rating=rating,
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
    ) -> int:
        owner = self.artists[artist]
        self.albums[key] = Album(
            key=key,
            title=title,
            sort_title=sort_title if sort_title is not None else title,
            artist_key=artist,
            artist_title=owner.title,
            guid=f"plex://album/{key}",
            rating=rating,
            critic_rating=critic,
            live=live,
        )
        return key

    def track(
        self,
        key: int,
        album: int,
        title: str = "Song",
        *,
        rating: float | None = None,
        seconds: float | None = 200.0,
        track_artist: str | None = None,
        index: int | None = None,
        disc: int | None = None,
    ) -> int:
        parent = self.albums[album]
        self.tracks[key] = Track(
            key=key,
            title=title,
            album_key=album,
            artist_key=parent.artist_key,
            album_title=parent.title,
            album_artist=parent.artist_title,
            track_artist=track_artist,
            duration_ms=None if seconds is None else int(seconds * 1000),
            guid=f"plex://track/{key}",
            rating=rating,
            index=index,
            disc=disc,
        )
        return key

    def tag(self, tag: str, *keys: int) -> None:
        self.tags.setdefault(tag, set()).update(keys)

    def snapshot(self) -> LibrarySnapshot:
        return LibrarySnapshot(
            library_uuid="test-library",
            section_id=1,
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
