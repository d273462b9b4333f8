"""Read chosen items back from Plex: to verify writes and to reconcile unconfirmed intents."""

from __future__ import annotations

from collections.abc import Iterable

from plexapi.exceptions import NotFound

from plexrate.model import ItemType, ObservedItem, normalise_rating
from plexrate.plex.client import PlexClient

# Each key costs about 7 URL characters; 200 keeps the request line far below common limits.
READBACK_CHUNK = 200
_TYPES = frozenset(t.value for t in ItemType)


def read_items(client: PlexClient, keys: Iterable[int]) -> dict[int, ObservedItem]:
    """Current rating and moods of each key; keys Plex no longer has are absent from the result.

    Uses ``/library/metadata/k1,k2,…`` (one request per chunk); detail responses carry the Mood
    children that listings leave out (plex-api.md §5).
    """
    ordered = sorted(set(keys))
    found: dict[int, ObservedItem] = {}
    for start in range(0, len(ordered), READBACK_CHUNK):
        chunk = ordered[start : start + READBACK_CHUNK]
        path = "/library/metadata/" + ",".join(str(k) for k in chunk)
        try:
            container = client.read(path, kind="readback")
        except NotFound:  # every key of the chunk is gone
            continue
        for element in container:
            raw_key = element.get("ratingKey")
            if raw_key is None:
                continue
            raw_type = element.get("type") or ""
            item_type = ItemType(raw_type) if raw_type in _TYPES else None
            rating = element.get("userRating")
            found[int(raw_key)] = ObservedItem(
                key=int(raw_key),
                item_type=item_type,
                rating=normalise_rating(float(rating)) if rating else None,
                tags=frozenset(m.get("tag", "") for m in element.iter("Mood")),
            )
    return found
