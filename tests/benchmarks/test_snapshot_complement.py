"""The snapshot learns a tag carried by most items from the items *without* it: the same
answer as the tagged listing, for fewer items read (a no-op rerun's largest saving)."""

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


def test_a_tag_on_most_items_is_read_through_its_complement(
    emulator_factory: Factory,
) -> None:
    library, tagged = _library(tracks=1500, share=0.85)
    emu = emulator_factory(library)
    client = _client(emu)
    page = 20
    emu.reset_stats()
    snapshot = read_snapshot(client, tags=(TAG,), page_size=page)
    assert snapshot.tagged[TAG] == tagged
    positive, negative = _filtered_items(emu)
    untagged = 0
    for item_type in ItemType:
        keys = set(snapshot.items(item_type))
        assert len(keys & tagged) > page  # so every type takes the complement
        untagged += len(keys - tagged)
    # Only the first page of each tagged listing, then the untagged remainder.
    assert positive == 3 * page
    assert negative == untagged
    assert positive + negative < len(tagged) / 3


def test_a_tag_on_few_items_is_read_directly(emulator_factory: Factory) -> None:
    library, tagged = _library(tracks=1500, share=0.2)
    emu = emulator_factory(library)
    client = _client(emu)
    emu.reset_stats()
    snapshot = read_snapshot(client, tags=(TAG,), page_size=200)
    assert snapshot.tagged[TAG] == tagged
    assert _filtered_items(emu) == (len(tagged), 0)


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
