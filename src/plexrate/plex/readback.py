"""Read chosen items back from Plex: to verify writes and to reconcile unconfirmed intents."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from plexapi.exceptions import NotFound

from plexrate.errors import PlexError, PlexUnreachable
from plexrate.model import ItemType, ObservedItem, normalise_rating
from plexrate.plex.client import PlexClient

log = logging.getLogger(__name__)

# Each key costs about 7 URL characters; 200 keeps the request line far below common limits.
READBACK_CHUNK = 200
_TYPES = frozenset(t.value for t in ItemType)


@dataclass(slots=True)
class ReadBack:
    """What Plex holds for the keys asked about.

    ``found`` are the items Plex returned. ``gone`` are keys Plex answered 404 for when asked
    one by one: deleted (or re-matched under a new key). ``unknown`` are keys whose fate could
    not be learned (Plex refused the single read): neither present nor gone, so a caller must
    not treat them as deleted.
    """

    found: dict[int, ObservedItem] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    unknown: set[int] = field(default_factory=set)

    def get(self, key: int) -> ObservedItem | None:
        return self.found.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.found

    def __getitem__(self, key: int) -> ObservedItem:
        return self.found[key]


def read_items(client: PlexClient, keys: Iterable[int]) -> ReadBack:
    """Current rating and moods of each key, with each missing key confirmed gone or unknown.

    Uses ``/library/metadata/k1,k2,…`` (one request per chunk, with a page size, following
    ``totalSize``: real servers may page the answer, docs/real-servers.md); detail answers carry
    the Mood children that listings leave out (plex-api.md §5). A key missing from a multi-id
    answer is not taken as deleted until a read of that key alone answers 404, because a server
    may leave items out of a multi-id answer for other reasons (paging, permissions).
    """
    ordered = sorted(set(keys))
    result = ReadBack()
    missing: list[int] = []
    for start in range(0, len(ordered), READBACK_CHUNK):
        chunk = ordered[start : start + READBACK_CHUNK]
        found = _read_chunk(client, chunk)
        result.found.update(found)
        missing.extend(k for k in chunk if k not in found)
    for key in missing:
        try:
            found = _read_chunk(client, [key])
        except NotFound:
            result.gone.add(key)
            continue
        except PlexUnreachable:
            raise
        except PlexError as exc:
            log.warning("could not read item %s back: %s", key, exc)
            result.unknown.add(key)
            continue
        if key in found:
            result.found[key] = found[key]
        else:
            result.unknown.add(key)
    return result


def _read_chunk(client: PlexClient, chunk: list[int]) -> dict[int, ObservedItem]:
    """One multi-id read, page by page; a 404 for a multi-id chunk means none of them exists."""
    path = "/library/metadata/" + ",".join(str(k) for k in chunk)
    found: dict[int, ObservedItem] = {}
    start = 0
    while True:
        try:
            container = client.read(path, kind="readback", start=start, size=len(chunk))
        except NotFound:
            if len(chunk) == 1 or start:
                raise
            return found
        elements = [e for e in container if e.get("ratingKey") is not None]
        for element in elements:
            observed = _observed(element)
            found[observed.key] = observed
        start += len(elements)
        total = _int(container.get("totalSize"))
        if not elements or total is None or start >= total:
            return found


def _observed(element: Element) -> ObservedItem:
    raw_type = element.get("type") or ""
    rating = element.get("userRating")
    return ObservedItem(
        key=int(element.get("ratingKey", "0")),
        item_type=ItemType(raw_type) if raw_type in _TYPES else None,
        rating=normalise_rating(float(rating)) if rating else None,
        tags=frozenset(m.get("tag", "") for m in element.iter("Mood")),
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
