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
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from xml.etree.ElementTree import Element

import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.server import PlexServer
from plexapi.utils import joinArgs
from urllib3.exceptions import NewConnectionError

from plexrate.errors import (
    ConfigError,
    LibraryNotFound,
    PlexAuthError,
    PlexError,
    PlexUnreachable,
)
from plexrate.model import ItemType
from plexrate.settings import MAX_PAGE_SIZE, Settings

log = logging.getLogger(__name__)

# 429 and the 5xx family are worth retrying; other statuses mean the request itself is wrong.
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
_STATUS = re.compile(r"^\((\d{3})\)")


def status_of(exc: BadRequest) -> int | None:
    """The HTTP status at the front of plexapi's message: ``(503) service_unavailable; …``."""
    match = _STATUS.match(str(exc))
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * (2**attempt)))


@dataclass(frozen=True, slots=True)
class SectionInfo:
    id: int
    uuid: str
    title: str


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
    ) -> None:
        self._server = server
        self.section = section
        self.url = url
        self.page_size = page_size
        self.retry = retry or RetryPolicy()
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
        "Page size"). A size in ``params`` (the ``Size=0`` counts) is left as it is.
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
            raise PlexError(f"Plex answered {path} with an empty body")
        return cast(Element, data)

    def write(self, path: str, args: Mapping[str, object], *, kind: str) -> None:
        """PUT ``path`` with ``args`` encoded exactly as plexapi encodes edits (values quoted)."""
        query = joinArgs(dict(args))
        self._call(kind, lambda: self._server.query(path + query, method=self._server._session.put))
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
        return int(container.get("totalSize") or container.get("size") or 0)

    def _call(self, kind: str, send: Callable[[], Any]) -> Any:
        self.counts.by_kind[kind] += 1
        last: Exception | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                self.counts.retries += 1
                self._sleep(self.retry.delay(attempt - 1))
            try:
                return send()
            except Unauthorized as exc:
                raise PlexAuthError(
                    f"the Plex server at {self.url} refused the token (401 Unauthorized)",
                    hint="set a valid PLEX_TOKEN",
                ) from exc
            except NotFound:
                raise
            except BadRequest as exc:
                status = status_of(exc)
                if status not in TRANSIENT_STATUS:
                    raise PlexError(f"Plex refused a {kind} request: {_short(exc)}") from exc
                last = exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
            log.info("%s request failed (attempt %d): %s", kind, attempt + 1, _short(last))
        raise PlexUnreachable(
            f"the Plex server at {self.url} stopped answering ({_short(last)}) "
            f"after {self.retry.attempts} attempts",
            hint="check that Plex is running, then rerun: finished work is kept",
        ) from last


def _short(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    text = str(exc).split(";", 1)[0]
    return text[:200]


class _Transient(Exception):
    """A connection attempt that failed in a way worth retrying; ``error`` is what to report."""

    def __init__(self, error: PlexUnreachable) -> None:
        super().__init__(error.message)
        self.error = error


def _refused(exc: requests.ConnectionError) -> bool:
    """No connection could be made at all (refused, unknown host), as opposed to a lost one."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _open(base: str, token: str, *, timeout: float) -> tuple[PlexServer, list[Any]]:
    session = requests.Session()
    try:
        server = PlexServer(base, token, session=session, timeout=timeout)
        return server, server.library.sections()
    except Unauthorized as exc:
        raise PlexAuthError(
            f"the Plex server at {base} refused the token (401 Unauthorized)",
            hint="set a valid PLEX_TOKEN (Plex Web: any item › Get Info › View XML shows it)",
        ) from exc
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        raise ConfigError(
            f"PLEX_URL {base!r} is not a usable URL", hint="use http(s)://host:32400"
        ) from exc
    except requests.Timeout as exc:
        raise _Transient(
            PlexUnreachable(
                f"the Plex server at {base} did not answer within {timeout:g}s",
                hint="check PLEX_URL, or raise TIMEOUT for a busy server",
            )
        ) from exc
    except requests.ConnectionError as exc:
        error = PlexUnreachable(
            f"cannot reach a Plex server at {base}",
            hint="check PLEX_URL and that Plex is running",
        )
        if _refused(exc):
            raise error from exc
        raise _Transient(error) from exc
    except BadRequest as exc:
        if status_of(exc) in TRANSIENT_STATUS:
            # A server still starting up, or overloaded, answers 503: unreachable for now.
            raise _Transient(
                PlexUnreachable(
                    f"the Plex server at {base} is not answering requests ({_short(exc)})",
                    hint="wait until Plex has started, then rerun",
                )
            ) from exc
        raise PlexError(f"the server at {base} answered unexpectedly: {_short(exc)}") from exc


def connect(
    *,
    url: str,
    token: str,
    library: str,
    timeout: float = 30.0,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    page_size: int = MAX_PAGE_SIZE,
) -> PlexClient:
    """Connect to the server and find the music section named ``library`` (case-insensitively).

    Raises a distinct error for each way this fails: ``PlexUnreachable`` (nothing answers),
    ``PlexAuthError`` (token refused), ``LibraryNotFound`` (listing the music libraries that exist),
    ``ConfigError`` (a URL requests cannot use). Like every later request, connecting is retried
    on timeouts, dropped connections and 5xx answers; a refused connection is not (nothing listens
    there: a wrong URL, or Plex is off), so a misconfigured URL is reported at once.
    """
    base = url.rstrip("/")
    policy = retry or RetryPolicy()
    attempt = 0
    while True:
        try:
            server, sections = _open(base, token, timeout=timeout)
            break
        except _Transient as transient:
            attempt += 1
            if attempt >= policy.attempts:
                raise transient.error from transient.__cause__
            log.info("connecting failed (attempt %d): %s", attempt, transient.error.message)
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
    info = SectionInfo(id=int(section.key), uuid=str(section.uuid), title=str(section.title))
    return PlexClient(server, info, url=base, retry=retry, sleep=sleep, page_size=page_size)


def connect_with(settings: Settings, *, library: str | None = None) -> PlexClient:
    """Connect as the settings say (URL, token, library, timeout, retries)."""
    settings.require_server()
    assert settings.plex_url is not None and settings.plex_token is not None
    return connect(
        url=settings.plex_url,
        token=settings.plex_token.get_secret_value(),
        library=library or settings.library_name,
        timeout=settings.timeout,
        retry=RetryPolicy(attempts=settings.retries + 1),
        page_size=settings.page_size,
    )
