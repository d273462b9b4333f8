"""Libraries for the evaluation tests: hand-made snapshots, and the generator's libraries as
snapshots without a server (the same records ``plexrate.plex.snapshot`` reads over HTTP)."""

from __future__ import annotations

from types import MappingProxyType

from plexrate.emulator import generate_library
from plexrate.emulator.offline import snapshot_of
from plexrate.model import Album, Artist, LibrarySnapshot, Track


class Lib:
    """Build a ``LibrarySnapshot`` item by item; parents before children."""

    def __init__(self) -> None:
        self.artists: dict[int, Artist] = {}
        self.albums: dict[int, Album] = {}
        self.tracks: dict[int, Track] = {}

    def artist(self, key: int, title: str = "Artist", *, rating: float | None = None) -> int:
        self.artists[key] = Artist(key=key, title=title, sort_title=title, rating=rating)
        return key

    def album(
        self,
        key: int,
        artist: int,
        title: str = "Album",
        *,
        rating: float | None = None,
        critic: float | None = None,
    ) -> int:
        self.albums[key] = Album(
            key=key,
            title=title,
            sort_title=title,
            artist_key=artist,
            artist_title=self.artists[artist].title,
            rating=rating,
            critic_rating=critic,
        )
        return key

    def track(
        self,
        key: int,
        album: int,
        title: str | None = None,
        *,
        rating: float | None = None,
        seconds: float = 200.0,
    ) -> int:
        parent = self.albums[album]
        self.tracks[key] = Track(
            key=key,
            title=title if title is not None else f"Song {key}",
            album_key=album,
            artist_key=parent.artist_key,
            album_title=parent.title,
            album_artist=parent.artist_title,
            duration_ms=int(seconds * 1000),
            rating=rating,
        )
        return key

    def snapshot(self) -> LibrarySnapshot:
        return LibrarySnapshot(
            library_uuid="evaluate-test",
            section_id=1,
            section_title="Music",
            artists=MappingProxyType(dict(self.artists)),
            albums=MappingProxyType(dict(self.albums)),
            tracks=MappingProxyType(dict(self.tracks)),
        )


def generated(tracks: int, seed: int) -> LibrarySnapshot:
    return snapshot_of(generate_library(tracks=tracks, seed=seed))
