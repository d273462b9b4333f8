"""What ``plexrate doctor`` asks a server: small, bounded requests that learn how it behaves.

Reads only, except ``probe_rating_writes``, which rates one unrated track in both write forms
and leaves it unrated again (the caller asks the person first). Each check's evidence and what it
decides is in docs/real-servers.md.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Collection
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from plexrate.errors import EditNotAllowed, PlexAuthError, PlexError
from plexrate.model import ItemType, check_rating
from plexrate.plex.client import PlexClient

PAGE_SIZES = (1000, 500, 200, 100, 50)
"""Page sizes tried, largest first: plexrate never asks for more than 1000 (docs/real-servers.md,
"Page size")."""
PROBE_VALUE = 6.58
"""Written by the write probe: a second decimal shows whether the server keeps it."""
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"


def owner_account(client: PlexClient) -> tuple[bool | None, str]:
    """Whether the token is the server owner's (admin) token, and the owner's account name.

    ``GET /accounts`` lists the server's accounts to an admin token and answers 401 to a shared
    or managed user's (home-assistant/core's Plex integration treats that 401 as "limited
    permissions"; account 1 is the owner). None when the server answers neither way.
    """
    try:
        container = client.read("/accounts", kind="accounts")
    except PlexAuthError:
        return False, ""
    except PlexError:
        return None, ""
    owner = next((a.get("name") or "" for a in container if a.get("id") == "1"), "")
    return True, owner


def largest_page(client: PlexClient, *, beyond: int) -> int | None:
    """The largest page of ``PAGE_SIZES`` a section listing accepts, or None.

    Asked for from item ``beyond`` (the number of tracks), so every answer is empty however large
    the page: the server checks the size header without sending items.
    """
    for size in PAGE_SIZES:
        try:
            client.read(
                f"/library/sections/{client.section.id}/all",
                kind="page-size",
                params={"type": ItemType.TRACK.plex_type},
                start=beyond,
                size=size,
            )
        except PlexAuthError:
            raise
        except PlexError:
            continue
        return size
    return None


def idle_response_ms(client: PlexClient, *, samples: int = 5) -> float:
    """The median time of ``GET /identity`` (the smallest answer), in milliseconds."""
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        client.read("/identity", kind="identity")
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


@dataclass(frozen=True, slots=True)
class ProbeTrack:
    key: int
    title: str
    locked: bool
    """``userRating`` was locked before the probe (restored as it was)."""


def find_unrated_track(
    client: PlexClient, *, avoid: Collection[int], pages: int = 5
) -> ProbeTrack | None:
    """An unrated track plexrate does not own (``avoid``), from the first ``pages`` pages."""
    start = 0
    for _ in range(pages):
        container = client.read(
            f"/library/sections/{client.section.id}/all",
            kind="probe-find",
            params={"type": ItemType.TRACK.plex_type},
            start=start,
        )
        items = [e for e in container if e.get("type") == "track"]
        for element in items:
            raw = element.get("ratingKey") or ""
            if raw.isdigit() and not element.get("userRating") and int(raw) not in avoid:
                key = int(raw)
                return ProbeTrack(key, element.get("title", ""), _locked(client, key))
        start += len(items)
        if not items:
            return None
    return None


def _detail(client: PlexClient, key: int) -> Element | None:
    container = client.read(f"/library/metadata/{key}", kind="probe-read", size=1)
    return next((e for e in container if e.get("ratingKey") == str(key)), None)


def _locked(client: PlexClient, key: int) -> bool:
    element = _detail(client, key)
    if element is None:
        return False
    return any(
        f.get("name") == "userRating" and f.get("locked") == "1" for f in element.iter("Field")
    )


def _rating(client: PlexClient, key: int) -> float | None:
    element = _detail(client, key)
    if element is None:
        raise PlexError(f"track {key} vanished during the probe")
    return check_rating(element.get("userRating"))


@dataclass(frozen=True, slots=True)
class WriteProbe:
    may_edit: bool
    edit_stores: bool | None
    """The edit form (``userRating.value``) stored the value; None when edits are refused."""
    rate_stores: bool
    stored: float | None
    """What the server held after ``PROBE_VALUE`` was written (by whichever form stored it)."""
    left_unrated: bool


def probe_rating_writes(client: PlexClient, track: ProbeTrack) -> WriteProbe:
    """Write ``PROBE_VALUE`` to ``track`` with the edit form and with ``/:/rate``, read each back,
    and clear it again each time (leaving the lock as it was)."""
    section = f"/library/sections/{client.section.id}/all"
    edit = {"id": track.key, "type": ItemType.TRACK.plex_type}
    may_edit, edit_stores, stored = True, None, None
    try:
        try:
            client.write(
                section,
                {**edit, "userRating.value": PROBE_VALUE, "userRating.locked": 1},
                kind="probe-edit",
            )
            stored = _rating(client, track.key)
            edit_stores = stored is not None
        except EditNotAllowed:
            may_edit = False
        rate = {"key": track.key, "identifier": LIBRARY_IDENTIFIER}
        client.write("/:/rate", {**rate, "rating": PROBE_VALUE}, kind="probe-rate")
        by_rate = _rating(client, track.key)
        rate_stores = by_rate is not None
        stored = by_rate if stored is None else stored
    finally:
        _clear(client, track, may_edit=may_edit)
    return WriteProbe(
        may_edit=may_edit,
        edit_stores=edit_stores,
        rate_stores=rate_stores,
        stored=stored,
        left_unrated=_rating(client, track.key) is None,
    )


def _clear(client: PlexClient, track: ProbeTrack, *, may_edit: bool) -> None:
    """Unrated again, the lock as it was before."""
    client.write(
        "/:/rate",
        {"key": track.key, "identifier": LIBRARY_IDENTIFIER, "rating": -1},
        kind="probe-clear",
    )
    if may_edit:
        client.write(
            f"/library/sections/{client.section.id}/all",
            {
                "id": track.key,
                "type": ItemType.TRACK.plex_type,
                "userRating.value": "",
                "userRating.locked": 1 if track.locked else 0,
            },
            kind="probe-clear",
        )


def clear_rating(client: PlexClient, key: int) -> None:
    """Leave ``key`` unrated (an interrupted probe's track, on the next ``doctor``)."""
    client.write(
        "/:/rate",
        {"key": key, "identifier": LIBRARY_IDENTIFIER, "rating": -1},
        kind="probe-clear",
    )
