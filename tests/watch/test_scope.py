"""What a webhook cycle writes first: the scope of the ratings it acts on (cli/watch.scope_of)."""

from __future__ import annotations

from plexrate.cli.watch import scope_of
from plexrate.model import LibrarySnapshot
from plexrate.watch.events import WebhookEvent
from plexrate.watch.loop import Trigger
from tests.support.library import Lib


def _library() -> LibrarySnapshot:
    lib = Lib()
    for artist in (1, 2):
        lib.artist(artist)
    for album, artist in ((10, 1), (11, 1), (20, 2)):
        lib.album(album, artist)
        for track in (album * 10, album * 10 + 1):
            lib.track(track, album)
    return lib.snapshot()


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


def test_the_scope_comes_from_the_library_not_the_webhook_s_parent_keys() -> None:
    # An event carrying only the item's own key reaches as far as one with its parents.
    assert scope_of(Trigger("webhook", (_rated("track", 100),)), _library()) == {100, 101, 10, 1}
