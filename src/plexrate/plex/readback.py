"""Read chosen items back from Plex: to verify writes and to reconcile unconfirmed intents."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from plexapi.exceptions import NotFound

from plexrate.errors import PlexError, PlexUnreachable
from plexrate.model import ItemType, ObservedItem, check_rating, normalise_rating
from plexrate.plex.client import PlexClient
from plexrate.plex.snapshot import iter_listing
from plexrate.settings import MAX_PAGE_SIZE

log = logging.getLogger(__name__)

# Each key costs about 7 URL characters; 200 keeps the request line far below common limits.
READBACK_CHUNK = 200
_TYPES = frozenset(t.value for t in ItemType)


@dataclass(slots=True)
class ReadBack:
    """What Plex holds for the keys asked about.

    ``found`` are the items Plex returned. ``gone`` are keys Plex answered 404 for when asked
    one by one: deleted (or re-matched under a new key). ``unknown`` are keys whose fate could
    not be learned (Plex refused the single read, or sent a value that cannot be a rating):
    neither present nor gone, so a caller must not treat them as deleted. ``invalid`` says, for
    the keys whose values could not be trusted, what was wrong (those keys are in ``unknown``).
    """

    found: dict[int, ObservedItem] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    unknown: set[int] = field(default_factory=set)
    invalid: dict[int, str] = field(default_factory=dict)

    def get(self, key: int) -> ObservedItem | None:
        return self.found.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.found

    def __getitem__(self, key: int) -> ObservedItem:
        return self.found[key]


def read_items(
    client: PlexClient,
    keys: Iterable[int],
    *,
    chunk_size: int = READBACK_CHUNK,
    kind: str = "readback",
) -> ReadBack:
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
    # Never above the largest page a real server serves (docs/real-servers.md, "Page size").
    step = max(1, min(chunk_size, MAX_PAGE_SIZE))
    for start in range(0, len(ordered), step):
        chunk = ordered[start : start + step]
        found = _read_chunk(client, chunk, result.invalid, kind=kind)
        result.found.update(found)
        missing.extend(k for k in chunk if k not in found and k not in result.invalid)
    result.unknown.update(result.invalid)
    for key in missing:
        try:
            found = _read_chunk(client, [key], result.invalid, kind=kind)
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
    for key, problem in result.invalid.items():
        log.warning("item %s read back with %s; its fate stays unknown", key, problem)
    return result


def _read_chunk(
    client: PlexClient, chunk: list[int], invalid: dict[int, str], *, kind: str = "readback"
) -> dict[int, ObservedItem]:
    """One multi-id read, page by page; a 404 for a multi-id chunk means none of them exists.

    Items with values that cannot be ratings go to ``invalid`` (key → problem), not the result.
    """
    path = "/library/metadata/" + ",".join(str(k) for k in chunk)
    found: dict[int, ObservedItem] = {}
    start = 0
    while True:
        try:
            container = client.read(path, kind=kind, start=start, size=len(chunk))
        except NotFound:
            if len(chunk) == 1 or start:
                raise
            return found
        elements = [e for e in container if e.get("ratingKey") is not None]
        for element in elements:
            key = _int(element.get("ratingKey"))
            if key is None:
                continue
            try:
                observed = _observed(element, key)
            except ValueError as exc:
                invalid[key] = str(exc)
                continue
            found[observed.key] = observed
        start += len(elements)
        total = _int(container.get("totalSize"))
        if not elements or total is None or start >= total:
            return found


def _observed(element: Element, key: int) -> ObservedItem:
    """The item as read back; ValueError when its userRating cannot be a rating (never taken
    for the value a write left, nor for the person's change)."""
    raw_type = element.get("type") or ""
    return ObservedItem(
        key=key,
        item_type=ItemType(raw_type) if raw_type in _TYPES else None,
        rating=normalise_rating(check_rating(element.get("userRating"))),
        tags=frozenset(m.get("tag", "") for m in element.iter("Mood")),
        locked=frozenset(
            f.get("name", "") for f in element.iter("Field") if f.get("locked") in ("1", "true")
        ),
        rated_at=_int(element.get("lastRatedAt")),
    )


def _int(value: str | None) -> int | None:
    if not value or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def rated_since(client: PlexClient, since: int, *, page_size: int) -> dict[int, int]:
    """Every track whose ``lastRatedAt`` is after ``since`` (epoch seconds, the server's clock):
    key → lastRatedAt. One filtered listing (``track.lastRatedAt>>=``), so asking costs one
    request whatever the library's size.

    Tracks only: ``track.lastRatedAt`` is the one rating date a real server lists as a filter
    (its ``/library/sections/{id}/all?includeMeta=1`` answer; docs/real-servers.md, "Filter and
    sort fields"), and a server refuses a filter it does not list with 400. Albums and artists
    rated meanwhile are still protected by the check before each write.
    """
    found: dict[int, int] = {}
    params: dict[str, str | int] = {"track.lastRatedAt>>": since}
    for _, element in iter_listing(client, ItemType.TRACK, page_size=page_size, params=params):
        key = _int(element.get("ratingKey"))
        stamp = _int(element.get("lastRatedAt"))
        if key is not None and stamp is not None and stamp > since:
            found[key] = stamp
    return found
