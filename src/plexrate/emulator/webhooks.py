"""Plex webhooks: what a Plex Pass server POSTs to the URLs its owner configured.

Each event is ``multipart/form-data`` with a part named ``payload`` holding JSON (``event``,
``user``, ``owner``, ``Account``, ``Server``, ``Metadata`` and, for ``media.rate``, ``rating``) and,
for the events Plex attaches a poster to (``media.rate`` and ``library.new`` among them), a JPEG
part named ``thumb`` (support.plex.tv article 115002267687, "Webhooks"; the field names as
Notifiarr's ``pkg/plex/webhook.go`` reads them; docs/real-servers.md, "Webhooks"). The extra part
keeps receivers honest: they must pick ``payload`` by name.

Delivery is fire-and-forget from one background thread, in the order the events happened, with a
5-second timeout: a receiver that is down or slow loses the event (Plex does not retry), and the
request that caused the event never waits for it.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plexrate.emulator.library import AlbumItem, AnyItem, EmulatorLibrary, TrackItem

DELIVERY_TIMEOUT = 5.0
"""Seconds a receiver gets to answer one event."""
OWNER_ACCOUNT_ID = 1
"""The server owner's account id (account 1 on a real server, ``/accounts``)."""
# A tiny valid JPEG (SOI, an empty comment, EOI) standing in for the poster Plex attaches.
THUMB = b"\xff\xd8\xff\xfe\x00\x09emulator\xff\xd9"
_KEEP = 10_000
"""Deliveries remembered for ``webhook_deliveries``."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event sent to one URL: ``status`` is the receiver's HTTP status, None when it could
    not be reached (``error`` says why)."""

    url: str
    event: str
    payload: dict[str, Any]
    status: int | None
    error: str | None
    sent_at: float
    """Wall-clock time the POST began (``time.time()``)."""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def metadata(library: EmulatorLibrary, item: AnyItem) -> dict[str, Any]:
    """The ``Metadata`` object of an event about ``item`` (the caller holds the library lock).

    Keys are strings and the section id a number, as Plex sends them (Notifiarr decodes
    ``ratingKey`` as a string, ``librarySectionID`` as an int)."""
    section = library.section(item.section_key)
    out: dict[str, Any] = {
        "librarySectionType": "artist",
        "ratingKey": str(item.rating_key),
        "key": f"/library/metadata/{item.rating_key}",
        "guid": item.guid or "",
        "type": item.kind,
        "title": item.title,
        "librarySectionTitle": section.title if section else "",
        "librarySectionID": item.section_key,
        "librarySectionKey": f"/library/sections/{item.section_key}",
    }
    parent = library.parent_of(item)
    if parent is not None:
        out["parentRatingKey"] = str(parent.rating_key)
        out["parentKey"] = f"/library/metadata/{parent.rating_key}"
        out["parentTitle"] = parent.title
        out["parentGuid"] = parent.guid or ""
    if isinstance(item, TrackItem):
        grand = library.get(item.artist_key)
        out["grandparentRatingKey"] = str(item.artist_key)
        out["grandparentKey"] = f"/library/metadata/{item.artist_key}"
        if grand is not None:
            out["grandparentTitle"] = grand.title
            out["grandparentGuid"] = grand.guid or ""
        if item.index is not None:
            out["index"] = item.index
        if item.parent_index is not None:
            out["parentIndex"] = item.parent_index
    if isinstance(item, AlbumItem) and item.year is not None:
        out["year"] = item.year
    if item.user_rating is not None:
        out["userRating"] = item.user_rating
    if item.last_rated_at is not None:
        out["lastRatedAt"] = item.last_rated_at
    if item.added_at is not None:
        out["addedAt"] = item.added_at
    if item.updated_at is not None:
        out["updatedAt"] = item.updated_at
    return out


def payload(
    library: EmulatorLibrary,
    event: str,
    item: AnyItem,
    *,
    account_id: int = OWNER_ACCOUNT_ID,
    account_title: str | None = None,
    rating: float | None = None,
) -> dict[str, Any]:
    """The JSON of one event (the caller holds the library lock). A cleared rating is sent as
    ``rating: -1``, the value ``/:/rate`` takes to clear (the support article does not say what a
    clear sends; a receiver should treat anything outside 0–10 as "no rating")."""
    server = library.server
    body: dict[str, Any] = {
        "event": event,
        "user": True,
        "owner": account_id == OWNER_ACCOUNT_ID,
        "Account": {
            "id": account_id,
            "thumb": "",
            "title": account_title or f"{server.friendly_name} owner",
        },
        "Server": {"title": server.friendly_name, "uuid": server.machine_identifier},
        "Metadata": metadata(library, item),
    }
    if event == "media.rate":
        body["rating"] = -1 if rating is None else rating
    return body


def encode(body: Mapping[str, Any]) -> tuple[bytes, str]:
    """``body`` as Plex sends it: multipart/form-data with ``payload`` (JSON) and ``thumb``."""
    boundary = "--------------------------" + secrets.token_hex(12)
    document = json.dumps(body, ensure_ascii=False).encode()
    parts = [
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="payload"\r\n'
        "Content-Type: application/json\r\n\r\n".encode()
        + document
        + b"\r\n",
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="thumb"; filename="image.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + THUMB
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class WebhookSender:
    """Sends events to every configured URL from one background thread, in order."""

    def __init__(self, *, timeout: float = DELIVERY_TIMEOUT) -> None:
        self.timeout = timeout
        self._urls: list[str] = []
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._thread: threading.Thread | None = None
        # Straight to the receiver: a proxy from the environment has no business in between.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def urls(self) -> list[str]:
        with self._lock:
            return list(self._urls)

    def add(self, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"a webhook URL starts with http:// or https://, not {url!r}")
        with self._lock:
            if url not in self._urls:
                self._urls.append(url)

    def send(self, event: str, body: dict[str, Any]) -> None:
        """Queue ``body`` for every URL; returns at once (nothing is queued without URLs)."""
        with self._lock:
            if not self._urls:
                return
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="plexrate-emulator-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put((event, body))

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event was sent (or given up on); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True

    def close(self) -> None:
        """Stop the sender thread once the queue is empty (events queued after are dropped)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=self.timeout + 1)
        self._thread = None

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            if entry is None:
                return
            event, body = entry
            try:
                for url in self.urls:
                    self._post(url, event, body)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _post(self, url: str, event: str, body: dict[str, Any]) -> None:
        data, content_type = encode(body)
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": content_type, "User-Agent": "PlexMediaServer-emulator"},
        )
        status: int | None = None
        error: str | None = None
        began = time.time()
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            # Down, refused, timed out: the event is lost, as Plex loses it.
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._deliveries.append(Delivery(url, event, body, status, error, began))
            if len(self._deliveries) > _KEEP:
                del self._deliveries[: len(self._deliveries) - _KEEP]
