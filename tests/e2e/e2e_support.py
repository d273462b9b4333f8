"""What the end-to-end tests share besides the harness (tests/support/cli.py): waiting for the
emulator, and the expected library.

``snapshot_from_dump`` builds the engine's view of a library straight from the
emulator's JSON dump, without plexrate's Plex adapter, so the expectation computed from it does
not share the adapter's mistakes. ``read_library`` reads every item back through unmodified
plexapi.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from plexrate.emulator import Emulator
from plexrate.engine import build_plan, simulate_apply
from plexrate.model import (
    INFERENCE_PHASES,
    Album,
    Artist,
    ItemType,
    LibrarySnapshot,
    OwnedItem,
    Phase,
    Plan,
    Track,
    normalise_rating,
)
from plexrate.settings import Settings

TAG = "Rating_Inferred"
# Plex keeps ratings to one decimal (docs/real-servers.md). Anything closer is the same value.
SAME = 0.005


# ------------------------------------------------------------------------------ the command line


def one_line(text: str) -> str:
    """Output as one line: rich wraps long messages at the console width."""
    return re.sub(r"\s+", " ", text)


def wait_for(condition: Callable[[], bool], *, timeout: float = 20) -> None:
    # Sleeping between polls leaves the GIL to the emulator's threads in this process.
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met after {timeout}s")
        time.sleep(0.005)


def wait_for_writes(emulator: Emulator, count: int, *, timeout: float = 20) -> None:
    """Until the emulator has answered ``count`` write requests."""
    wait_for(lambda: emulator.stats().writes >= count, timeout=timeout)


# ------------------------------------------------------------------------------ the expectation


def music_section(dump: Mapping[str, Any]) -> dict[str, Any]:
    sections = [s for s in dump["sections"] if s.get("type", "artist") == "artist"]
    section: dict[str, Any] = sections[0]
    return section


def snapshot_from_dump(dump: Mapping[str, Any], *, tags: Iterable[str] = (TAG,)) -> LibrarySnapshot:
    """The engine's view of the emulator's library, built from its JSON dump.

    The same fields plexrate's adapter reads from Plex's XML: ratings (0 = unrated), sort
    titles, critic ratings, track artists, durations, plays, skips and popularity, the Live and
    Compilation subformats and the members of ``tags`` (Plex compares mood names
    case-insensitively).
    """
    section = music_section(dump)
    artists: dict[int, Artist] = {}
    for raw in section["artists"]:
        artists[raw["ratingKey"]] = Artist(
            key=raw["ratingKey"],
            title=raw["title"],
            sort_title=raw.get("titleSort") or raw["title"],
            guid=raw.get("guid", ""),
            rating=normalise_rating(raw.get("userRating")),
            rated_at=raw.get("lastRatedAt"),
            genres=tuple(raw.get("genres", ())),
        )
    albums: dict[int, Album] = {}
    for raw in section["albums"]:
        artist = artists[raw["artist"]]
        albums[raw["ratingKey"]] = Album(
            key=raw["ratingKey"],
            title=raw["title"],
            sort_title=raw.get("titleSort") or raw["title"],
            artist_key=artist.key,
            artist_title=artist.title,
            guid=raw.get("guid", ""),
            rating=normalise_rating(raw.get("userRating")),
            rated_at=raw.get("lastRatedAt"),
            critic_rating=raw.get("rating"),
            year=raw.get("year"),
            genres=tuple(raw.get("genres", ())),
            live=any(s.casefold() == "live" for s in raw.get("subformats", ())),
            compilation=any(s.casefold() == "compilation" for s in raw.get("subformats", ())),
        )
    tracks: dict[int, Track] = {}
    for raw in section["tracks"]:
        album = albums[raw["album"]]
        tracks[raw["ratingKey"]] = Track(
            key=raw["ratingKey"],
            title=raw["title"],
            album_key=album.key,
            artist_key=album.artist_key,
            album_title=album.title,
            album_artist=album.artist_title,
            track_artist=raw.get("originalTitle") or None,
            duration_ms=raw.get("duration"),
            guid=raw.get("guid", ""),
            rating=normalise_rating(raw.get("userRating")),
            rated_at=raw.get("lastRatedAt"),
            index=raw.get("index"),
            disc=raw.get("parentIndex"),
            plays=raw.get("viewCount", 0),
            skips=raw.get("skipCount", 0),
            last_played=raw.get("lastViewedAt"),
            popularity=raw.get("ratingCount"),
        )
    tagged = {
        tag: frozenset(
            raw["ratingKey"]
            for kind in ("artists", "albums", "tracks")
            for raw in section[kind]
            if any(m.casefold() == tag.casefold() for m in raw.get("moods", ()))
        )
        for tag in tags
        if tag
    }
    return LibrarySnapshot(
        library_uuid=section["uuid"],
        section_id=section["key"],
        section_title=section["title"],
        artists=MappingProxyType(artists),
        albums=MappingProxyType(albums),
        tracks=MappingProxyType(tracks),
        tagged=MappingProxyType(tagged),
        server_name=dump.get("server", {}).get("friendlyName", ""),
    )


@dataclass
class Expected:
    plan: Plan
    after: LibrarySnapshot
    owned: dict[int, OwnedItem]


def expected_run(
    dump: Mapping[str, Any],
    *,
    owned: Mapping[int, OwnedItem] | None = None,
    settings: Settings | None = None,
    phases: tuple[Phase, ...] = INFERENCE_PHASES,
    start_letter: str | None = None,
) -> Expected:
    """What the engine says one run leaves in Plex and in the state, from the library as dumped."""
    settings = settings or Settings()
    snapshot = snapshot_from_dump(dump, tags=[settings.inferred_tag])
    claims = dict(owned or {})
    plan = build_plan(
        snapshot,
        owned=claims,
        config=settings.engine_config(),
        phases=phases,
        start_letter=start_letter,
    )
    after, now_owned = simulate_apply(snapshot, owned=claims, plan=plan)
    return Expected(plan=plan, after=after, owned=now_owned)


# ------------------------------------------------------------------------------ reading Plex back


@dataclass(frozen=True)
class Seen:
    item_type: ItemType
    rating: float | None
    tagged: bool


def read_library(emulator: Emulator, *, tag: str = TAG) -> dict[int, Seen]:
    """Every item's rating and whether it carries ``tag``, through unmodified plexapi.

    Listings carry no moods (as on real Plex), so tag membership comes from one filtered search
    per type, the way a Plex client has to learn it.
    """
    from plexapi.server import PlexServer

    plex = PlexServer(emulator.url, emulator.token, timeout=30)
    section = plex.library.section(emulator.section_title)
    seen: dict[int, Seen] = {}
    for item_type in ItemType:
        members = (
            {
                int(item.ratingKey)
                for item in section.search(
                    libtype=item_type.value, filters={"mood": tag}, container_size=1000
                )
            }
            if tag
            else set()
        )
        for item in section.search(libtype=item_type.value, container_size=1000):
            key = int(item.ratingKey)
            rating = item.userRating
            seen[key] = Seen(
                item_type=item_type,
                rating=None if rating is None else float(rating),
                tagged=key in members,
            )
    return seen


def moods(dump: Mapping[str, Any]) -> dict[int, tuple[str, ...]]:
    """Every item's moods as the dump shows them."""
    section = music_section(dump)
    return {
        raw["ratingKey"]: tuple(raw.get("moods", ()))
        for kind in ("artists", "albums", "tracks")
        for raw in section[kind]
    }


def ratings(dump: Mapping[str, Any]) -> dict[int, float | None]:
    section = music_section(dump)
    return {
        raw["ratingKey"]: normalise_rating(raw.get("userRating"))
        for kind in ("artists", "albums", "tracks")
        for raw in section[kind]
    }


def rating_differences(
    a: Mapping[int, float | None], b: Mapping[int, float | None], *, tolerance: float
) -> dict[int, tuple[float | None, float | None]]:
    """Keys whose values differ by more than ``tolerance`` (or where only one side is rated)."""
    out: dict[int, tuple[float | None, float | None]] = {}
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if (x is None) != (y is None) or (
            x is not None and y is not None and abs(x - y) > tolerance
        ):
            out[key] = (x, y)
    return out


def write_requests(emulator: Emulator) -> list[tuple[str, set[int]]]:
    """Each write request the emulator logged, with the keys it touched."""
    out: list[tuple[str, set[int]]] = []
    for record in emulator.requests():
        if record.method == "PUT" or record.path == "/:/rate":
            ids = record.param("id") or record.param("key") or ""
            out.append((record.path, {int(k) for k in ids.split(",") if k}))
    return out


def item_kinds(dump: Mapping[str, Any]) -> dict[int, ItemType]:
    section = music_section(dump)
    return {
        raw["ratingKey"]: item_type
        for item_type, kind in (
            (ItemType.ARTIST, "artists"),
            (ItemType.ALBUM, "albums"),
            (ItemType.TRACK, "tracks"),
        )
        for raw in section[kind]
    }
