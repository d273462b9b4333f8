"""One connection to one Plex music section: requests through plexapi's transport, with retries.

Everything plexrate sends goes through ``PlexClient.read``/``write``, which add what plexapi
does not do (plex-api.md §4): bounded retries with back-off on connection errors, timeouts and
5xx answers, request counting for the run summary, and errors a person can act on. Requests use
plexapi's ``PlexServer.query`` so headers, token handling and status mapping stay plexapi's own.
"""

from __future__ import annotations

import os

# Reading an absent attribute on a plexapi object would silently fetch the item again
# (plex-api.md §1.1). plexrate never relies on that, so switch it off before plexapi builds objects.
os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")

import logging
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from xml.etree.ElementTree import Element

from plexapi.server import PlexServer
from plexapi.utils import joinArgs
from urllib3.exceptions import InsecureRequestWarning

from plexrate.errors import (
    ConfigError,
    LibraryNotFound,
    PlexError,
    PlexUnreachable,
)
from plexrate.model import ItemType
from plexrate.plex.transport import (
    TRANSIENT_STATUS,
    Context,
    Failure,
    GuardedSession,
    classify,
    short,
    status_of,
)
from plexrate.settings import MAX_PAGE_SIZE, Settings

log = logging.getLogger(__name__)

__all__ = [
    "TRANSIENT_STATUS",
    "PlexClient",
    "RequestCounts",
    "RetryEvent",
    "RetryPolicy",
    "SectionInfo",
    "connect",
    "connect_with",
    "status_of",
]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * (2**attempt)))


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """One failed attempt that will be retried: for a terminal to say "waiting for Plex".

    ``attempt`` is the attempt that failed (1-based) of ``attempts`` in all; the next starts
    after ``delay`` seconds. ``reason`` is a few words ("timed out", "(503) service_unavailable").
    """

    kind: str
    attempt: int
    attempts: int
    delay: float
    reason: str


RetryHook = Callable[[RetryEvent], None]


def _no_hook(event: RetryEvent) -> None:  # noqa: ARG001 - a RetryHook that does nothing
    return None


@dataclass(frozen=True, slots=True)
class SectionInfo:
    id: int
    uuid: str
    title: str
    scanned_at: int | None = None
    """The section's ``scannedAt`` (a re-scan since the last run means reading it whole)."""


@dataclass(slots=True)
class RequestCounts:
    reads: int = 0
    writes: int = 0
    retries: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.reads + self.writes

    def as_dict(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "writes": self.writes,
            "retries": self.retries,
            "by_kind": dict(sorted(self.by_kind.items())),
        }


class PlexClient:
    """A connected music section. Create with :func:`connect`."""

    def __init__(
        self,
        server: PlexServer,
        section: SectionInfo,
        *,
        url: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = MAX_PAGE_SIZE,
        verify: bool | str = True,
        on_retry: RetryHook | None = None,
    ) -> None:
        self._server = server
        self.section = section
        self.url = url
        self.page_size = page_size
        self.retry = retry or RetryPolicy()
        self.verify = verify
        self.on_retry: RetryHook = on_retry or _no_hook
        """Called before each retry's pause (a terminal can say "waiting for Plex, attempt 2
        of 6")."""
        self._sleep = sleep
        self.counts = RequestCounts()

    @property
    def server_name(self) -> str:
        return str(self._server.friendlyName or "")

    @property
    def server_version(self) -> str:
        return str(self._server.version or "")

    @property
    def machine_id(self) -> str:
        return str(self._server.machineIdentifier or "")

    def root_attribute(self, name: str) -> str | None:
        """An attribute of the server's root answer (``GET /``), as Plex sent it."""
        data = getattr(self._server, "_data", None)
        value = data.get(name) if isinstance(data, Element) else None
        return None if value is None else str(value)

    def read(
        self,
        path: str,
        *,
        kind: str,
        params: Mapping[str, str | int] | None = None,
        start: int | None = None,
        size: int | None = None,
    ) -> Element:
        """GET ``path``; ``start``/``size`` page a container (sent as headers, as plexapi does).

        Every request carries a page size, ``page_size`` unless one is given: real servers refuse
        section listings without one and page some answers by default (docs/real-servers.md,
        "Page size"). A size in ``params`` (the ``Size=0`` counts) is left as it is. The answer
        must be a ``MediaContainer``, as every answer of Plex's library API is.
        """
        headers: dict[str, str] = {}
        if not params or "X-Plex-Container-Size" not in params:
            headers["X-Plex-Container-Start"] = str(start or 0)
            headers["X-Plex-Container-Size"] = str(self.page_size if size is None else size)
        data = self._call(
            kind,
            lambda: self._server.query(path, headers=headers, params=dict(params or {})),
        )
        self.counts.reads += 1
        if data is None:
            raise PlexError(f"the Plex server at {self.url} answered a {kind} request with nothing")
        if not isinstance(data, Element) or data.tag != "MediaContainer":
            tag = data.tag if isinstance(data, Element) else type(data).__name__
            raise PlexError(
                f"the Plex server at {self.url} answered a {kind} request with <{tag}>, not "
                "Plex's <MediaContainer>",
                hint="is PLEX_URL a Plex Media Server (not a proxy's or another program's page)?",
            )
        return cast(Element, data)

    def write(self, path: str, args: Mapping[str, object], *, kind: str) -> None:
        """PUT ``path`` with ``args`` encoded exactly as plexapi encodes edits (values quoted)."""
        query = joinArgs(dict(args))
        self._call(
            kind,
            lambda: self._server.query(path + query, method=self._server._session.put),
            write=True,
        )
        self.counts.writes += 1

    def count(self, item_type: ItemType) -> int:
        """Items of one type in the section, from a ``Size=0`` request (no items transferred)."""
        container = self.read(
            f"/library/sections/{self.section.id}/all",
            kind=f"count-{item_type.value}",
            params={
                "type": item_type.plex_type,
                "X-Plex-Container-Start": 0,
                "X-Plex-Container-Size": 0,
            },
        )
        raw = container.get("totalSize") or container.get("size") or "0"
        try:
            total = int(raw)
        except ValueError:
            total = -1
        if total < 0:
            raise PlexError(
                f"the Plex server at {self.url} answered a {item_type.value} count with "
                f"totalSize={raw[:40]!r}, which is not a count"
            )
        return total

    def _call(self, kind: str, send: Callable[[], Any], *, write: bool = False) -> Any:
        self.counts.by_kind[kind] += 1
        ctx = Context(url=self.url, kind=kind, write=write, verify=self.verify)
        failure: Failure | None = None
        last: BaseException | None = None
        started = time.monotonic()
        for attempt in range(self.retry.attempts):
            if attempt:
                self.counts.retries += 1
                self._sleep(self.retry.delay(attempt - 1))
            try:
                return send()
            except Exception as exc:
                failure = classify(exc, ctx)
                if failure is None:
                    raise
                if not failure.transient:
                    assert failure.error is not None
                    raise failure.error from exc
                last = exc
            log.info("%s request failed (attempt %d): %s", kind, attempt + 1, failure.reason)
            if attempt + 1 < self.retry.attempts:
                self.on_retry(
                    RetryEvent(
                        kind=kind,
                        attempt=attempt + 1,
                        attempts=self.retry.attempts,
                        delay=self.retry.delay(attempt),
                        reason=failure.reason,
                    )
                )
        if failure is not None and failure.error is not None:
            raise failure.error from last
        raise PlexUnreachable(
            f"the Plex server at {self.url} stopped answering ({short(last)})"
            + _waited(self.retry.attempts, started),
            hint="check that Plex is running, then rerun: finished work is kept",
        ) from last


def _waited(attempts: int, started: float) -> str:
    """``; waited 197 s over 6 attempts``: the time really spent, retries and pauses included."""
    if attempts <= 1:
        return ""
    return f"; waited {time.monotonic() - started:.0f}s over {attempts} attempts"


def _session(verify: bool | str) -> GuardedSession:
    session = GuardedSession()
    session.verify = verify
    return session


def _open(
    base: str, token: str, *, timeout: float, verify: bool | str
) -> tuple[PlexServer, list[Any]]:
    server = PlexServer(base, token, session=_session(verify), timeout=timeout)
    data = getattr(server, "_data", None)
    if (
        not isinstance(data, Element)
        or data.tag != "MediaContainer"
        or not server.machineIdentifier
    ):
        raise PlexError(
            f"not a Plex server at {base}: its answer to / has no machineIdentifier",
            hint="check PLEX_URL: the host and port of Plex Media Server (usually 32400)",
        )
    return server, server.library.sections()


def tls_verify(settings: Settings) -> bool | str:
    """What ``requests`` should verify certificates against: True (the system's authorities),
    a CA bundle file, or False (``VERIFY_TLS`` false)."""
    if not settings.verify_tls:
        return False
    if settings.ca_bundle is not None:
        if not settings.ca_bundle.is_file():
            raise ConfigError(
                f"CA_BUNDLE {settings.ca_bundle} is not a file",
                hint="name the PEM file of the authority that signed Plex's certificate",
            )
        return str(settings.ca_bundle)
    return True


def connect(
    *,
    url: str,
    token: str,
    library: str,
    timeout: float = 30.0,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    page_size: int = MAX_PAGE_SIZE,
    verify: bool | str = True,
    on_retry: RetryHook | None = None,
) -> PlexClient:
    """Connect to the server and find the music section named ``library`` (case-insensitively).

    Raises a distinct error for each way this fails: ``PlexUnreachable`` (nothing answers),
    ``PlexAuthError`` (token refused), ``LibraryNotFound`` (listing the music libraries that exist),
    ``ConfigError`` (a URL requests cannot use, a certificate that fails), ``PlexError`` (what
    answers is not a Plex server: a web page, a redirect, a 404). Like every later request,
    connecting is retried on timeouts, dropped connections and 5xx answers; a refused connection
    is not (nothing listens there: a wrong URL, or Plex is off), so a misconfigured URL is
    reported at once. ``verify`` is what certificates are checked against (``requests``'
    ``verify``).
    """
    base = url.rstrip("/")
    policy = retry or RetryPolicy()
    hook = on_retry or _no_hook
    if verify is False:
        # The person chose VERIFY_TLS=false; urllib3 would warn on every request.
        warnings.simplefilter("ignore", InsecureRequestWarning)
    ctx = Context(url=base, kind="connect", connecting=True, verify=verify, timeout=timeout)
    attempt = 0
    started = time.monotonic()
    while True:
        try:
            server, sections = _open(base, token, timeout=timeout, verify=verify)
            break
        except Exception as exc:
            failure = classify(exc, ctx)
            if failure is None:
                raise
            attempt += 1
            if not failure.transient or attempt >= policy.attempts:
                if failure.error is None:
                    raise PlexUnreachable(
                        f"cannot reach a Plex server at {base} ({failure.reason})"
                        + _waited(attempt, started),
                        hint="check PLEX_URL and that Plex is running",
                    ) from exc
                if attempt > 1 and isinstance(failure.error, PlexUnreachable):
                    # "did not answer within 30s" after 197 s of retries misleads: say both.
                    raise PlexUnreachable(
                        failure.error.message + _waited(attempt, started),
                        hint=failure.error.hint,
                    ) from exc
                raise failure.error from exc
            log.info("connecting failed (attempt %d): %s", attempt, failure.reason)
            hook(
                RetryEvent(
                    kind="connect",
                    attempt=attempt,
                    attempts=policy.attempts,
                    delay=policy.delay(attempt - 1),
                    reason=failure.reason,
                )
            )
            sleep(policy.delay(attempt - 1))

    wanted = library.strip().casefold()
    music = [s for s in sections if s.type == "artist"]
    match = [s for s in music if str(s.title).strip().casefold() == wanted]
    if not match:
        other = [s for s in sections if str(s.title).strip().casefold() == wanted]
        names = ", ".join(repr(str(s.title)) for s in music) or "none"
        if other:
            raise LibraryNotFound(
                f"library {library!r} on {server.friendlyName!r} is a {other[0].type} library, "
                "not a music library",
                hint=f"music libraries: {names}",
            )
        raise LibraryNotFound(
            f"no music library named {library!r} on {server.friendlyName!r}",
            hint=f"music libraries: {names}; set LIBRARY_NAME or pass --library",
        )
    section = match[-1]
    data = getattr(section, "_data", None)
    scanned = data.get("scannedAt") if isinstance(data, Element) else None
    info = SectionInfo(
        id=int(section.key),
        uuid=str(section.uuid),
        title=str(section.title),
        scanned_at=int(scanned) if scanned and scanned.isdigit() else None,
    )
    return PlexClient(
        server,
        info,
        url=base,
        retry=retry,
        sleep=sleep,
        page_size=page_size,
        verify=verify,
        on_retry=on_retry,
    )


def connect_with(
    settings: Settings,
    *,
    library: str | None = None,
    on_retry: RetryHook | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PlexClient:
    """Connect as the settings say (URL, token, library, timeout, retries, TLS checks)."""
    settings.require_server()
    assert settings.plex_url is not None and settings.plex_token is not None
    return connect(
        url=settings.plex_url,
        token=settings.plex_token.get_secret_value(),
        library=library or settings.library_name,
        timeout=settings.timeout,
        retry=RetryPolicy(attempts=settings.retries + 1),
        page_size=settings.page_size,
        verify=tls_verify(settings),
        on_retry=on_retry,
        sleep=sleep or time.sleep,
    )
