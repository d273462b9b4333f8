"""The library and ownership as they would be once a plan landed exactly (pure, no I/O).

Property tests use it to check that a second run plans nothing; the demo and ``evaluate`` use it
to look at a library after a run without a server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from plexrate.model import (
    Album,
    Artist,
    Change,
    ItemType,
    LibrarySnapshot,
    OwnedItem,
    Plan,
    Track,
    normalise_rating,
)


def simulate_apply(
    snapshot: LibrarySnapshot, *, owned: Mapping[int, OwnedItem], plan: Plan
) -> tuple[LibrarySnapshot, dict[int, OwnedItem]]:
    """Apply ``plan`` to copies of ``snapshot`` and ``owned``; the inputs are left as they are.

    Ratings follow ``set_rating``/``after`` (a stored 0 reads back as unrated, as in Plex), tags
    are added and removed case-insensitively, and ownership follows ``own``: True records the
    value now in Plex, False drops the claim, None updates the value of an item already owned.
    """
    artists: dict[int, Artist] = dict(snapshot.artists)
    albums: dict[int, Album] = dict(snapshot.albums)
    tracks: dict[int, Track] = dict(snapshot.tracks)
    tagged: dict[str, set[int]] = {name: set(keys) for name, keys in snapshot.tagged.items()}
    claims = dict(owned)

    for change in plan.changes:
        rating = _apply_rating(change, artists, albums, tracks)
        for tag in change.add_tags:
            tagged.setdefault(_tag_name(tagged, tag), set()).add(change.key)
        for tag in change.remove_tags:
            for name, keys in tagged.items():
                if name.casefold() == tag.casefold():
                    keys.discard(change.key)
        _apply_ownership(change, rating, claims)

    after = dataclasses.replace(
        snapshot,
        artists=MappingProxyType(artists),
        albums=MappingProxyType(albums),
        tracks=MappingProxyType(tracks),
        tagged=MappingProxyType({name: frozenset(keys) for name, keys in tagged.items()}),
    )
    return after, claims


def _apply_rating(
    change: Change,
    artists: dict[int, Artist],
    albums: dict[int, Album],
    tracks: dict[int, Track],
) -> float | None:
    """Set the item's rating if the change says so; return the rating it has afterwards."""
    items: dict[int, Artist] | dict[int, Album] | dict[int, Track]
    if change.item_type is ItemType.ARTIST:
        items = artists
    elif change.item_type is ItemType.ALBUM:
        items = albums
    else:
        items = tracks
    item = items.get(change.key)
    if item is None:
        raise ValueError(f"the plan changes item {change.key}, which is not in the library")
    if not change.set_rating:
        return item.rating
    rating = normalise_rating(change.after)
    items[change.key] = dataclasses.replace(item, rating=rating)  # type: ignore[assignment]
    return rating


def _tag_name(tagged: Mapping[str, set[int]], tag: str) -> str:
    """The spelling already in use for ``tag``, since Plex matches mood names case-insensitively."""
    for name in tagged:
        if name.casefold() == tag.casefold():
            return name
    return tag


def _apply_ownership(change: Change, rating: float | None, claims: dict[int, OwnedItem]) -> None:
    previous = claims.get(change.key)
    if change.own is False:
        claims.pop(change.key, None)
        return
    if change.own is None:
        if previous is not None and change.set_rating:
            if rating is None:
                claims.pop(change.key, None)
            else:
                claims[change.key] = dataclasses.replace(previous, value=rating)
        return
    value = rating if rating is not None else (previous.value if previous else None)
    if value is None:
        claims.pop(change.key, None)
        return
    claims[change.key] = OwnedItem(
        key=change.key,
        item_type=change.item_type,
        value=value,
        guid=change.guid,
        phase=change.phase.value,
        twin=change.twin,
    )
