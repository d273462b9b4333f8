"""A Plex-compatible HTTP server with a synthetic music library, for tests, benchmarks and the demo.

Unmodified plexapi talks to it over real HTTP::

    lib = generate_library(tracks=2000, seed=1)       # or EmulatorLibrary.load(path)
    with Emulator(lib, token="test-token", latency="none") as emu:
        plex = PlexServer(emu.url, emu.token)
        ...
        emu.stats().writes, emu.library.rating(1234), emu.dump()

``docs/emulator.md`` describes the endpoints, the JSON library format, the latency presets, fault
injection and the measurement hooks.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterable
from types import TracebackType
from typing import Any

from plexrate.emulator.faults import FaultPlan
from plexrate.emulator.generator import generate_library
from plexrate.emulator.latency import Backlog, LatencyModel, old_tool_workload, resolve
from plexrate.emulator.library import SCHEMA, Added, AnyItem, EmulatorLibrary
from plexrate.emulator.misbehave import MISBEHAVIOURS, Misbehaviour
from plexrate.emulator.server import ROLES, EmulatorApp, Role, _Server
from plexrate.emulator.stats import EmulatorStats, RequestRecord
from plexrate.emulator.strictness import LENIENCIES, Strictness
from plexrate.emulator.tls import TlsFiles
from plexrate.emulator.webhooks import Delivery

__all__ = [
    "LENIENCIES",
    "MISBEHAVIOURS",
    "ROLES",
    "SCHEMA",
    "Added",
    "Backlog",
    "Delivery",
    "Emulator",
    "EmulatorLibrary",
    "EmulatorStats",
    "FaultPlan",
    "LatencyModel",
    "Misbehaviour",
    "RequestRecord",
    "Role",
    "Strictness",
    "TlsFiles",
    "generate_library",
    "old_tool_workload",
]


class Emulator:
    """One running emulator: an HTTP server in a background thread over ``library``.

    The library object is served live: ``emulator.library`` shows every write as it lands (use its
    locking accessors — ``rating``, ``item_tags``, ``item``, ``tagged`` — from tests).
    """

    def __init__(
        self,
        library: EmulatorLibrary,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: str | LatencyModel | None = "none",
        latency_scale: float = 1.0,
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.time,
        ignore_edit_fields: Collection[str] = (),
        ignore_rate: bool = False,
        lenient: Iterable[str] | Strictness | None = None,
        tls: TlsFiles | None = None,
        misbehave: Misbehaviour | None = None,
        webhooks: Iterable[str] = (),
    ) -> None:
        """``lenient`` names the real-server rules to switch off (``emulator.strictness``); by
        default the emulator is at least as strict as a real Plex server. ``tls`` serves HTTPS
        with that certificate (``TlsFiles.self_signed`` makes one for a plex.direct-style name);
        ``misbehave`` starts it misbehaving (see ``misbehave()``); ``webhooks`` are URLs to POST
        Plex webhooks to (``add_webhook``). ``clock`` stamps everything the emulator dates
        (ratings, additions, relative date filters): a fake one runs a day in seconds."""
        self.library = library
        self.token = token or secrets.token_urlsafe(16)
        self.tls = tls
        self._host = host
        self._port = port
        self._app = EmulatorApp(
            library,
            token=self.token,
            latency=resolve(latency, scale=latency_scale),
            faults=faults,
            clock=clock,
            ignore_edit_fields=ignore_edit_fields,
            ignore_rate=ignore_rate,
            strictness=Strictness.of(lenient),
        )
        self._app.misbehaviour = misbehave
        for url in webhooks:
            self._app.webhooks.add(url)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------- lifecycle
    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._app.stopping.clear()
        self._server = _Server((self._host, self._port), self._app)
        if self.tls is not None:
            # The handshake happens in each connection's own thread (_Handler.setup), so a
            # client that never completes one cannot stall the accepting thread.
            self._server.socket = self.tls.context().wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"plexrate-emulator:{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._app.stopping.set()
        server.shutdown()
        self._app.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._app.webhooks.close()
        self._server = None
        self._thread = None

    def wait(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set (the CLI sets it from its signal handlers)."""
        self.start()
        while not stop.wait(0.2):
            pass

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------------- identity
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        host = f"[{self._host}]" if ":" in self._host else self._host
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{self._port}"

    @property
    def section_title(self) -> str:
        return self.library.default_section.title

    @property
    def section_uuid(self) -> str:
        return self.library.default_section.uuid

    @property
    def section_key(self) -> int:
        return self.library.default_section.key

    # ------------------------------------------------------------------------- measurement
    def stats(self) -> EmulatorStats:
        return self._app.stats.snapshot()

    def reset_stats(self) -> None:
        self._app.stats.reset()
        self._app.backlog.reset()

    @property
    def backlog(self) -> Backlog:
        """The load model's queue: ``peak_factor`` is the largest slowdown of a write answer
        against idle since the last ``reset_stats``; ``seconds`` is the work queued now."""
        return self._app.backlog

    def requests(self) -> list[RequestRecord]:
        """The most recent requests (up to 20,000), oldest first, without the token."""
        return self._app.stats.requests()

    def dump(self) -> dict[str, Any]:
        """The library as it is now, in the JSON file format."""
        return self.library.to_dict()

    # ------------------------------------------------------------------------- behaviour
    @property
    def strictness(self) -> Strictness:
        """The real-server rules in force (``lenient`` names the ones switched off)."""
        return self._app.strictness

    @property
    def latency(self) -> LatencyModel:
        return self._app.latency

    def set_latency(self, latency: str | LatencyModel | None, *, scale: float = 1.0) -> None:
        self._app.latency = resolve(latency, scale=scale)

    @property
    def faults(self) -> FaultPlan | None:
        return self._app.faults.plan

    def set_faults(self, faults: FaultPlan | None) -> None:
        """Install a new fault plan (its seed restarts the decision stream); None clears it."""
        self._app.faults.set_plan(faults)

    def ignore_edits(self, fields: Collection[str] = (), *, rate: bool = False) -> None:
        """Answer writes as usual but drop ``{field}.value`` edits of ``fields`` (and, with
        ``rate``, every ``/:/rate``): a server that does not store what it accepts."""
        self._app.ignore_edit_fields = frozenset(fields)
        self._app.ignore_rate = rate

    def delete(self, rating_keys: Collection[int]) -> list[int]:
        """Delete items (and the albums and tracks under them) while serving, as Plex would."""
        with self._app.write_lock:
            return self.library.delete(list(rating_keys))

    # ------------------------------------------------------------------------- a person's changes
    # What a person does in Plex (or Plex's scanner does) while a client runs, stamped on the
    # emulator's clock unless ``at`` says otherwise; the same as EmulatorLibrary's methods, plus
    # the webhooks a real server would send.
    def now(self) -> int:
        """The emulator's clock, in epoch seconds (``clock`` given to the constructor)."""
        return self._app.now()

    def play(self, rating_key: int, *, at: int | None = None) -> None:
        """The person played a track: ``viewCount`` + 1, ``lastViewedAt`` (no webhook: plays
        send media.scrobble, which no plexrate listener wants)."""
        with self._app.write_lock:
            self.library.play(rating_key, at=self._at(at))

    def skip(self, rating_key: int, *, at: int | None = None) -> None:
        """The person skipped a track: ``skipCount`` + 1, ``lastSkippedAt``."""
        with self._app.write_lock:
            self.library.skip(rating_key, at=self._at(at))

    def person_rate(
        self, rating_key: int, value: float | None, *, at: int | None = None
    ) -> AnyItem:
        """The person rated an item in Plex (``None`` clears), as ``/:/rate`` does, and the
        ``media.rate`` webhook goes out. Returns a copy of the item as it is now."""
        with self._app.write_lock, self.library.lock:
            found = self.library.person_rate(
                rating_key, value, at=self._at(at), strictness=self._app.strictness
            )
            live = self.library.get(rating_key)
            assert live is not None
            self._app.announce_rating(live)
            return found

    def add_album(
        self,
        artist_key: int | None,
        *,
        tracks: int,
        at: int | None = None,
        seed: int = 0,
    ) -> Added:
        """Plex's scanner added an album (by a new artist when ``artist_key`` is None); one
        ``library.new`` webhook for the album goes out (none per track)."""
        with self._app.write_lock, self.library.lock:
            added = self.library.add_album(artist_key, tracks=tracks, at=self._at(at), seed=seed)
            album = self.library.get(added.album_key)
            assert album is not None
            self._app.announce_new(album)
            return added

    def rename_artist(self, rating_key: int, title: str, *, at: int | None = None) -> None:
        """An artist renamed in Plex (``EmulatorLibrary.rename_artist``); no webhook."""
        with self._app.write_lock:
            self.library.rename_artist(rating_key, title, at=self._at(at))

    def rematch_album(
        self,
        rating_key: int,
        *,
        at: int | None = None,
        rekey: bool = False,
        keep_guids: bool = False,
        title: str | None = None,
        seed: int = 0,
    ) -> dict[int, int]:
        """An album re-matched in Plex (``EmulatorLibrary.rematch_album``); no webhook."""
        with self._app.write_lock:
            return self.library.rematch_album(
                rating_key,
                at=self._at(at),
                rekey=rekey,
                keep_guids=keep_guids,
                title=title,
                seed=seed,
            )

    def _at(self, at: int | None) -> int:
        return self._app.now() if at is None else int(at)

    # ------------------------------------------------------------------------- webhooks
    def add_webhook(self, url: str) -> None:
        """POST Plex webhooks (``media.rate``, ``library.new``) to ``url`` from now on."""
        self._app.webhooks.add(url)

    @property
    def webhook_urls(self) -> list[str]:
        return self._app.webhooks.urls

    def webhook_deliveries(self) -> list[Delivery]:
        """Every event sent so far (up to 10,000), oldest first, with each receiver's answer."""
        return self._app.webhooks.deliveries()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until every event queued so far was delivered or given up on."""
        return self._app.webhooks.wait_idle(timeout)

    def before_answer(self, callback: Callable[[int], None] | None) -> None:
        """Call ``callback(n)`` when the n-th successful write has been applied, before its
        answer goes out and outside the server's write lock (None: stop calling).

        The client that sent the write waits meanwhile, so what the callback does over HTTP (a
        person rating items in Plex, ``tests/e2e/test_e2e_person.py``) lands exactly between
        that write and the client's next request. The callback's own writes call it again.
        """
        self._app.before_answer = callback

    def after_write(self, callback: Callable[[int], None] | None) -> None:
        """Call ``callback(n)`` after the n-th write request is answered (None: stop calling).

        For tests that change the library while a client writes (a person deleting an album in
        the middle of a run); the callback runs on the server's handler thread.
        """
        self._app.after_write = callback

    def add_account(self, token: str, role: Role = "shared") -> None:
        """Let ``token`` in as an account of ``role``: ``shared`` (a friend the library is shared
        with) or ``managed`` (a Plex Home user) may read and use ``/:/rate`` but their library
        edits and ``/accounts`` answer 401; ``owner`` may do everything. Ratings are kept once
        for all accounts (a real server keeps them per account)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
        self._app.accounts[token] = role

    def misbehave(
        self,
        name: str,
        *,
        endpoints: Collection[str] = (),
        target: str | None = None,
        after_writes: int = 0,
    ) -> None:
        """Answer like something that is not a sound Plex server, until ``behave()``: one of
        ``MISBEHAVIOURS`` (a redirect to ``target``, a web page, JSON, an empty or malformed
        answer, a 403 or a 404 for everything), for every request or only ``endpoints``
        (``GET /``, ``GET /library/sections/{id}/all``, …, as named in the request log), from
        the start or once ``after_writes`` writes were answered (``refuse_readbacks``)."""
        self._app.misbehaviour = Misbehaviour.of(
            name, endpoints=endpoints, target=target, after_writes=after_writes
        )

    def refuse_readbacks(self, how: str = "forbidden", *, after_writes: int = 1) -> None:
        """Once ``after_writes`` writes landed, answer every multi-id item read
        (``/library/metadata/…``, what a client reads back after writing) with ``how``:
        ``forbidden`` (403), ``empty``, ``malformed-xml``, ``not-plex`` (404), …"""
        self.misbehave(how, endpoints=("GET /library/metadata/{ids}",), after_writes=after_writes)

    def behave(self) -> None:
        self._app.misbehaviour = None

    def corrupt(self, rating_key: int, **attributes: str) -> None:
        """Render these attribute values on item ``rating_key`` in every answer (listings and
        details), e.g. ``corrupt(301, userRating="57.0")``: a server sending values plexrate
        must not trust. The library itself is unchanged; ``corrupt(key)`` clears it."""
        if attributes:
            self._app.overrides[rating_key] = dict(attributes)
        else:
            self._app.overrides.pop(rating_key, None)

    def go_down(self) -> None:
        """Stop answering: every Plex request's connection is closed without a response."""
        self._app.faults.set_down(True)

    def come_back(self) -> None:
        self._app.faults.set_down(False)

    @property
    def is_down(self) -> bool:
        return self._app.faults.is_down()
