"""Builders shared by the Plex adapter tests.

Everything here talks to a real emulator over HTTP; nothing stands in for the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from plexrate.emulator import Emulator, EmulatorLibrary
from plexrate.emulator.library import ItemKind
from plexrate.model import Change, ItemType, Phase
from plexrate.plex import PlexClient, RetryPolicy, connect
from plexrate.state import StateStore

TAG = "Rating_Inferred"
TWIN_TAG = "Rating_Twin"
KINDS: dict[ItemType, ItemKind] = {
    ItemType.ARTIST: "artist",
    ItemType.ALBUM: "album",
    ItemType.TRACK: "track",
}


class Sleeps:
    """A ``sleep`` that records the pauses asked for instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client_for(
    emu: Emulator,
    *,
    attempts: int = 4,
    timeout: float = 10.0,
    sleep: Sleeps | None = None,
) -> PlexClient:
    """A connected client whose retries never wait (the pauses are recorded in ``sleep``)."""
    return connect(
        url=emu.url,
        token=emu.token,
        library=emu.section_title,
        timeout=timeout,
        retry=RetryPolicy(attempts=attempts, base_delay=0.0, max_delay=0.0),
        sleep=sleep or Sleeps(),
    )


def open_store(path: Path, emu: Emulator) -> StateStore:
    return StateStore(
        path, library_uuid=emu.section_uuid, library_title=emu.section_title, command="test"
    )


def change(
    key: int,
    item_type: ItemType,
    *,
    after: float | None,
    before: float | None = None,
    add_tags: tuple[str, ...] = (TAG,),
    remove_tags: tuple[str, ...] = (),
    own: bool | None = True,
    set_rating: bool = True,
    phase: Phase = Phase.TRACK_DOWN,
    year: int | None = None,
) -> Change:
    return Change(
        key=key,
        item_type=item_type,
        title=f"item {key}",
        phase=phase,
        reason="test",
        before=before,
        after=after,
        set_rating=set_rating,
        add_tags=add_tags,
        remove_tags=remove_tags,
        own=own,
        year=year,
    )


def value_for(key: int, distinct: int = 5) -> float:
    """One of ``distinct`` half-star values, spread over the keys."""
    return 4.0 + (key % distinct)


def inference_plan(emu: Emulator, *, limit: int | None = None, distinct: int = 5) -> list[Change]:
    """Rate and tag every unrated item (tracks, then albums, then artists), as inference would."""
    ratings = emu.library.ratings()
    changes: list[Change] = []
    phases = {
        ItemType.TRACK: Phase.TRACK_DOWN,
        ItemType.ALBUM: Phase.ALBUM_UP,
        ItemType.ARTIST: Phase.ARTIST_UP,
    }
    for item_type in (ItemType.TRACK, ItemType.ALBUM, ItemType.ARTIST):
        for key in sorted(emu.library.keys(KINDS[item_type])):
            if ratings[key] is None:
                changes.append(
                    change(
                        key,
                        item_type,
                        after=value_for(key, distinct),
                        phase=phases[item_type],
                    )
                )
    return changes[:limit] if limit is not None else changes


def library_state(emu: Emulator, keys: Iterable[int] | None = None) -> dict[int, Any]:
    """Rating, moods and (albums) date of each item: what a write can change."""
    wanted = set(keys) if keys is not None else None
    out: dict[int, Any] = {}
    for section in emu.dump()["sections"]:
        for kind in ("artists", "albums", "tracks"):
            for item in section.get(kind, []):
                key = item["ratingKey"]
                if wanted is None or key in wanted:
                    out[key] = (
                        item.get("userRating"),
                        tuple(sorted(item.get("moods", []), key=str.casefold)),
                        item.get("originallyAvailableAt"),
                    )
    return out


def copy_library(library: EmulatorLibrary) -> EmulatorLibrary:
    return EmulatorLibrary.from_dict(library.to_dict())


def keys_of(changes: Sequence[Change]) -> set[int]:
    return {c.key for c in changes}
