"""What a webhook cycle writes first: the scope of the ratings it acts on (cli/watch.scope_of)."""

from __future__ import annotations

from types import MappingProxyType

from plexrate.cli.watch import scope_of
from plexrate.model import Album, Artist, LibrarySnapshot, Track
from plexrate.watch.events import WebhookEvent
from plexrate.watch.loop import Trigger


def _library() -> LibrarySnapshot:
    artists = {a: Artist(key=a, title=f"A{a}", sort_title=f"A{a}") for a in (1, 2)}
    albums = {
        b: Album(key=b, title=f"B{b}", sort_title=f"B{b}", artist_key=a, artist_title=f"A{a}")
        for b, a in ((10, 1), (11, 1), (20, 2))
    }
    tracks = {
        t: Track(
            key=t,
            title=f"T{t}",
            album_key=b,
            artist_key=albums[b].artist_key,
            album_title="",
            album_artist="",
        )
        for b in albums
        for t in (b * 10, b * 10 + 1)
    }
    return LibrarySnapshot(
        library_uuid="lib",
        section_id=1,
        section_title="Music",
        artists=MappingProxyType(artists),
        albums=MappingProxyType(albums),
        tracks=MappingProxyType(tracks),
    )


def _rated(item_type: str, *keys: int, event: str = "media.rate") -> WebhookEvent:
    return WebhookEvent(
        event=event,
        server_uuid="srv",
        account_id=1,
        account_title="me",
        section_id=1,
        item_type=item_type,
        rating_keys=keys,
        rating=8.0,
    )


def test_a_track_rating_reaches_its_album_its_artist_and_the_album_s_tracks() -> None:
    scope = scope_of(Trigger("webhook", (_rated("track", 100, 10, 1),)), _library())
    assert scope == {100, 101, 10, 1}


def test_an_artist_rating_reaches_its_albums_and_their_tracks() -> None:
    scope = scope_of(Trigger("webhook", (_rated("artist", 2),)), _library())
    assert scope == {2, 20, 200, 201}


def test_other_triggers_and_events_have_no_scope() -> None:
    library = _library()
    assert scope_of(Trigger("poll"), library) == frozenset()
    added = _rated("album", 11, 1, event="library.new")
    assert scope_of(Trigger("webhook", (added,)), library) == frozenset()
