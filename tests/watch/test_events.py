"""Webhook bodies as Plex sends them, reduced to what decides whether watch acts on them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plexrate.emulator import Emulator
from plexrate.emulator.webhooks import encode
from plexrate.watch.events import BadPayload, Scope, WebhookEvent, parse

SERVER = "5f3a1e0c9b7d4a2e8c6f0b1d3e5a7c9f2b4d6e8a"


def plex_payload(**changes: Any) -> dict[str, Any]:
    """A ``media.rate`` payload shaped like the support article's example and Notifiarr's
    decoder: keys as strings, the section id a number, a top-level ``rating``."""
    body: dict[str, Any] = {
        "event": "media.rate",
        "user": True,
        "owner": True,
        "Account": {"id": 1, "thumb": "https://plex.tv/users/x/avatar", "title": "elan"},
        "Server": {"title": "Office", "uuid": SERVER},
        "Player": {"local": True, "publicAddress": "", "title": "Plexamp", "uuid": "p1"},
        "Metadata": {
            "librarySectionType": "artist",
            "ratingKey": "1936545",
            "key": "/library/metadata/1936545",
            "parentRatingKey": "1936544",
            "grandparentRatingKey": "1936543",
            "guid": "plex://track/5d07cdb5403c640290f5b9e8",
            "type": "track",
            "title": "Lucky",
            "librarySectionID": 7,
        },
        "rating": 8,
    }
    body.update(changes)
    return body


def test_a_plex_rate_event_gives_the_item_and_its_parents() -> None:
    body, content_type = encode(plex_payload())
    event = parse(body, content_type)
    assert event == WebhookEvent(
        event="media.rate",
        server_uuid=SERVER,
        account_id=1,
        account_title="elan",
        section_id=7,
        item_type="track",
        rating_keys=(1936545, 1936544, 1936543),
        rating=8.0,
    )


def test_a_clear_and_odd_values_are_no_rating() -> None:
    for raw in (-1, 11, "8", True, None):
        body, content_type = encode(plex_payload(rating=raw))
        assert parse(body, content_type).rating is None, raw


def test_the_payload_part_is_found_by_name_whatever_comes_first() -> None:
    body, content_type = encode(plex_payload())
    boundary = content_type.split("boundary=")[1]
    parts = body.split(f"--{boundary}".encode())
    # [preamble, payload, thumb, closing]: put the poster first.
    reordered = f"--{boundary}".encode().join([parts[0], parts[2], parts[1], parts[3]])
    assert parse(reordered, content_type).rating_keys[0] == 1936545


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"event": "media.rate"}', "application/json"),
        (
            b'--x\r\nContent-Disposition: form-data; name="thumb"\r\n\r\nabc\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
        ),
        (
            b'--x\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{not json\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
        ),
    ],
    ids=["not-multipart", "no-payload-part", "payload-not-json"],
)
def test_what_is_not_a_webhook_is_refused(body: bytes, content_type: str) -> None:
    with pytest.raises(BadPayload):
        parse(body, content_type)


SCOPE = Scope(server_uuid=SERVER, section_id=7)


def _event(**changes: Any) -> WebhookEvent:
    body, content_type = encode(plex_payload(**changes))
    return parse(body, content_type)


def test_the_scope_takes_this_servers_owner_rating_in_this_library() -> None:
    assert SCOPE.why_ignored(_event()) is None
    assert SCOPE.why_ignored(_event(event="library.new")) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"event": "media.play"}, "not an event"),
        ({"event": "media.scrobble"}, "not an event"),
        ({"Server": {"title": "Other", "uuid": "another-machine"}}, "another server"),
        ({"Server": {}}, "another server"),
        ({"Account": {"id": 3, "title": "a friend"}}, "another account"),
        ({"Account": {}}, "another account"),
    ],
)
def test_other_events_servers_and_accounts_are_ignored(
    changes: dict[str, Any], reason: str
) -> None:
    why = SCOPE.why_ignored(_event(**changes))
    assert why is not None and reason in why


def test_another_library_is_ignored() -> None:
    payload = plex_payload()
    payload["Metadata"]["librarySectionID"] = 8
    body, content_type = encode(payload)
    why = SCOPE.why_ignored(parse(body, content_type))
    assert why is not None and "another library" in why


def test_the_emulators_own_events_parse(emulator: Emulator) -> None:
    """The emulator's payloads (``emulator/webhooks.py``) are what the receiver meets in tests."""
    from plexrate.emulator.webhooks import payload

    with emulator.library.lock:
        track = emulator.library.get(302)
        assert track is not None
        document = payload(emulator.library, "media.rate", track, rating=4.0)
    body, content_type = encode(document)
    event = parse(body, content_type)
    assert event.rating_keys[0] == 302 and len(event.rating_keys) == 3
    scope = Scope(
        server_uuid=emulator.library.server.machine_identifier, section_id=emulator.section_key
    )
    assert scope.why_ignored(event) is None
    assert json.loads(json.dumps(document))["Account"]["id"] == 1
