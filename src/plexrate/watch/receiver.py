"""The webhook receiver: a small HTTP server that takes Plex's POSTs and queues them.

Only ``POST /<WATCH_SECRET>`` is accepted. Plex signs nothing and sends no credential of its
own, so the path is the only proof a request comes from the server its owner configured; any
other path answers a bare 404, the same for every method, so a scanner learns nothing. Each
answer is quick (Plex gives a receiver a few seconds and does not retry): the body is read up to
a bound, parsed, handed to ``on_event`` and answered 200; the work happens in ``watch``'s loop.

The request line holds the secret, so nothing here logs requests.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from plexrate.watch.events import BadPayload, WebhookEvent, parse

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
"""Bytes a webhook may carry: the JSON is a few KiB, the poster Plex attaches up to a few
hundred; anything larger is not a Plex webhook."""
READ_TIMEOUT = 10.0
"""Seconds a connection may take to send its request, so a stalled client holds no thread."""
DEFAULT_PORT = 32500
"""Beside Plex's own 32400, on none of the ports Plex Media Server uses (32400, 32410–32414,
32469, 32600)."""


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT``, ``[IPv6]:PORT`` or ``HOST`` → (host, port); ValueError if not."""
    text = value.strip()
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"{value!r}: an IPv6 address goes in brackets, [::]:32500")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{value!r} is not HOST:PORT")
            port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif ":" in text:
        raise ValueError(f"{value!r}: put an IPv6 address in brackets, [::]:32500")
    host = host or "0.0.0.0"
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"{value!r}: the port is a number from 0 to 65535")
    return host, int(port_text)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        secret: str,
        on_event: Callable[[WebhookEvent], None],
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.secret_path = ("/" + secret).encode()
        self.on_event = on_event
        self.received = 0
        self.refused = 0
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = READ_TIMEOUT
    protocol_version = "HTTP/1.1"
    server_version = "plexrate"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        # The request line carries the secret: never written anywhere.
        return

    def _is_ours(self) -> bool:
        path = urlsplit(self.path).path.rstrip("/").encode()
        return hmac.compare_digest(path, self.server.secret_path)

    def _answer(self, status: HTTPStatus, *, allow: str | None = None) -> None:
        self.send_response(status)
        if allow:
            self.send_header("Allow", allow)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _refuse(self) -> None:
        self.server.refused += 1
        self._answer(HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:
        if not self._is_ours():
            self._refuse()
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._answer(HTTPStatus.LENGTH_REQUIRED)
            return
        length = int(length_text)
        if length > MAX_BODY:
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        body = self.rfile.read(length)
        try:
            event = parse(body, self.headers.get("Content-Type", ""))
        except BadPayload as exc:
            log.info("webhook refused: %s", exc)
            self._answer(HTTPStatus.BAD_REQUEST)
            return
        self.server.received += 1
        self._answer(HTTPStatus.OK)
        self.server.on_event(event)

    def _other_method(self) -> None:
        if self._is_ours():
            self._answer(HTTPStatus.METHOD_NOT_ALLOWED, allow="POST")
        else:
            self._refuse()

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other_method


class Receiver:
    """Serves on ``host:port`` (port 0: any free port) from a background thread until closed."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        secret: str,
        on_event: Callable[[WebhookEvent], None],
    ) -> None:
        self._server = _Server((host, port), secret=secret, on_event=on_event)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="plexrate-watch-receiver",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def received(self) -> int:
        return self._server.received

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def reachable_host(listen_host: str, plex_url: str | None) -> str:
    """The address Plex should POST to: the listening address, or when that is every interface,
    this machine's address on the way to the Plex server (a UDP ``connect`` sends nothing)."""
    if listen_host not in ("0.0.0.0", "::", ""):
        return listen_host
    target = urlsplit(plex_url or "").hostname
    if target:
        family = socket.AF_INET6 if ":" in target else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                return str(probe.getsockname()[0])
        except OSError:
            pass
    return socket.gethostname()


def webhook_url(host: str, port: int, secret: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/{secret}"
