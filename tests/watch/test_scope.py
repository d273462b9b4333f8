"""What a cycle writes first: what the new ratings it acts on reach (``phases.usecases.reach``),
from the webhooks' items and what the read found rated (``ReadInfo.rerated``)."""

from __future__ import annotations

from plexrate.cli.watch import webhook_rated
from plexrate.engine.config import EngineConfig
from plexrate.engine.index import LibraryIndex
from plexrate.model import LibrarySnapshot
from plexrate.phases.usecases import reach
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


def scope_of(rated: list[int], snapshot: LibrarySnapshot) -> frozenset[int]:
    return reach(LibraryIndex.build(snapshot, EngineConfig()), rated)


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
    assert scope_of([100], _library()) == {100, 101, 10, 1}


def test_an_artist_rating_reaches_its_albums_and_their_tracks() -> None:
    assert scope_of([2], _library()) == {2, 20, 200, 201}


def test_an_album_rating_reaches_its_artist_and_tracks_not_the_artist_s_other_albums() -> None:
    assert scope_of([11], _library()) == {11, 1, 110, 111}


def test_keys_the_library_does_not_hold_reach_nothing() -> None:
    assert scope_of([999], _library()) == frozenset()


def test_the_rated_items_of_a_cycle_are_its_rate_webhooks_own_keys() -> None:
    added = _rated("album", 11, 1, event="library.new")
    trigger = Trigger("webhook", (_rated("track", 100, 10, 1), added, _rated("track", 200)))
    assert webhook_rated(trigger) == [100, 200]
    assert webhook_rated(Trigger("poll")) == []


def test_the_scope_comes_from_the_library_not_the_webhook_s_parent_keys() -> None:
    # An event carrying only the item's own key reaches as far as one with its parents.
    alone = webhook_rated(Trigger("webhook", (_rated("track", 100),)))
    assert scope_of(alone, _library()) == {100, 101, 10, 1}


def test_a_poll_that_saw_tracks_alone_change_lists_no_artist_or_album() -> None:
    assert Trigger("poll", tracks_only=True).upper_hint() == frozenset()
    assert Trigger("poll").upper_hint() is None
    assert Trigger("sweep").upper_hint() is None
    assert Trigger("reconnect", (_rated("track", 100),)).upper_hint() is None
    webhook = Trigger("webhook", (_rated("album", 11, 1), _rated("track", 100)))
    assert webhook.upper_hint() == frozenset({11})
    added = Trigger("webhook", (_rated("album", 11, 1, event="library.new"),))
    assert added.upper_hint() is None
