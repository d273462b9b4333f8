"""The idle probe of ``watch`` without webhooks: has anything changed that a cycle should read?

A cycle reads the library by its changes (``incremental.read_library``: artists and albums whole,
the tracks listed since the marks, three counts; about 25 requests on any library). Polling every
minute that way would cost 36,000 requests a day for nothing, so each poll asks three questions
instead, each answered by one request with one item or none in it (docs/real-servers.md, "Filter
and sort fields", for the fields a real server offers):

1. the rated tracks, newest ``lastRatedAt`` first, one of them: how many are rated, and the
   newest rating (key, time, value). A track rated or re-rated moves one of these; a rating
   cleared lowers the count.
2. every track, newest ``lastViewedAt`` first, one of them: how many tracks there are (added or
   deleted ones), and the newest play (plays feed the inferred ratings of unrated tracks).
3. the rated albums, as a count: an album the person rated.

What no probe sees: a skip, an album whose rating the person changed (albums have no
``lastRatedAt``), a re-match in Plex, a rating another tool set through the edit form. Those
wait for the next cycle something else starts, or come as webhooks (``--webhook``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from plexrate.errors import PlexError
from plexrate.model import ItemType
from plexrate.plex.client import PlexClient, connect_with
from plexrate.settings import Settings
from plexrate.watch.events import Scope

REQUESTS_PER_PROBE = 3


@dataclass(frozen=True, slots=True)
class Newest:
    key: str | None
    at: str | None
    value: str | None


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What one probe saw; two probes that differ mean the library changed in between."""

    rated_tracks: int
    newest_rating: Newest
    tracks: int
    newest_play: Newest
    rated_albums: int


def _total(container: Element, what: str, client: PlexClient) -> int:
    raw = container.get("totalSize")
    if raw is None or not raw.isdigit():
        raise PlexError(f"the Plex server at {client.url} answered a {what} without a totalSize")
    return int(raw)


def _listing(
    client: PlexClient, item_type: ItemType, *, kind: str, params: Mapping[str, str | int]
) -> Element:
    return client.read(
        f"/library/sections/{client.section.id}/all",
        kind=kind,
        params={"type": item_type.plex_type, **params},
    )


def _newest(container: Element, stamp: str, value: str) -> Newest:
    first = next(iter(container), None)
    if first is None:
        return Newest(None, None, None)
    return Newest(first.get("ratingKey"), first.get(stamp), first.get(value))


def probe(client: PlexClient) -> Fingerprint:
    """Three requests; raises ``PlexError`` (``PlexUnreachable`` when Plex is away)."""
    rated = _listing(
        client,
        ItemType.TRACK,
        kind="watch-probe-rated",
        params={
            "track.userRating>>": 0,
            "sort": "lastRatedAt:desc",
            "X-Plex-Container-Start": 0,
            "X-Plex-Container-Size": 1,
        },
    )
    played = _listing(
        client,
        ItemType.TRACK,
        kind="watch-probe-played",
        params={
            "sort": "lastViewedAt:desc",
            "X-Plex-Container-Start": 0,
            "X-Plex-Container-Size": 1,
        },
    )
    albums = _listing(
        client,
        ItemType.ALBUM,
        kind="watch-probe-albums",
        params={
            "album.userRating>>": 0,
            "X-Plex-Container-Start": 0,
            "X-Plex-Container-Size": 0,
        },
    )
    return Fingerprint(
        rated_tracks=_total(rated, "count of rated tracks", client),
        newest_rating=_newest(rated, "lastRatedAt", "userRating"),
        tracks=_total(played, "count of tracks", client),
        newest_play=_newest(played, "lastViewedAt", "viewCount"),
        rated_albums=_total(albums, "count of rated albums", client),
    )


class Connection:
    """The connection polls go through, kept between them (connecting costs two requests) and
    made again after Plex went away."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: PlexClient | None = None

    def connect(self) -> Scope:
        """Connect (raising what ``connect_with`` raises) and say what webhooks to accept."""
        self._client = None
        client = connect_with(self._settings)
        self._client = client
        return Scope(server_uuid=client.machine_id, section_id=client.section.id)

    def probe(self) -> Fingerprint:
        if self._client is None:
            self.connect()
        assert self._client is not None
        return probe(self._client)
