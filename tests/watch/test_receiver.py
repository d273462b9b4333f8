"""The webhook receiver over real HTTP: only POST /<secret> gets in, quickly, and nothing leaks."""

from __future__ import annotations

import logging
import queue
import socket
from collections.abc import Iterator

import pytest
import requests

from plexrate.emulator.webhooks import encode
from plexrate.watch.events import WebhookEvent
from plexrate.watch.receiver import (
    DEFAULT_PORT,
    MAX_BODY,
    Receiver,
    parse_listen,
    reachable_host,
    webhook_url,
)

SECRET = "s3cret-path-0123456789abcdef"
PAYLOAD = {
    "event": "media.rate",
    "Account": {"id": 1, "title": "owner"},
    "Server": {"title": "Office", "uuid": "machine-1"},
    "Metadata": {
        "ratingKey": "12",
        "parentRatingKey": "11",
        "grandparentRatingKey": "10",
        "librarySectionID": 1,
        "type": "track",
    },
    "rating": 6,
}


@pytest.fixture
def received() -> queue.Queue[WebhookEvent]:
    return queue.Queue()


@pytest.fixture
def base(received: queue.Queue[WebhookEvent]) -> Iterator[str]:
    with Receiver("127.0.0.1", 0, secret=SECRET, on_event=received.put) as receiver:
        host, port = receiver.address
        yield f"http://{host}:{port}"


def _post(url: str, body: bytes, content_type: str) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=5)


def test_a_webhook_on_the_secret_path_is_queued(
    base: str, received: queue.Queue[WebhookEvent]
) -> None:
    body, content_type = encode(PAYLOAD)
    answer = _post(f"{base}/{SECRET}", body, content_type)
    assert answer.status_code == 200 and answer.content == b""
    event = received.get(timeout=2)
    assert event.rating_keys == (12, 11, 10) and event.rating == 6.0


@pytest.mark.parametrize("path", ["/", "/wrong", f"/{SECRET}x", f"/{SECRET[:-1]}", "/a/b"])
def test_other_paths_answer_a_bare_404(
    base: str, received: queue.Queue[WebhookEvent], path: str
) -> None:
    body, content_type = encode(PAYLOAD)
    for answer in (
        _post(base + path, body, content_type),
        requests.get(base + path, timeout=5),
        requests.put(base + path, data=b"x", timeout=5),
    ):
        assert answer.status_code == 404
        assert answer.content == b""
    assert received.empty()


def test_another_method_on_the_secret_path_is_not_allowed(base: str) -> None:
    answer = requests.get(f"{base}/{SECRET}", timeout=5)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"


def test_an_oversized_body_is_refused_unread(
    base: str, received: queue.Queue[WebhookEvent]
) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        # Announce a body larger than the limit and send none of it: the answer comes anyway.
        sock.sendall(
            f"POST /{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            f"boundary=b\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode()
        )
        status = sock.recv(200).split(b"\r\n")[0]
    assert b" 413 " in status
    assert received.empty()


def test_a_body_that_is_not_a_webhook_is_a_400(
    base: str, received: queue.Queue[WebhookEvent]
) -> None:
    answer = _post(f"{base}/{SECRET}", b'{"event": "media.rate"}', "application/json")
    assert answer.status_code == 400
    assert received.empty()


def test_the_secret_reaches_no_log(
    base: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    _post(f"{base}/{SECRET}", b"junk", "multipart/form-data; boundary=z")
    requests.get(f"{base}/{SECRET}", timeout=5)
    out, err = capfd.readouterr()
    # The test's own HTTP client (urllib3) logs the URL it asked for; the receiver must not.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("plexrate"))
    assert "webhook refused" in ours
    assert SECRET not in out + err + ours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0.0:32500", ("0.0.0.0", 32500)),
        (":9000", ("0.0.0.0", 9000)),
        ("192.168.1.5", ("192.168.1.5", DEFAULT_PORT)),
        ("[::1]:8080", ("::1", 8080)),
        ("[::]", ("::", DEFAULT_PORT)),
    ],
)
def test_listen_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["host:port", "::1:80", "h:70000", "[::1"])
def test_bad_listen_addresses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_listen(text)


def test_the_url_names_a_reachable_address() -> None:
    assert reachable_host("10.0.0.7", "http://10.0.0.2:32400") == "10.0.0.7"
    # Listening everywhere: the address this machine uses toward Plex (loopback here).
    assert reachable_host("0.0.0.0", "http://127.0.0.1:32400") == "127.0.0.1"
    assert webhook_url("::1", 32500, SECRET) == f"http://[::1]:32500/{SECRET}"
