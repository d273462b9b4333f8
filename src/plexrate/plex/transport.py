"""The HTTP layer under plexapi: what plexrate refuses to follow or to believe, and what it retries.

plexapi sends every request through a ``requests.Session`` and parses whatever comes back as XML
(plex-api.md §1.1, §4). Two things it leaves to the caller matter here:

- **Redirects.** ``requests`` follows 3xx answers and strips only ``Authorization`` when the host
  changes, not ``X-Plex-Token``: a proxy or server that redirects would hand the token to
  whatever host it names. A Plex Media Server never answers its API with a redirect, so
  ``GuardedSession`` follows none and reports the ``Location`` instead (docs/real-servers.md,
  "No redirects").
- **Answers that are not Plex's.** A login page, Plex Web, a JSON API or an empty 200 would be
  parsed as XML (or as nothing) and read as an empty library. The session looks at the body of
  every successful answer before plexapi does.

``classify`` turns any exception a request can raise into a ``Failure``: transient ones (a
connection refused mid-run, dropped or cut mid-body, a timeout, a 5xx, a body that cannot be
decoded or parsed) are retried by the client the same way; the rest become one clear error.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import certifi
import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from urllib3.exceptions import NewConnectionError

from plexrate.errors import (
    ConfigError,
    EditNotAllowed,
    PlexAuthError,
    PlexError,
    PlexrateError,
    PlexUnreachable,
    TlsError,
)

# 429 and the 5xx family are worth retrying; other statuses mean the request itself is wrong.
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})

# How much of a body is looked at to tell a web page or JSON from Plex's XML.
_SNIFF = 512
_PLEX_DIRECT = ".plex.direct"
_WEB_PAGE_HINT = (
    "is PLEX_URL the Plex Media Server itself (http(s)://host:32400), not Plex Web or a "
    "proxy's page?"
)


class BadAnswer(Exception):
    """A 2xx or 3xx answer that is not one a Plex Media Server gives; ``what`` describes it."""

    def __init__(self, what: str, *, status: int, location: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.status = status
        self.location = location


def public_url(url: str) -> str:
    """``url`` without credentials, query or fragment: safe to show (a query may hold a token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unreadable address)"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    if not parts.scheme or not host:
        return "(a relative address)" if not parts.scheme else "(an unreadable address)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").casefold(), port or default


def _sniff(body: bytes) -> str | None:
    """What a 2xx body is, when it is plainly not XML from Plex; None when it may be."""
    head = body[:_SNIFF].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "an empty page"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]:
        return "a web page"
    if head.startswith((b"{", b"[")):
        return "JSON, not Plex's XML"
    if not head.startswith(b"<"):
        return "text that is not XML"
    return None


class GuardedSession(requests.Session):
    """A ``requests.Session`` that never follows a redirect and checks every successful answer.

    Raises ``BadAnswer`` for a 3xx (naming its ``Location``), and for a 2xx whose body is a web
    page, JSON, plain text, or empty where Plex always answers with XML (every ``GET``). The token
    therefore never leaves the address in ``PLEX_URL``.
    """

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        # Per request, because requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the
        # environment override a session's own setting: VERIFY_TLS and CA_BUNDLE decide.
        kwargs["verify"] = self.verify
        response = super().request(method, url, *args, **kwargs)
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location")
            raise BadAnswer(
                f"a redirect ({status})",
                status=status,
                location=None if location is None else str(location),
            )
        if 200 <= status < 300:
            body = response.content or b""
            if str(method).upper() == "GET" or body.strip():
                what = _sniff(body)
                if what is not None:
                    raise BadAnswer(what, status=status)
        return response


# --------------------------------------------------------------------------------------------
# Classifying failures


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failed request means: retry it (``transient``) or stop with ``error``."""

    transient: bool
    reason: str
    """A few words for logs and retry messages: "timed out", "(503) service_unavailable"."""
    error: PlexrateError | None = None
    """The error to raise at once (not transient), or after the last attempt (transient: None
    means the caller's own "stopped answering" message)."""


@dataclass(frozen=True, slots=True)
class Context:
    """Where a request went and what it was, for the messages."""

    url: str
    kind: str
    write: bool = False
    connecting: bool = False
    """The first requests (the server root, the library list): nothing is known of the server
    yet, so an odd answer means "not a Plex server" rather than "Plex answered oddly"."""
    verify: bool | str = True
    timeout: float | None = None


def status_of(exc: BadRequest) -> int | None:
    """The HTTP status at the front of plexapi's message: ``(503) service_unavailable; …``."""
    text = str(exc)
    if len(text) >= 5 and text[0] == "(" and text[4] == ")" and text[1:4].isdigit():
        return int(text[1:4])
    return None


def short(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the answer could not be decoded"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    if isinstance(exc, ParseError):
        return "malformed XML"
    text = str(exc).split(";", 1)[0]
    return text[:200]


def refused(exc: requests.ConnectionError) -> bool:
    """No connection could be made at all (refused, unknown host), as opposed to a lost one."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def classify(exc: BaseException, ctx: Context) -> Failure | None:
    """The meaning of ``exc`` raised by one request; None for exceptions callers handle
    themselves (``NotFound`` on item requests) or that are not about the request."""
    url = ctx.url
    if isinstance(exc, BadAnswer):
        return Failure(False, exc.what, _bad_answer(exc, ctx))
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure(False, "TLS failed", tls_error(exc, url, verify=ctx.verify))
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return Failure(True, short(exc))
    if isinstance(exc, requests.Timeout):
        error = None
        if ctx.connecting:
            within = f" within {ctx.timeout:g}s" if ctx.timeout else " in time"
            error = PlexUnreachable(
                f"the Plex server at {url} did not answer{within}",
                hint="check PLEX_URL, or raise TIMEOUT for a busy server",
            )
        return Failure(True, short(exc), error)
    if isinstance(exc, requests.ConnectionError):
        if ctx.connecting:
            error = PlexUnreachable(
                f"cannot reach a Plex server at {url}",
                hint="check PLEX_URL and that Plex is running",
            )
            # Nothing listens there: a wrong URL, or Plex is off. Say so at once.
            return Failure(not refused(exc), short(exc), error)
        return Failure(True, short(exc))
    if isinstance(exc, ParseError):
        # A body cut off where no length announced its end parses as malformed XML: retried
        # like a cut connection. One that stays malformed is not Plex's.
        return Failure(
            True,
            short(exc),
            PlexError(
                f"the server at {url} keeps answering {ctx.kind} requests with malformed XML "
                f"({exc})",
                hint="is PLEX_URL a Plex Media Server? Plex's own log may say more",
            ),
        )
    if isinstance(exc, Unauthorized):
        return Failure(False, "(401) unauthorized", _unauthorized(ctx, 401))
    if isinstance(exc, NotFound):
        if ctx.connecting:
            return Failure(
                False,
                "(404) not_found",
                PlexError(
                    f"not a Plex server at {url}: it answered 404 Not Found to a {ctx.kind} "
                    "request, which every Plex Media Server answers",
                    hint="check PLEX_URL: the host and port of Plex Media Server (usually 32400)",
                ),
            )
        return None
    if isinstance(exc, BadRequest):
        status = status_of(exc)
        if status in TRANSIENT_STATUS:
            error = None
            if ctx.connecting:
                error = PlexUnreachable(
                    f"the Plex server at {url} is not answering requests ({short(exc)})",
                    hint="wait until Plex has started, then rerun",
                )
            return Failure(True, short(exc), error)
        if status == 403 and ctx.write:
            return Failure(False, short(exc), _unauthorized(ctx, 403))
        return Failure(
            False, short(exc), PlexError(f"Plex refused a {ctx.kind} request: {short(exc)}")
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return Failure(
            False,
            "unusable URL",
            ConfigError(f"PLEX_URL {url!r} is not a usable URL", hint="use http(s)://host:32400"),
        )
    if isinstance(exc, requests.RequestException):
        # Whatever else the transport raises (a proxy error, too many open files): transient.
        return Failure(True, type(exc).__name__)
    return None


def _unauthorized(ctx: Context, status: int) -> PlexAuthError:
    if ctx.write:
        # Reads with this token succeeded before (connecting reads the library list), so the
        # token is valid: this account may read but not edit (plex-api.md §7.7).
        return EditNotAllowed(
            f"the Plex server at {ctx.url} refused a {ctx.kind} write ({status}) although it "
            "answers reads with this token: the token's account may not edit this library "
            "(not the server owner's token, or a managed user)",
            hint="use the server owner's token (`plexrate doctor` shows whose it is)",
        )
    return PlexAuthError(
        f"the Plex server at {ctx.url} refused the token ({status} Unauthorized)",
        hint="set a valid PLEX_TOKEN; Plex Web shows it under any item › Get Info › View XML",
    )


def _bad_answer(exc: BadAnswer, ctx: Context) -> PlexrateError:
    url = ctx.url
    if exc.location is not None or 300 <= exc.status < 400:
        target = public_url(exc.location) if exc.location else "no address"
        hint = "set PLEX_URL to the address Plex Media Server answers at itself"
        if exc.location:
            mine, theirs = origin(url), origin(exc.location)
            if theirs[1] and theirs != mine:
                scheme, host, port = theirs
                shown = f"[{host}]" if ":" in host else host
                hint = f"if that is your Plex server, set PLEX_URL to {scheme}://{shown}:{port}"
            elif theirs == mine or not theirs[1]:
                hint = (
                    "a server that redirects to itself is not a Plex Media Server; check PLEX_URL"
                )
        return PlexError(
            f"the server at {url} answered a {ctx.kind} request with a redirect ({exc.status}) "
            f"to {target}; plexrate follows no redirects, so the token is never sent elsewhere",
            hint=hint,
        )
    if exc.what == "a web page":
        if ctx.connecting:
            return PlexError(
                f"the server at {url} answered with a web page, not Plex's XML",
                hint=_WEB_PAGE_HINT,
            )
        return PlexError(
            f"the Plex server at {url} answered a {ctx.kind} request with a web page instead of "
            "Plex's XML (a proxy's login or error page?)",
            hint="check the proxy in front of Plex, or point PLEX_URL at Plex itself",
        )
    if ctx.connecting:
        return PlexError(
            f"not a Plex server at {url}: it answered with {exc.what}",
            hint="check PLEX_URL: the host and port of Plex Media Server (usually 32400)",
        )
    return PlexError(
        f"the Plex server at {url} answered a {ctx.kind} request with {exc.what}",
        hint="rerun; if it persists, Plex's own log may say why (finished work is kept)",
    )


# --------------------------------------------------------------------------------------------
# TLS


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (requests → urllib3 → ssl), without loops."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(
            e
            for e in (current.__cause__, current.__context__, getattr(current, "reason", None))
            if isinstance(e, BaseException)
        )
        todo.extend(a for a in current.args if isinstance(a, BaseException))


def certificate_names(
    host: str, port: int, *, verify: bool | str, timeout: float = 5.0
) -> list[str]:
    """The DNS names the server's certificate is issued for, read in a TLS handshake that checks
    the chain but not the name (no HTTP request, so no token is sent). Empty when the chain
    itself is not trusted: Python reads a certificate's names only from a verified chain."""
    if verify is False:
        return []
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else _certifi())
    context.check_hostname = False
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert() or {}
    except (OSError, ssl.SSLError, ValueError):
        return []
    pairs: Any = cert.get("subjectAltName", ())
    return [str(pair[1]) for pair in pairs if pair[0] == "DNS"]


def _certifi() -> str:
    # The authorities requests itself verifies against: its environment variables, else certifi.
    return (
        os.environ.get("REQUESTS_CA_BUNDLE")
        or os.environ.get("CURL_CA_BUNDLE")
        or str(certifi.where())
    )


def plex_direct_address(url: str, names: list[str]) -> str | None:
    """The ``https://<ip-with-dashes>.<hash>.plex.direct:<port>`` address of ``url``'s server,
    when the certificate names a ``*.<hash>.plex.direct`` and ``url`` addresses it by IPv4.

    Plex's certificates are issued for that wildcard, and the name resolves to the IP written in
    it (docs/real-servers.md, "TLS and plex.direct").
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.version != 4:
        return None
    for name in names:
        if name.startswith("*.") and name.casefold().endswith(_PLEX_DIRECT):
            port = f":{parts.port}" if parts.port else ""
            return f"https://{host.replace('.', '-')}.{name[2:]}{port}"
    return None


def tls_error(exc: BaseException, url: str, *, verify: bool | str) -> ConfigError:
    """A certificate or handshake failure as a configuration error naming its cause."""
    cert = next((e for e in _chain(exc) if isinstance(e, ssl.SSLCertVerificationError)), None)
    parts = urlsplit(url)
    host = parts.hostname or ""
    text = " ".join(str(e) for e in _chain(exc))
    if cert is None:
        if (
            "wrong version number" in text
            or "WRONG_VERSION_NUMBER" in text
            or "record layer" in text
        ):
            return TlsError(
                f"the server at {url} does not speak TLS on that port",
                hint=f"use http://{parts.netloc} if that is where Plex answers",
            )
        return TlsError(
            f"the TLS handshake with {url} failed ({short_tls(text)})",
            hint="check PLEX_URL; VERIFY_TLS and CA_BUNDLE control certificate checks",
        )
    reason = cert.verify_message or str(cert)
    code = cert.verify_code
    fixes = (
        "or set CA_BUNDLE to the certificate of the authority that signed it, or "
        "VERIFY_TLS=false on a network you trust"
    )
    if code == 62 or "mismatch" in reason.casefold() or "doesn't match" in reason:
        names = certificate_names(host, parts.port or 443, verify=verify)
        shown = ", ".join(names[:3]) if names else "other names"
        direct = plex_direct_address(url, names)
        if direct is not None:
            return TlsError(
                f"the certificate of {url} is issued for {shown}, not for {host}: Plex's "
                f"certificates name its plex.direct address, {direct}",
                hint=f"set PLEX_URL to {direct}, which Plex Web shows under Get Info › View XML; "
                + fixes,
            )
        return TlsError(
            f"the certificate of {url} is not issued for {host} (it names {shown})",
            hint="set PLEX_URL to a name the certificate is issued for (Plex's is "
            f"https://<ip-with-dashes>.<hash>.plex.direct:32400), {fixes}",
        )
    if code in (18, 19, 20, 21) or "self" in reason.casefold() or "issuer" in reason.casefold():
        return TlsError(
            f"the certificate of {url} is not trusted ({reason})",
            hint="set CA_BUNDLE to the file of the authority that signed it, or VERIFY_TLS=false "
            "on a network you trust",
        )
    return TlsError(
        f"the certificate of {url} failed verification ({reason})",
        hint=f"renew or fix the server's certificate, {fixes}",
    )


def short_tls(text: str) -> str:
    return text.split("(Caused by", 1)[0].strip()[:160] or "no detail"
