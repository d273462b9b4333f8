"""A real HTTP/1.1 server (keep-alive, one thread per connection) speaking Plex's library API.

``EmulatorApp`` holds the state of one running emulator (library, token, latency model, fault
plan, counters) and answers every request; ``_Handler`` is the thin stdlib adapter. The endpoint
list, the paging rules and the edit semantics are those of ``/work/shared/plex-api.md``; what is
simplified is listed in ``docs/emulator.md``.

Measurement hooks live under ``/__emulator/`` (stats, dump, request log, faults, down/up), a path
no Plex client uses; they need the same token as the Plex endpoints.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from plexrate.emulator import webhooks, xml
from plexrate.emulator.edits import (
    EditError,
    EditNotFound,
    apply_edit,
    apply_rate,
    check_rate,
    parse_edit,
)
from plexrate.emulator.faults import Decision, FaultPlan, FaultState
from plexrate.emulator.latency import Backlog, LatencyModel
from plexrate.emulator.library import (
    KIND_BY_SEARCH_TYPE,
    TAG_ELEMENTS,
    AnyItem,
    EmulatorLibrary,
    ItemKind,
    Section,
)
from plexrate.emulator.misbehave import Misbehaviour
from plexrate.emulator.query import ListingCache, QueryError, listing_kind, paging, select
from plexrate.emulator.stats import RequestRecord, StatsRecorder
from plexrate.emulator.strictness import STRICT, Strictness
from plexrate.emulator.webhooks import OWNER_ACCOUNT_ID, WebhookSender

XML = "text/xml;charset=utf-8"
JSON = "application/json"
HOOK_PREFIX = "/__emulator/"


Unsized = Literal["refuse", "default-page", "all"]
Role = Literal["owner", "shared", "managed"]
ROLES: tuple[Role, ...] = ("owner", "shared", "managed")
"""Accounts a token can belong to. The owner (the server's admin) may do everything; a shared
user (a friend the library is shared with) and a managed user (of the owner's Plex Home) may read
and rate (``/:/rate``) but not edit the library's metadata, and may not list the server's
accounts (docs/real-servers.md, "Tokens and accounts")."""


class NotFoundError(LookupError):
    pass


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = XML
    items: int = 0
    listing: str | None = None
    ratings: int = 0
    rate_calls: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    tag_ops: int = 0
    ignored: int = 0
    modeled: float = 0.0
    """Seconds of modeled latency this answer was charged."""


@dataclass(frozen=True)
class Route:
    endpoint: str
    write: bool
    run: Callable[[Request], Reply]


@dataclass
class Request:
    method: str
    path: str
    pairs: list[tuple[str, str]]
    headers: Mapping[str, str]
    groups: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    """The token the request carried (never logged: it picks the webhook's Account)."""

    def __post_init__(self) -> None:
        self.params = dict(self.pairs)


def _html(status: int, title: str, detail: str = "") -> bytes:
    extra = f"<p>{xml.esc(detail)}</p>" if detail else ""
    return (
        f"<html><head><title>{title}</title></head><body><h1>{status} {title}</h1>{extra}"
        "</body></html>"
    ).encode()


_TAG_ALTERNATIVES = "|".join(TAG_ELEMENTS)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/$"), "/"),
    (re.compile(r"^/identity/?$"), "/identity"),
    (re.compile(r"^/accounts/?$"), "/accounts"),
    (re.compile(r"^/library/?$"), "/library"),
    (re.compile(r"^/library/sections/?$"), "/library/sections"),
    (re.compile(r"^/library/sections/(\d+)/all/?$"), "/library/sections/{id}/all"),
    (re.compile(r"^/library/sections/(\d+)/albums/?$"), "/library/sections/{id}/albums"),
    (re.compile(r"^/library/sections/(\d+)/collections/?$"), "/library/sections/{id}/collections"),
    (
        re.compile(rf"^/library/sections/(\d+)/({_TAG_ALTERNATIVES})/?$"),
        "/library/sections/{id}/{tag}",
    ),
    (re.compile(r"^/library/metadata/(\d+(?:,\d+)*)/?$"), "/library/metadata/{ids}"),
    (re.compile(r"^/library/metadata/(\d+)/children/?$"), "/library/metadata/{id}/children"),
    (re.compile(r"^/library/metadata/(\d+)/allLeaves/?$"), "/library/metadata/{id}/allLeaves"),
    (re.compile(r"^/:/rate/?$"), "/:/rate"),
]


class EmulatorApp:
    """Everything one emulator instance knows; called from many handler threads."""

    def __init__(
        self,
        library: EmulatorLibrary,
        *,
        token: str,
        latency: LatencyModel,
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.time,
        ignore_edit_fields: Collection[str] = (),
        ignore_rate: bool = False,
        strictness: Strictness = STRICT,
    ) -> None:
        self.library = library
        self.strictness = strictness
        if strictness.stored_rating(6.66) != 6.66:
            # A real server never holds more than one decimal, whatever the library file says.
            library.round_ratings(strictness.stored_rating)
        self.token = token
        self.accounts: dict[str, Role] = {token: "owner"}
        """Every token the server knows, with its account's role."""
        self.misbehaviour: Misbehaviour | None = None
        self.overrides: dict[int, dict[str, str]] = {}
        """Attribute values rendered in place of an item's own (``Emulator.corrupt``)."""
        self.latency = latency
        self.backlog = Backlog()
        """The load model's queue (used when ``latency.loads``)."""
        self.clock = clock
        self.ignore_edit_fields = frozenset(ignore_edit_fields)
        self.ignore_rate = ignore_rate
        self.stats = StatsRecorder()
        self.faults = FaultState(faults)
        self.cache = ListingCache()
        self.write_lock = threading.RLock()
        self.after_write: Callable[[int], None] | None = None
        self._writes_answered = 0
        self.writes_done = 0
        """Write requests answered with success (misbehaviours may start after some)."""
        self.before_answer: Callable[[int], None] | None = None
        self.stopping = threading.Event()
        self.webhooks = WebhookSender()
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    # ------------------------------------------------------------------------- connections
    def track(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def now(self) -> int:
        return int(self.clock())

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stopping.wait(seconds)

    # ------------------------------------------------------------------------- routing
    def route(self, method: str, path: str) -> tuple[Route, tuple[str, ...]]:
        for pattern, template in _PATTERNS:
            match = pattern.match(path)
            if not match:
                continue
            groups = match.groups()
            name = template
            if template == "/library/sections/{id}/{tag}":
                name = f"/library/sections/{{id}}/{groups[1]}"
            endpoint = f"{method} {name}"
            write = name == "/:/rate" or (name == "/library/sections/{id}/all" and method == "PUT")
            handler = self._handlers(name, method)
            if handler is None:
                return Route(endpoint, write, self._not_allowed), groups
            return Route(endpoint, write, handler), groups
        return Route(f"{method} (unknown)", False, self._not_found), ()

    def _handlers(self, name: str, method: str) -> Callable[[Request], Reply] | None:
        if name == "/:/rate":
            return self._rate if method in ("GET", "PUT", "POST") else None
        if name == "/library/sections/{id}/all" and method == "PUT":
            return self._edit
        if method != "GET":
            return None
        if name.startswith("/library/sections/{id}/") and name.rsplit("/", 1)[1] in TAG_ELEMENTS:
            return self._filter_choices
        table: dict[str, Callable[[Request], Reply]] = {
            "/": self._root,
            "/identity": self._identity,
            "/accounts": self._accounts,
            "/library": self._library,
            "/library/sections": self._sections,
            "/library/sections/{id}/all": self._listing,
            "/library/sections/{id}/albums": self._albums,
            "/library/sections/{id}/collections": self._collections,
            "/library/metadata/{ids}": self._metadata,
            "/library/metadata/{id}/children": self._children,
            "/library/metadata/{id}/allLeaves": self._leaves,
        }
        return table.get(name)

    # ------------------------------------------------------------------------- entry point
    def handle(self, handler: _Handler, method: str) -> None:
        began = time.perf_counter()
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        url = urlsplit(handler.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        content_type = handler.headers.get("Content-Type") or ""
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        path = url.path
        if path.startswith(HOOK_PREFIX):
            self._hook(handler, method, path, pairs, body)
            return
        route, groups = self.route(method, path)
        public = [(k, v) for k, v in pairs if k != "X-Plex-Token"]
        request = Request(method, path, pairs, _HeaderView(handler), groups)

        def record(status: int, reply: Reply | None = None, fault: str | None = None) -> None:
            self.stats.record(
                RequestRecord(
                    method=method,
                    path=path,
                    query=tuple(public),
                    endpoint=route.endpoint,
                    status=status,
                    items=reply.items if reply else 0,
                    fault=fault,
                    page_size=_sent_size(request),
                ),
                write=route.write,
                ratings=reply.ratings if reply else 0,
                tags_added=reply.tags_added if reply else 0,
                tags_removed=reply.tags_removed if reply else 0,
                ignored=reply.ignored if reply else 0,
                listing=reply.listing if reply else None,
                modeled=reply.modeled if reply else 0.0,
                busy=time.perf_counter() - began,
            )

        if self.faults.is_down():
            record(0, fault="down")
            _drop(handler)
            return
        misbehaviour = self.misbehaviour
        if misbehaviour is not None and misbehaviour.applies(
            route.endpoint, writes=self.writes_done
        ):
            # Whatever answers instead of Plex does not look at the token.
            status, body, kind, extra = misbehaviour.reply(
                host=handler.headers.get("Host") or "", path=path, query=url.query
            )
            record(status, fault=misbehaviour.name)
            _send(handler, status, body, kind, head=method == "HEAD", extra=extra)
            return
        role = self._role(handler, pairs)
        request.token = self._token(handler, pairs)
        if route.endpoint != "GET /identity" and role is None:
            record(401)
            _send(handler, 401, _html(401, "Unauthorized"), "text/html")
            return
        if role != "owner" and (
            route.endpoint in ("PUT /library/sections/{id}/all", "GET /accounts")
        ):
            # Only the owner edits metadata or lists accounts; a shared or managed user's token
            # is refused as plexapi's users report it (docs/real-servers.md).
            record(401)
            _send(handler, 401, _html(401, "Unauthorized"), "text/html")
            return
        decision = self.faults.decide(write=route.write)
        if (
            decision.kind is not None
            and not decision.applied
            and (not _damages_body(decision) or route.write)
        ):
            record(500 if decision.kind == "error" else 0, fault=decision.kind)
            if route.write:
                self.faults.count_write()
            self._fault(handler, decision, None)
            return
        reply = self._execute(route, request, charge=decision.kind is None)
        if decision.kind is not None:
            # An applied write whose response is lost (the library changed, the client sees a
            # failure), or a read whose answer is damaged on the way.
            record(500 if decision.kind == "error" else 0, reply, fault=decision.kind)
            if route.write:
                self.faults.count_write()
            self._fault(handler, decision, reply)
            return
        # Counted before answering: a client that reads the stats right after its response must
        # see its own request.
        record(reply.status, reply)
        if route.write:
            self.faults.count_write()
        if route.write and reply.status < 300:
            # Before answering: the client's next request must already see the count.
            with self.write_lock:
                self.writes_done += 1
                done = self.writes_done
            hook = self.before_answer
            if hook is not None:
                # Outside the write lock, and before the client has its answer: whatever the
                # hook does over HTTP lands between this write and the client's next request.
                hook(done)
        _send(handler, reply.status, reply.body, reply.content_type, head=method == "HEAD")
        if route.write and self.after_write is not None:
            with self.write_lock:
                self._writes_answered += 1
                self.after_write(self._writes_answered)

    @staticmethod
    def _token(handler: _Handler, pairs: Sequence[tuple[str, str]]) -> str | None:
        given = handler.headers.get("X-Plex-Token")
        if given is None:
            given = next((v for k, v in pairs if k == "X-Plex-Token"), None)
        return given

    def account(self, token: str | None) -> tuple[int, str]:
        """The webhook ``Account`` (id, title) of a token: the owner is account 1, every other
        account gets the next ids in the order it was added."""
        owner = self.library.server.friendly_name
        for number, known in enumerate(self.accounts):
            if token is not None and hmac.compare_digest(token.encode(), known.encode()):
                if number == 0:
                    return OWNER_ACCOUNT_ID, f"{owner} owner"
                return OWNER_ACCOUNT_ID + number, f"{self.accounts[known]} user {number}"
        return OWNER_ACCOUNT_ID, f"{owner} owner"

    def announce_rating(self, item: AnyItem, token: str | None = None) -> None:
        """Send ``media.rate`` for ``item`` as it is now (the caller holds the library lock)."""
        if not self.webhooks.urls:
            return
        number, title = self.account(token)
        body = webhooks.payload(
            self.library,
            "media.rate",
            item,
            account_id=number,
            account_title=title,
            rating=item.user_rating,
        )
        self.webhooks.send("media.rate", body)

    def announce_new(self, item: AnyItem) -> None:
        """Send ``library.new`` for ``item`` (the caller holds the library lock)."""
        if self.webhooks.urls:
            self.webhooks.send("library.new", webhooks.payload(self.library, "library.new", item))

    def _role(self, handler: _Handler, pairs: Sequence[tuple[str, str]]) -> Role | None:
        """The role of the account whose token the request carries; None for no known token."""
        given = self._token(handler, pairs)
        if given is None:
            return None
        found: Role | None = None
        for token, role in list(self.accounts.items()):
            if hmac.compare_digest(given.encode(), token.encode()):
                found = role
        return found

    def _authorized(self, handler: _Handler, pairs: Sequence[tuple[str, str]]) -> bool:
        # The measurement hooks answer the owner only.
        return self._role(handler, pairs) == "owner"

    def _fault(self, handler: _Handler, decision: Decision, reply: Reply | None) -> None:
        if decision.kind == "error":
            body = _html(500, "Internal Server Error", "injected fault")
            _send(handler, 500, body, "text/html")
            return
        if decision.kind == "timeout":
            plan = self.faults.plan
            self.sleep(plan.timeout_seconds if plan else 35.0)
        if decision.kind == "cut":
            body = reply.body if reply is not None and reply.body else _html(200, "OK") * 4
            _cut(handler, body)
            return
        if decision.kind == "garble":
            status = reply.status if reply is not None else 200
            _send(handler, status, b"this is not gzip" * 8, XML, extra={"Content-Encoding": "gzip"})
            return
        _drop(handler)

    def _execute(self, route: Route, request: Request, *, charge: bool) -> Reply:
        try:
            if route.write:
                with self.write_lock:
                    with self.library.lock:
                        reply = route.run(request)
                    if charge:
                        ops = reply.tag_ops or reply.tags_added + reply.tags_removed
                        slower = self.backlog.factor(self.latency, write=True)
                        reply.modeled = slower * self.latency.write_cost(
                            ratings=max(0, reply.ratings - reply.rate_calls),
                            tags=ops,
                            rate_calls=reply.rate_calls,
                        )
                        self.sleep(reply.modeled)
                        # Queued once answered: the commit's follow-up work is the writer's.
                        self.backlog.add(self.latency, items=reply.ratings + ops)
                return reply
            with self.library.lock:
                reply = route.run(request)
            if charge:
                slower = self.backlog.factor(self.latency, write=False)
                reply.modeled = slower * self.latency.read_cost(reply.items)
                self.sleep(reply.modeled)
            return reply
        except EditNotFound as exc:
            return Reply(404, _html(404, "Not Found", str(exc)), "text/html")
        except (QueryError, EditError) as exc:
            return Reply(400, _html(400, "Bad Request", str(exc)), "text/html")
        except NotFoundError as exc:
            return Reply(404, _html(404, "Not Found", str(exc)), "text/html")
        except Exception as exc:
            # A bug in the emulator must look like a server error, not a dropped connection.
            detail = f"emulator error: {type(exc).__name__}: {exc}"
            return Reply(500, _html(500, "Internal Server Error", detail), "text/html")

    # ------------------------------------------------------------------------- Plex endpoints
    def _not_found(self, request: Request) -> Reply:
        raise NotFoundError(f"no such endpoint: {request.path}")

    def _not_allowed(self, request: Request) -> Reply:
        return Reply(405, _html(405, "Method Not Allowed"), "text/html")

    def _root(self, request: Request) -> Reply:
        return Reply(body=xml.root(self.library, now=self.now()))

    def _identity(self, request: Request) -> Reply:
        return Reply(body=xml.identity(self.library))

    def _accounts(self, request: Request) -> Reply:
        return Reply(body=xml.accounts(self.library))

    def _library(self, request: Request) -> Reply:
        return Reply(body=xml.library_root())

    def _sections(self, request: Request) -> Reply:
        return Reply(body=xml.sections(self.library), items=len(self.library.sections))

    def _section(self, raw: str) -> Section:
        section = self.library.section(int(raw))
        if section is None:
            raise NotFoundError(f"no library section {raw}")
        return section

    def _page(
        self, request: Request, items: Sequence[Any], *, unsized: Unsized = "refuse"
    ) -> tuple[Sequence[Any], int]:
        page = paging(request.params, request.headers)
        size = self._page_size(page.size, unsized=unsized)
        end = None if size is None else page.start + size
        return items[page.start : end], page.start

    def _page_size(self, size: int | None, *, unsized: Unsized) -> int | None:
        """The page a container answer holds, or 400 where a real server refuses the request.

        Since PMS 1.28 section listings without ``X-Plex-Container-Size``, or asking for more than
        1000 items, are announced as failing with 400, and servers have been seen doing it
        (docs/real-servers.md, "Page size"). ``unsized`` says what a request without a size gets:
        ``refuse`` (listings), ``default-page`` (``/library/metadata/{ids}``: not known to refuse,
        so it gets the community spec's default page, which a client that does not follow
        ``totalSize`` silently truncates) or ``all`` (filter choices, which plexapi itself asks
        for without a size, against real servers in its CI).
        """
        rules = self.strictness
        limit = rules.max_page_size
        if size is None:
            if unsized == "default-page":
                return rules.metadata_default_page
            if unsized == "refuse" and rules.requires_page_size:
                raise QueryError("Missing X-Plex-Container-Size header")
            return None
        if limit is not None and size > limit:
            raise QueryError(f"X-Plex-Container-Size {size} is above the limit of {limit}")
        return size

    def _skip(self, request: Request) -> frozenset[str]:
        raw = request.params.get("excludeElements", "")
        return frozenset(p.strip() for p in raw.split(",") if p.strip())

    def _listing(self, request: Request) -> Reply:
        section = self._section(request.groups[0])
        kind = listing_kind(section, request.params)
        items: Sequence[AnyItem] = ()
        if kind is not None:
            items = select(
                self.library,
                section,
                kind,
                request.pairs,
                self.cache,
                now=self.clock(),
                strictness=self.strictness,
            )
        page, start = self._page(request, items)
        skip = self._skip(request)
        lib = self.library
        genres = self.strictness.listing_genres
        parts = [
            xml.overridden(
                xml.item(lib, it, section, detail=False, skip=skip, genres=genres),
                self.overrides.get(it.rating_key),
            )
            for it in page
        ]
        active: ItemKind = kind or "artist"
        if request.params.get("includeMeta") == "1" and section.is_music:
            parts.insert(0, xml.meta(section, active=active, strictness=self.strictness))
        titles = {"artist": "All Artists", "album": "All Albums", "track": "All Tracks"}
        container = xml.section_container(
            section,
            size=len(page),
            totalSize=len(items),
            offset=start,
            title1=section.title,
            title2=titles.get(active, "All"),
            viewGroup=active,
        )
        return Reply(
            body=xml.document(container, "".join(parts)),
            items=len(page),
            listing=kind or "other",
        )

    def _albums(self, request: Request) -> Reply:
        # MusicSection.albums() lists albums from this path rather than from all?type=9.
        request.pairs = [(k, v) for k, v in request.pairs if k != "type"] + [("type", "9")]
        request.params = dict(request.pairs)
        return self._listing(request)

    def _collections(self, request: Request) -> Reply:
        section = self._section(request.groups[0])
        self._page(request, ())
        body = ""
        if request.params.get("includeMeta") == "1":
            body = xml.collections_meta(section)
        container = xml.section_container(
            section, size=0, totalSize=0, offset=0, title1=section.title, title2="All Collections"
        )
        return Reply(body=xml.document(container, body))

    def _filter_choices(self, request: Request) -> Reply:
        section = self._section(request.groups[0])
        tag_type = request.groups[1]
        raw_type = request.params.get("type")
        kind: ItemKind | None = "artist" if section.is_music else None
        if raw_type:
            try:
                kind = KIND_BY_SEARCH_TYPE.get(int(raw_type))
            except ValueError:
                raise QueryError(f"type must be a number, not {raw_type!r}") from None
        names: dict[str, str] = {}
        if kind is not None and section.is_music:
            for item in section.items(kind):
                for name in item.get_tags(tag_type):
                    names.setdefault(name.casefold(), name)
        choices = sorted(
            (self.library.tags.register(tag_type, n) for n in names.values()),
            key=lambda c: c[1].casefold(),
        )
        search_type = {"artist": 8, "album": 9, "track": 10}.get(kind or "artist", 8)
        # plexapi asks for filter choices without a size (LibrarySection.listFilterChoices) and
        # its CI does so against a real server, so a missing size is accepted here.
        page, start = self._page(request, choices, unsized="all")
        return Reply(
            body=xml.filter_choices(
                section, tag_type, search_type, page, total=len(choices), offset=start
            ),
            items=len(page),
        )

    def _items_reply(
        self, request: Request, records: Sequence[AnyItem], *, detail: bool, **extra: Any
    ) -> Reply:
        page, start = self._page(request, records, unsized="default-page" if detail else "refuse")
        skip = self._skip(request)
        lib = self.library
        genres = None if detail else self.strictness.listing_genres
        parts = []
        for record in page:
            section = lib.section(record.section_key)
            assert section is not None
            parts.append(
                xml.overridden(
                    xml.item(lib, record, section, detail=detail, skip=skip, genres=genres),
                    self.overrides.get(record.rating_key),
                )
            )
        first = lib.section(records[0].section_key) if records else None
        container: dict[str, object | None]
        if first is not None:
            container = xml.section_container(first, **extra)
        else:
            container = {"allowSync": 1, "identifier": xml.IDENTIFIER, **extra}
        container.update(size=len(page), totalSize=len(records), offset=start)
        return Reply(body=xml.document(container, "".join(parts)), items=len(page))

    def _metadata(self, request: Request) -> Reply:
        keys = [int(k) for k in request.groups[0].split(",")]
        found = [r for r in (self.library.get(k) for k in keys) if r is not None]
        if not found:
            raise NotFoundError(f"no item with ratingKey {request.groups[0]}")
        return self._items_reply(request, found, detail=True)

    def _parent(self, raw: str) -> AnyItem:
        record = self.library.get(int(raw))
        if record is None:
            raise NotFoundError(f"no item with ratingKey {raw}")
        return record

    def _children(self, request: Request) -> Reply:
        parent = self._parent(request.groups[0])
        lib = self.library
        records = [r for r in (lib.get(k) for k in lib.children_of(parent.rating_key)) if r]
        return self._items_reply(
            request,
            records,
            detail=False,
            key=parent.rating_key,
            parentTitle=parent.title,
            title2=parent.title,
            viewGroup="track" if parent.kind == "album" else "album",
        )

    def _leaves(self, request: Request) -> Reply:
        parent = self._parent(request.groups[0])
        lib = self.library
        records = [r for r in (lib.get(k) for k in lib.leaves_of(parent.rating_key)) if r]
        return self._items_reply(
            request,
            records,
            detail=False,
            key=parent.rating_key,
            parentTitle=parent.title,
            title2=parent.title,
            viewGroup="track",
        )

    def _rate(self, request: Request) -> Reply:
        if self.ignore_rate:
            check_rate(self.library, request.params)
            return Reply(items=0, rate_calls=1, ignored=1)
        _, result = apply_rate(
            self.library, request.params, now=self.now(), strictness=self.strictness
        )
        for item in result.rated:
            self.announce_rating(item, request.token)
        return Reply(items=0, ratings=result.ratings_written, rate_calls=1)

    def _edit(self, request: Request) -> Reply:
        section = self._section(request.groups[0])
        spec = parse_edit(request.pairs)
        for name in self.ignore_edit_fields & spec.fields.keys():
            # A server that answers 200 but drops the field (see Emulator's ignore_edit_fields).
            del spec.fields[name]
            spec.ignored.append(f"{name}.value")
        result = apply_edit(self.library, section, spec, now=self.now(), strictness=self.strictness)
        # Only with edit-sets-last-rated does an edit-form rating count as the person's rating
        # (apply_edit lists nothing otherwise): one event per item, as a person rating each.
        for item in result.rated:
            self.announce_rating(item, request.token)
        return Reply(
            ratings=result.ratings_written,
            tags_added=result.tags_added,
            tags_removed=result.tags_removed,
            tag_ops=result.tag_ops,
            ignored=len(result.ignored),
        )

    # ------------------------------------------------------------------------- hooks
    def _hook(
        self,
        handler: _Handler,
        method: str,
        path: str,
        pairs: Sequence[tuple[str, str]],
        body: bytes,
    ) -> None:
        if not self._authorized(handler, pairs):
            _send_json(handler, 401, {"error": "missing or wrong X-Plex-Token"})
            return
        name = path[len(HOOK_PREFIX) :].strip("/")
        if method == "GET" and name == "health":
            _send_json(handler, 200, {"ok": True, "down": self.faults.is_down()})
        elif method == "GET" and name == "stats":
            _send_json(handler, 200, self.stats.snapshot().to_dict())
        elif method == "GET" and name == "dump":
            _send_json(handler, 200, self.library.to_dict())
        elif method == "GET" and name == "requests":
            _send_json(handler, 200, [r.to_dict() for r in self.stats.requests()])
        elif method == "GET" and name == "load":
            backlog = self.backlog
            _send_json(
                handler,
                200,
                {
                    "on": self.latency.loads,
                    "backlog_seconds": backlog.seconds,
                    "peak_backlog_seconds": backlog.peak_seconds,
                    "peak_write_slowdown": backlog.peak_factor,
                    "median_write_slowdown": backlog.percentile(0.5),
                    "p95_write_slowdown": backlog.percentile(0.95),
                    "writes": len(backlog.write_factors),
                },
            )
        elif method == "POST" and name == "reset-stats":
            self.stats.reset()
            self.backlog.reset()
            _send_json(handler, 200, {"ok": True})
        elif method == "POST" and name == "faults":
            try:
                data = json.loads(body or b"null")
                plan = None if not data else FaultPlan.from_dict(data)
            except (ValueError, TypeError) as exc:
                _send_json(handler, 400, {"error": str(exc)})
                return
            self.faults.set_plan(plan)
            _send_json(handler, 200, {"ok": True, "faults": plan.to_dict() if plan else None})
        elif method == "POST" and name == "delete":
            try:
                keys = [int(k) for k in json.loads(body or b"[]")]
            except (ValueError, TypeError) as exc:
                _send_json(handler, 400, {"error": f"give a JSON list of rating keys: {exc}"})
                return
            with self.write_lock:
                removed = self.library.delete(keys)
            _send_json(handler, 200, {"ok": True, "deleted": removed})
        elif method == "POST" and name in ("down", "up"):
            self.faults.set_down(name == "down")
            _send_json(handler, 200, {"ok": True, "down": name == "down"})
        else:
            _send_json(handler, 404, {"error": f"unknown hook {method} {path}"})


def _sent_size(request: Request) -> int | None:
    try:
        return paging(request.params, request.headers).size
    except QueryError:
        return None


class _HeaderView(Mapping[str, str]):
    """Case-insensitive access to the request headers (paging reads X-Plex-Container-*)."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._headers = handler.headers

    def __getitem__(self, key: str) -> str:
        value = self._headers.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self._headers.get(key, default)

    def __iter__(self) -> Any:
        return iter(self._headers.keys())

    def __len__(self) -> int:
        return len(self._headers)


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    *,
    head: bool = False,
    extra: Mapping[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("X-Plex-Protocol", "1.0")
    for name, value in (extra or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if body and not head:
        handler.wfile.write(body)


def _damages_body(decision: Decision) -> bool:
    """Faults that damage an answer on its way (the request itself was served)."""
    return decision.kind in ("cut", "garble")


def _cut(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    """Promise the whole body, send part of it, close: the connection drops mid-answer."""
    handler.send_response(200)
    handler.send_header("Content-Type", XML)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("X-Plex-Protocol", "1.0")
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.write(body[: max(1, len(body) // 2)])
        handler.wfile.flush()
    _drop(handler)


def _send_json(handler: BaseHTTPRequestHandler, status: int, data: Any) -> None:
    _send(handler, status, json.dumps(data, ensure_ascii=False).encode(), JSON)


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without a response: the client sees the connection fail."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PlexMediaServer-emulator"
    sys_version = ""
    # Idle keep-alive connections are closed after this long, so their threads end.
    timeout = 120
    # Buffered writes send headers and body together (handle_one_request flushes after each
    # request); with Nagle off, a keep-alive client never waits on a delayed ACK.
    wbufsize = -1
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            # A client that refuses the certificate ends the handshake; setup then raises and
            # the server drops the connection quietly (handle_error).
            self.request.do_handshake()
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.app.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.app.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines would carry query strings; keep them out of the output entirely.
        return

    def do_GET(self) -> None:
        self.server.app.handle(self, "GET")

    def do_PUT(self) -> None:
        self.server.app.handle(self, "PUT")

    def do_POST(self) -> None:
        self.server.app.handle(self, "POST")

    def do_DELETE(self) -> None:
        self.server.app.handle(self, "DELETE")

    def do_HEAD(self) -> None:
        self.server.app.handle(self, "HEAD")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive connections would make server_close() wait for their threads forever; stop()
    # shuts those sockets down itself instead.
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: EmulatorApp) -> None:
        self.app = app
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is routine (timeouts, dropped connections).
        return
