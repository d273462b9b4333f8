"""The snapshot lists each type as the items carrying plexrate's tag and those without it, so
every item is listed once; a tag of its own listing (the twin tag) on most items is read through
its complement. Both save a later run's snapshot a second listing of most of the library."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.model import ItemType
from plexrate.plex import connect, read_snapshot
from plexrate.plex.client import PlexClient
from plexrate.plex.snapshot import tagged_keys

Factory = Callable[..., Emulator]
TAG = "Rating_Inferred"


def _library(*, tracks: int, share: float, seed: int = 3) -> tuple[EmulatorLibrary, set[int]]:
    """A generated library where ``share`` of every type carries TAG (with its other moods)."""
    data = generate_library(tracks=tracks, seed=seed).to_dict()
    music = next(s for s in data["sections"] if s.get("type", "artist") == "artist")
    rng = random.Random(seed)
    tagged: set[int] = set()
    for plural in ("artists", "albums", "tracks"):
        for item in music[plural]:
            if rng.random() < share:
                item["moods"] = [*item.get("moods", []), TAG]
                tagged.add(item["ratingKey"])
    return EmulatorLibrary.from_dict(data), tagged


def _client(emu: Emulator) -> PlexClient:
    return connect(url=emu.url, token=emu.token, library=emu.section_title)


def _filtered_items(emu: Emulator) -> tuple[int, int]:
    """Items returned by listings filtered on the tag, and by ones negating it."""
    positive = negative = 0
    for record in emu.requests():
        keys = [k for k, _ in record.query]
        if any(k.endswith(".mood") for k in keys):
            positive += record.items
        if any(k.endswith(".mood!") for k in keys):
            negative += record.items
    return positive, negative


@pytest.mark.parametrize("share", [0.2, 0.85])
def test_each_item_is_listed_once_split_by_the_tag(emulator_factory: Factory, share: float) -> None:
    library, tagged = _library(tracks=1500, share=share)
    emu = emulator_factory(library)
    client = _client(emu)
    emu.reset_stats()
    snapshot = read_snapshot(client, tags=(TAG,), page_size=200)
    assert snapshot.tagged[TAG] == tagged
    everything = sum(len(snapshot.items(item_type)) for item_type in ItemType)
    positive, negative = _filtered_items(emu)
    assert positive == len(tagged)
    assert negative == everything - len(tagged)
    # No unfiltered listing: the two halves are the whole library (the Live albums aside).
    unfiltered = [
        r
        for r in emu.requests()
        if r.path.endswith("/all") and r.items and not any("." in k for k, _ in r.query)
    ]
    assert unfiltered == []


def test_halves_are_put_back_in_the_servers_order(emulator_factory: Factory) -> None:
    library, _ = _library(tracks=1200, share=0.6)
    emu = emulator_factory(library)
    snapshot = read_snapshot(_client(emu), tags=(TAG,), page_size=150)
    music = next(s for s in emu.dump()["sections"] if s.get("type", "artist") == "artist")
    # The emulator lists in Plex's default order; exports and lists follow the snapshot's.
    for item_type in ItemType:
        listed = [item["ratingKey"] for item in music[item_type.plural]]
        assert list(snapshot.items(item_type)) == listed


def test_halves_that_do_not_add_up_fall_back_to_the_whole_listing(
    emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    library, tagged = _library(tracks=800, share=0.9)
    emu = emulator_factory(library)
    client = _client(emu)
    expected = read_snapshot(client, tags=(TAG,), page_size=100)
    # One item more in the count than in the two halves: what a track added between the count
    # and the listings, or a server whose negated filter skips untagged items, looks like.
    count = client.count
    monkeypatch.setattr(client, "count", lambda item_type: count(item_type) + 1)
    emu.reset_stats()
    snapshot = read_snapshot(client, tags=(TAG,), page_size=100)
    assert snapshot == expected
    assert snapshot.tagged[TAG] == tagged
    positive, negative = _filtered_items(emu)
    everything = sum(len(snapshot.items(item_type)) for item_type in ItemType)
    # Both halves were read, then the whole listing and the tagged listing again.
    assert positive == 2 * len(tagged)
    assert negative == everything - len(tagged)


def test_listings_that_do_not_add_up_fall_back_to_the_tagged_listing(
    emulator_factory: Factory,
) -> None:
    library, tagged = _library(tracks=800, share=0.9)
    emu = emulator_factory(library)
    client = _client(emu)
    listed = set(emu.library.keys("track"))
    tracks = tagged & listed
    # A track the server does not have: what a library changing between two listings looks
    # like to the client. The complement no longer partitions what was listed.
    emu.reset_stats()
    found = tagged_keys(
        client,
        field="mood",
        name=TAG,
        item_type=ItemType.TRACK,
        page_size=100,
        universe=listed | {999_999_999},
    )
    assert found == tracks
    positive, negative = _filtered_items(emu)
    assert positive == len(tracks)  # read to the end after the check failed
    assert negative == len(listed) - len(tracks)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_all_or_nothing(emulator_factory: Factory, share: float) -> None:
    library, tagged = _library(tracks=600, share=share)
    emu = emulator_factory(library)
    snapshot = read_snapshot(_client(emu), tags=(TAG,), page_size=100)
    assert snapshot.tagged[TAG] == tagged
