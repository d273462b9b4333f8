"""Plex webhooks as ``watch`` reads them: which events are worth a cycle, and which are not ours.

A Plex Pass server POSTs ``multipart/form-data`` with the JSON in a part named ``payload`` (and a
poster in a part named ``thumb`` for ``media.rate`` and ``library.new``; docs/real-servers.md,
"Webhooks"). An event is only a hint of what to read again: the cycle it causes reads the library
by its changes, so a lost, repeated or reordered event costs nothing but time.

What is checked, and why each check is possible:

- ``event``: only ``media.rate`` and ``library.new`` change what plexrate infers from; plays
  (``media.scrobble``) do too, a little, but come with every track played and wait for the next
  cycle instead.
- ``Server.uuid``: the machine identifier of the server plexrate connects to (``GET /``), so an
  event from another server the same Plex account owns is ignored.
- ``Account.id``: ratings are per account (plex-api.md §7.7), and plexrate reads and writes the
  ratings of its token's account. That is the server owner's (account 1 on every server;
  home-assistant's fixture ``plex_server_accounts.xml``) whenever plexrate may edit the library,
  which needs the owner's token; a server cannot tell plexrate any other token's account id
  without asking plex.tv. So events of other accounts (shared and managed users rating in their
  own apps) are ignored.
- ``Metadata.librarySectionID``: another library on the same server is not this one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from enum import StrEnum
from typing import Any

OWNER_ACCOUNT_ID = 1
"""The server owner's account id, the account whose ratings an owner's token reads."""


class EventType(StrEnum):
    RATE = "media.rate"
    NEW = "library.new"


WANTED = frozenset(EventType)


class BadPayload(ValueError):
    """The body is not a Plex webhook (no ``payload`` part, or not JSON)."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One webhook, reduced to what decides whether it concerns this library."""

    event: str
    server_uuid: str | None
    account_id: int | None
    account_title: str
    section_id: int | None
    item_type: str
    rating_keys: tuple[int, ...]
    """The item and its parents, most specific first (track, album, artist)."""
    rating: float | None = None

    def describe(self) -> str:
        what = f"{self.item_type} {self.rating_keys[0]}" if self.rating_keys else "an item"
        return f"{self.event} for {what}"


@dataclass(frozen=True, slots=True)
class Scope:
    """What ``watch`` accepts: this server, this account, this library."""

    server_uuid: str
    section_id: int
    account_id: int = OWNER_ACCOUNT_ID

    def why_ignored(self, event: WebhookEvent) -> str | None:
        """None when ``event`` is worth a cycle; else a short reason (for ``--verbose``)."""
        if event.event not in WANTED:
            return f"{event.event} is not an event plexrate acts on"
        if event.server_uuid != self.server_uuid:
            return "from another server"
        if event.account_id != self.account_id:
            return "another account's (ratings are per account)"
        if event.section_id != self.section_id:
            return "about another library"
        return None


def _payload_part(body: bytes, content_type: str) -> bytes:
    # The stdlib's MIME parser reads multipart/form-data (a MIME multipart with
    # Content-Disposition names); the headers go first so it finds the boundary.
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(EmailMessage, policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadPayload("not a multipart/form-data body")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "payload":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                return data
    raise BadPayload("no part named 'payload'")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _rating(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # A clear is sent as -1 by the emulator; anything outside Plex's scale means "no rating".
    return float(value) if 0 <= value <= 10 else None


def from_document(document: Mapping[str, Any]) -> WebhookEvent:
    """The event in a decoded ``payload`` JSON document."""
    if not isinstance(document, Mapping):
        raise BadPayload("the payload is not a JSON object")
    server = document.get("Server")
    account = document.get("Account")
    metadata = document.get("Metadata")
    server = server if isinstance(server, Mapping) else {}
    account = account if isinstance(account, Mapping) else {}
    metadata = metadata if isinstance(metadata, Mapping) else {}
    keys = tuple(
        key
        for key in (
            _int(metadata.get(name))
            for name in ("ratingKey", "parentRatingKey", "grandparentRatingKey")
        )
        if key is not None
    )
    uuid = server.get("uuid")
    return WebhookEvent(
        event=str(document.get("event") or ""),
        server_uuid=uuid if isinstance(uuid, str) else None,
        account_id=_int(account.get("id")),
        account_title=str(account.get("title") or ""),
        section_id=_int(metadata.get("librarySectionID")),
        item_type=str(metadata.get("type") or ""),
        rating_keys=keys,
        rating=_rating(document.get("rating")),
    )


def parse(body: bytes, content_type: str) -> WebhookEvent:
    """The event in one webhook POST body; ``BadPayload`` when it is not one."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise BadPayload(f"a Plex webhook is multipart/form-data, not {content_type[:60]!r}")
    raw = _payload_part(body, content_type)
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload(f"the payload part is not JSON ({exc})") from None
    return from_document(document)
