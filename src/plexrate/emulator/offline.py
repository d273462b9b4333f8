"""A generated or loaded library as the snapshot plexrate would read from it, without a server.

Benchmarks and tests that score inference over many libraries skip HTTP this way. The records are
the ones ``plexrate.plex.snapshot`` builds from the emulator's listings (a test compares the two
field by field); managed tags are not read, so ``tagged`` is empty.
"""

from __future__ import annotations

from types import MappingProxyType

from plexrate.emulator.library import EmulatorLibrary
from plexrate.model import Album, Artist, LibrarySnapshot, Track, normalise_rating


def snapshot_of(library: EmulatorLibrary) -> LibrarySnapshot:
    section = library.default_section
    artists = {
        a.rating_key: Artist(
            key=a.rating_key,
            title=a.title,
            sort_title=a.sort_title,
            guid=a.guid or "",
            rating=normalise_rating(a.user_rating),
            rated_at=a.last_rated_at,
            genres=a.genres,
        )
        for a in section.artists
    }
    albums = {}
    for b in section.albums:
        subformats = {s.casefold() for s in b.subformats}
        albums[b.rating_key] = Album(
            key=b.rating_key,
            title=b.title,
            sort_title=b.sort_title,
            artist_key=b.artist_key,
            artist_title=artists[b.artist_key].title,
            guid=b.guid or "",
            rating=normalise_rating(b.user_rating),
            rated_at=b.last_rated_at,
            critic_rating=b.critic_rating,
            year=b.year,
            genres=b.genres,
            live="live" in subformats,
            compilation="compilation" in subformats,
        )
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
            guid=t.guid or "",
            rating=normalise_rating(t.user_rating),
            rated_at=t.last_rated_at,
            index=t.index,
            disc=t.parent_index,
            plays=t.view_count,
            skips=t.skip_count,
            last_played=t.last_viewed_at,
            popularity=t.rating_count,
        )
    return LibrarySnapshot(
        library_uuid=section.uuid,
        section_id=section.key,
        section_title=section.title,
        artists=MappingProxyType(artists),
        albums=MappingProxyType(albums),
        tracks=MappingProxyType(tracks),
    )
