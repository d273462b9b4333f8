"""Plex webhooks from the emulator: the multipart shape (parsed with the stdlib ``email``
package, as a receiver would), which changes send which events, delivery order, and receivers
that are down or slow (docs/real-servers.md, "Webhooks")."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator, EmulatorLibrary

pytestmark = pytest.mark.integration

AT = 1_800_000_000


class Receiver:
    """A webhook receiver on loopback that keeps every body it was sent."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.bodies: list[tuple[str, bytes]] = []
        self.delay = delay
        self.arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                time.sleep(outer.delay)
                with outer.arrived:
                    outer.bodies.append((self.headers.get("Content-Type") or "", body))
                    outer.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/s3cret"

    def wait(self, count: int, timeout: float = 10.0) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.bodies) >= count, timeout), self.bodies

    def events(self) -> list[dict[str, Any]]:
        return [parts(ctype, body)["payload"] for ctype, body in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def parts(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body parsed by name, the way a receiver reads it."""
    message = message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    assert message.is_multipart()
    found: dict[str, Any] = {}
    for part in message.get_payload():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if part.get_content_type() == "application/json":
            found[str(name)] = json.loads(data)
        else:
            found[str(name)] = (part.get_content_type(), data)
    return found


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()
    yield got
    got.close()


def rate(emu: Emulator, key: int, value: float, *, token: str | None = None) -> None:
    query: dict[str, str | int | float] = {
        "key": key,
        "identifier": "com.plexapp.plugins.library",
        "rating": value,
    }
    answer = requests.put(
        f"{emu.url}/:/rate",
        params=query,
        headers={"X-Plex-Token": token or emu.token},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


def edit(emu: Emulator, ids: str, value: str) -> None:
    query: dict[str, str | int | float] = {"id": ids, "type": 10, "userRating.value": value}
    answer = requests.put(
        f"{emu.url}/library/sections/3/all",
        params=query,
        headers={"X-Plex-Token": emu.token},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


Make = Callable[..., Emulator]


@pytest.fixture
def make(emulator_factory: Make, small_library: EmulatorLibrary) -> Make:
    def start(*lenient: str, **kwargs: Any) -> Emulator:
        return emulator_factory(small_library, clock=lambda: AT, lenient=set(lenient), **kwargs)

    return start


def test_media_rate_payload_is_shaped_as_plex_sends_it(make: Make, receiver: Receiver) -> None:
    emu = make(webhooks=[receiver.url])
    rate(emu, 302, 9)
    receiver.wait(1)
    content_type, body = receiver.bodies[0]
    assert content_type.startswith("multipart/form-data; boundary=")
    found = parts(content_type, body)
    # Plex attaches the poster as a second part: a receiver must pick "payload" by name.
    assert found["thumb"][0] == "image/jpeg"
    event = found["payload"]
    assert event["event"] == "media.rate"
    assert (event["user"], event["owner"]) == (True, True)
    assert event["rating"] == 9.0
    assert event["Account"]["id"] == 1
    assert event["Server"] == {"title": "Test Server", "uuid": "emulator-test-0001"}
    meta = event["Metadata"]
    assert (meta["type"], meta["ratingKey"], meta["parentRatingKey"]) == ("track", "302", "201")
    assert meta["grandparentRatingKey"] == "101"
    assert (meta["librarySectionType"], meta["librarySectionID"]) == ("artist", 3)
    assert (meta["userRating"], meta["lastRatedAt"]) == (9.0, AT)
    assert "s3cret" not in json.dumps(event)
    assert emu.wait_for_webhooks()
    (delivery,) = emu.webhook_deliveries()
    assert (delivery.url, delivery.event, delivery.status, delivery.delivered) == (
        receiver.url,
        "media.rate",
        200,
        True,
    )


def test_clears_album_and_artist_ratings_and_shared_users_send_media_rate(
    make: Make, receiver: Receiver
) -> None:
    emu = make(webhooks=[receiver.url])
    emu.add_account("friend-token", "shared")
    rate(emu, 302, -1)
    rate(emu, 203, 7)
    rate(emu, 101, 4, token="friend-token")
    receiver.wait(3)
    clear, album, artist = receiver.events()
    assert (clear["rating"], "userRating" in clear["Metadata"]) == (-1, False)
    assert (album["Metadata"]["type"], album["Metadata"]["parentRatingKey"]) == ("album", "102")
    assert "grandparentRatingKey" not in album["Metadata"]
    assert artist["Metadata"]["type"] == "artist" and "parentRatingKey" not in artist["Metadata"]
    assert (artist["Account"]["id"], artist["owner"]) == (2, False)


def test_edit_form_ratings_send_nothing_unless_lenient(make: Make, receiver: Receiver) -> None:
    strict = make(webhooks=[receiver.url])
    edit(strict, "301,304", "6")
    assert strict.wait_for_webhooks()
    assert strict.webhook_deliveries() == []
    lenient = make("edit-sets-last-rated", webhooks=[receiver.url])
    edit(lenient, "301,304", "6")
    receiver.wait(2)
    assert [e["Metadata"]["ratingKey"] for e in receiver.events()] == ["301", "304"]
    assert {e["rating"] for e in receiver.events()} == {6.0}


def test_library_new_once_per_added_album(make: Make, receiver: Receiver) -> None:
    emu = make()
    emu.add_webhook(receiver.url)
    added = emu.add_album(None, tracks=4, at=AT)
    emu.play(301)
    emu.skip(301)
    emu.rematch_album(201, rekey=True)
    emu.delete([202])
    assert emu.wait_for_webhooks()
    receiver.wait(1)
    time.sleep(0.2)
    (event,) = receiver.events()
    assert event["event"] == "library.new" and "rating" not in event
    meta = event["Metadata"]
    assert (meta["type"], meta["ratingKey"]) == ("album", str(added.album_key))
    assert (meta["parentRatingKey"], meta["addedAt"]) == (str(added.artist_key), AT)


def test_events_arrive_in_order_at_every_url(make: Make) -> None:
    first, second = Receiver(), Receiver()
    try:
        emu = make(webhooks=[first.url, second.url])
        sequence = [(301, 1.0), (302, 2.0), (303, 3.0), (301, 4.0), (304, 5.0), (305, 6.0)]
        for key, value in sequence:
            if key % 2:
                rate(emu, key, value)
            else:
                emu.person_rate(key, value)
        first.wait(len(sequence))
        second.wait(len(sequence))
        for got in (first, second):
            assert [(int(e["Metadata"]["ratingKey"]), e["rating"]) for e in got.events()] == (
                sequence
            )
    finally:
        first.close()
        second.close()


def test_a_dead_receiver_loses_events_and_blocks_nothing(make: Make, receiver: Receiver) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    emu = make(webhooks=[dead, receiver.url])
    rate(emu, 301, 5)
    rate(emu, 302, 6)
    receiver.wait(2)
    assert emu.wait_for_webhooks()
    to_dead = [d for d in emu.webhook_deliveries() if d.url == dead]
    assert len(to_dead) == 2
    assert all(d.status is None and d.error and not d.delivered for d in to_dead)
    # The live receiver still got both, in order; the ratings themselves landed.
    assert [e["Metadata"]["ratingKey"] for e in receiver.events()] == ["301", "302"]
    assert emu.library.rating(302) == 6.0


def test_a_slow_receiver_never_slows_the_request(make: Make) -> None:
    slow = Receiver(delay=1.5)
    try:
        emu = make(webhooks=[slow.url])
        began = time.monotonic()
        rate(emu, 301, 5)
        rate(emu, 302, 6)
        assert time.monotonic() - began < 1.0
        slow.wait(2, timeout=10)
        assert [e["rating"] for e in slow.events()] == [5.0, 6.0]
    finally:
        slow.close()


def test_webhook_urls_must_be_http(make: Make) -> None:
    emu = make()
    with pytest.raises(ValueError, match="http"):
        emu.add_webhook("ftp://example.invalid/hook")
    assert emu.webhook_urls == []
