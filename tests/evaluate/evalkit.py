"""Libraries for the evaluation tests: hand-made snapshots, and the generator's libraries as
snapshots without a server (the same records ``plexrate.plex.snapshot`` reads over HTTP)."""

from __future__ import annotations

from types import MappingProxyType

from plexrate.emulator import EmulatorLibrary, generate_library
from plexrate.model import Album, Artist, LibrarySnapshot, Track, normalise_rating


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


def snapshot_of(library: EmulatorLibrary) -> LibrarySnapshot:
    """The snapshot plexrate would read from an emulator serving ``library`` (no managed tags)."""
    section = library.default_section
    artists = {
        a.rating_key: Artist(
            key=a.rating_key,
            title=a.title,
            sort_title=a.sort_title,
            rating=normalise_rating(a.user_rating),
        )
        for a in section.artists
    }
    albums = {
        b.rating_key: Album(
            key=b.rating_key,
            title=b.title,
            sort_title=b.sort_title,
            artist_key=b.artist_key,
            artist_title=artists[b.artist_key].title,
            rating=normalise_rating(b.user_rating),
            critic_rating=b.critic_rating,
            live="live" in (s.casefold() for s in b.subformats),
        )
        for b in section.albums
    }
    tracks = {}
    for t in section.tracks:
        album = albums[t.album_key]
        tracks[t.rating_key] = Track(
            key=t.rating_key,
            title=t.title,
            album_key=t.album_key,
            artist_key=album.artist_key,
            album_title=album.title,
            album_artist=album.artist_title,
            track_artist=t.original_title,
            duration_ms=t.duration,
            rating=normalise_rating(t.user_rating),
        )
    return LibrarySnapshot(
        library_uuid=section.uuid,
        section_id=section.key,
        section_title=section.title,
        artists=MappingProxyType(artists),
        albums=MappingProxyType(albums),
        tracks=MappingProxyType(tracks),
    )


def generated(tracks: int, seed: int) -> LibrarySnapshot:
    return snapshot_of(generate_library(tracks=tracks, seed=seed))
