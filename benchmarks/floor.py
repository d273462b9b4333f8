"""The floor: the least time the emulator's cost model allows for a given result.

The result is what changed in the library, read from two emulator dumps (before and after the
command). The floor charges, at the model's prices:

- reads: one listing of every item (``per_item`` each), in pages of the largest size plexrate's
  settings allow (``PAGE_SIZE_MAX``, ``per_request`` each);
- writes: every rating that changed (``per_rating``) and every mood added or removed
  (``per_tag``): the unavoidable per-item costs;
- one multi-edit request (``per_request``) per distinct (type, new rating, moods added, moods
  removed) group of changed items, split only where the emulator's 64 KiB request line forces it.

Nothing is charged for connecting, counting, filter lookups, verification reads or any client work,
so no client can beat it against this emulator; ``ratio = wall / floor`` says how far one is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from plexrate.emulator.latency import LatencyModel

PAGE_SIZE_MAX = 1_000
"""The largest page a real Plex server serves, and so the largest PAGE_SIZE plexrate accepts
(docs/real-servers.md, "Page size")."""
REQUEST_LINE_MAX = 65_536
"""http.server refuses longer request lines (414): the emulator's request-size limit."""
PLEX_TYPES = {"artist": 8, "album": 9, "track": 10}
KINDS = ("artist", "album", "track")

GroupKey = tuple[str, bool, float | None, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ItemState:
    kind: str
    rating: float | None
    moods: frozenset[str]
    """Case-folded, as Plex matches tags."""
    mood_names: tuple[str, ...]


def music_section(dump: Mapping[str, Any]) -> Mapping[str, Any]:
    for section in dump["sections"]:
        if section.get("type", "artist") == "artist":
            return section  # type: ignore[no-any-return]
    raise ValueError("the dump has no music section")


def library_state(dump: Mapping[str, Any]) -> dict[int, ItemState]:
    """Rating and moods of every item of the dump's music section, by ratingKey."""
    section = music_section(dump)
    state: dict[int, ItemState] = {}
    for kind in KINDS:
        for item in section.get(kind + "s", ()):
            moods = tuple(item.get("moods", ()))
            rating = item.get("userRating")
            state[int(item["ratingKey"])] = ItemState(
                kind=kind,
                rating=None if rating is None else float(rating),
                moods=frozenset(m.casefold() for m in moods),
                mood_names=moods,
            )
    return state


def counts(dump: Mapping[str, Any]) -> dict[str, int]:
    section = music_section(dump)
    return {kind: len(section.get(kind + "s", ())) for kind in KINDS}


@dataclass
class Difference:
    """What a command changed: the result every client must produce."""

    ratings: int = 0
    """Items whose rating changed (set, changed or cleared)."""
    tags_added: int = 0
    tags_removed: int = 0
    items: int = 0
    groups: dict[GroupKey, list[int]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def tags(self) -> int:
        return self.tags_added + self.tags_removed


# Plex stores floats; plexrate treats values within this distance as the same rating.
SAME = 0.005


def ratings_differ(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > SAME


def difference(before: Mapping[int, ItemState], after: Mapping[int, ItemState]) -> Difference:
    diff = Difference()
    for key, old in before.items():
        new = after.get(key)
        if new is None:
            continue
        rating_changed = ratings_differ(old.rating, new.rating)
        added = tuple(sorted(m for m in new.moods - old.moods))
        removed = tuple(sorted(m for m in old.moods - new.moods))
        if not (rating_changed or added or removed):
            continue
        diff.items += 1
        diff.by_kind[old.kind] = diff.by_kind.get(old.kind, 0) + 1
        diff.ratings += rating_changed
        diff.tags_added += len(added)
        diff.tags_removed += len(removed)
        value = round(new.rating, 4) if rating_changed and new.rating is not None else None
        group: GroupKey = (old.kind, rating_changed, value, added, removed)
        diff.groups.setdefault(group, []).append(key)
    return diff


def same_result(
    expected: Mapping[int, ItemState], actual: Mapping[int, ItemState]
) -> tuple[bool, list[str]]:
    """Whether two libraries carry the same ratings and moods; a few differences as examples."""
    problems: list[str] = []
    for key, want in expected.items():
        got = actual.get(key)
        if got is None:
            problems.append(f"{key}: missing")
            continue
        if ratings_differ(want.rating, got.rating):
            problems.append(f"{want.kind} {key}: rating {got.rating} instead of {want.rating}")
        if want.moods != got.moods:
            problems.append(
                f"{want.kind} {key}: moods {sorted(got.moods)}, not {sorted(want.moods)}"
            )
    return (not problems, problems[:10])


def _edit_line(section_id: int, group: GroupKey, keys: Iterable[int]) -> int:
    """Length of the request line of the smallest multi-edit that writes ``group``."""
    kind, rating_changed, value, added, removed = group
    args: dict[str, str] = {
        "id": ",".join(str(k) for k in keys),
        "type": str(PLEX_TYPES[kind]),
    }
    if rating_changed:
        args["userRating.value"] = "" if value is None else str(value)
    for i, tag in enumerate(added):
        args[f"mood[{i}].tag.tag"] = tag
    if removed:
        args["mood[].tag.tag-"] = ",".join(quote(t, safe="") for t in removed)
    query = "&".join(f"{quote(k, safe='.')}={quote(v, safe='')}" for k, v in args.items())
    return len(f"PUT /library/sections/{section_id}/all?{query} HTTP/1.1\r\n")


def split_group(section_id: int, group: GroupKey, keys: list[int]) -> int:
    """How many requests ``keys`` need when each carries as many ids as the line limit allows."""
    empty = _edit_line(section_id, group, [])
    budget = REQUEST_LINE_MAX - empty
    requests, used = 1, 0
    for key in keys:
        cost = len(str(key)) + 3  # the id and its encoded comma
        if used + cost > budget:
            requests += 1
            used = 0
        used += cost
    return requests


@dataclass(frozen=True)
class Floor:
    read_requests: int
    read_items: int
    write_requests: int
    ratings: int
    tags: int
    seconds: float
    parts: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "read_requests": self.read_requests,
            "read_items": self.read_items,
            "write_requests": self.write_requests,
            "ratings": self.ratings,
            "tags": self.tags,
            "seconds": round(self.seconds, 3),
            "parts": {k: round(v, 3) for k, v in self.parts.items()},
        }


def floor(
    *,
    item_counts: Mapping[str, int],
    diff: Difference,
    model: LatencyModel,
    section_id: int = 3,
    page_size: int = PAGE_SIZE_MAX,
) -> Floor:
    """The least modeled time for reading ``item_counts`` items and producing ``diff``."""
    read_requests = sum(max(1, math.ceil(n / page_size)) for n in item_counts.values())
    read_items = sum(item_counts.values())
    write_requests = sum(split_group(section_id, g, keys) for g, keys in diff.groups.items())
    scale = model.scale
    parts = {
        "requests": model.per_request * (read_requests + write_requests) * scale,
        "items_read": model.per_item * read_items * scale,
        "ratings": model.per_rating * diff.ratings * scale,
        "tags": model.per_tag * diff.tags * scale,
    }
    return Floor(
        read_requests=read_requests,
        read_items=read_items,
        write_requests=write_requests,
        ratings=diff.ratings,
        tags=diff.tags,
        seconds=sum(parts.values()),
        parts=parts,
    )
