"""The ``watch`` loop: wait for a reason, run one cycle, survive Plex going away.

A cycle is a whole ``run --apply`` on a library read by its changes (the CLI supplies it), so its
result is the one a full run would give, and every rule of a run holds: the journal, undo, the
check before each write that leaves the person's ratings alone. This module only decides *when*:

- at the start (catching up with whatever happened while nothing watched);
- at once for a webhook that comes alone while nothing runs, and after a burst of webhooks has
  been quiet for a moment (``Debouncer``);
- when a poll's probe (``poll.probe``, three requests) differs from the one taken before the
  last cycle;
- after Plex came back from being unreachable;
- when no cycle ran for ``sweep`` seconds: the probe cannot see an album or artist the person
  re-rated (only a count of rated albums, which a re-rating leaves as it was) or a skip, and a
  webhook may be lost.

A cycle that wrote is followed by one more once the probe or plexrate's own webhooks show its
writes; that one reads them back, plans nothing and settles. Plex going away once it was reached
(``PlexUnreachable``) or another plexrate command holding the library (``StateLocked``) is waited
out with a growing pause; anything else, a Plex never reached included, ends the watch with its
error. Stopping is the caller's
``should_stop``, checked at least every ``TICK`` seconds; a signal during a cycle is handled by the
cycle itself (it stops between two write requests and closes its run in the journal).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from plexrate.errors import PlexUnreachable, StateLocked
from plexrate.watch.debounce import Debouncer
from plexrate.watch.events import EventType, Scope, WebhookEvent
from plexrate.watch.poll import Fingerprint

TICK = 0.25
"""Longest wait between two looks at ``should_stop``."""
ECHO_TOLERANCE = 0.05
"""Plex keeps one decimal: a rating event within this of what plexrate wrote is its own."""


@dataclass(frozen=True, slots=True)
class Trigger:
    reason: str
    """``start``, ``webhook``, ``poll``, ``sweep`` or ``reconnect``."""
    events: tuple[WebhookEvent, ...] = ()
    tracks_only: bool = False
    """A poll whose probe moved only in what it says of tracks (the rated ones, the newest
    rating or play): as many tracks and rated albums as before."""

    def upper_hint(self) -> frozenset[int] | None:
        """The artists and albums the cycle reads again, the rest coming from the last read: for
        a webhook cycle, those the person rated (a track's rating changes no album's or
        artist's); for a poll that saw tracks alone change, none. None, for a cycle that lists
        them all: any other trigger, a poll that saw the rated albums or the tracks counted
        differently, or an album added (a scan, read whole anyway). Listing every artist and
        album costs 39 requests and about 12 s at 300,000 tracks; a rating no webhook or probe
        showed (an album re-rated, an artist rated) waits for the sweep, which reads them from
        Plex (by their changes where the server filters them by date, docs/run.md)."""
        if self.reason == "poll" and self.tracks_only:
            return frozenset()
        if self.reason != "webhook" or not self.events:
            return None
        if any(event.event != EventType.RATE for event in self.events):
            return None
        return frozenset(
            event.rating_keys[0]
            for event in self.events
            if event.item_type in ("album", "artist") and event.rating_keys
        )


@dataclass(frozen=True, slots=True)
class CycleResult:
    stopped: bool = False
    """A signal stopped the cycle (its run is closed in the journal); the watch ends."""
    written: Mapping[int, float | None] = field(default_factory=dict)
    """Ratings the cycle wrote, by key: the webhooks they cause are not the person's."""


@dataclass
class Backoff:
    first: float = 2.0
    ceiling: float = 60.0
    _next: float = 0.0

    def delay(self) -> float:
        self._next = self.first if self._next == 0 else min(self._next * 2, self.ceiling)
        return self._next

    def reset(self) -> None:
        self._next = 0.0


@dataclass
class Counters:
    cycles: int = 0
    probes: int = 0
    events: int = 0
    ignored: int = 0
    outages: int = 0


Notify = Callable[[str, str], None]
"""``notify(kind, message)``: ``unreachable``, ``back`` (reached again after ``unreachable``),
``locked``, ``ignored``, ``event``."""


def _silent(kind: str, message: str) -> None:  # noqa: ARG001 - a Notify that says nothing
    return


class WatchLoop:
    def __init__(
        self,
        *,
        connect: Callable[[], Scope],
        cycle: Callable[[Trigger], CycleResult],
        should_stop: Callable[[], bool],
        probe: Callable[[], Fingerprint] | None = None,
        interval: float | None = None,
        sweep: float | None = None,
        events: queue.Queue[WebhookEvent] | None = None,
        debouncer: Debouncer[WebhookEvent] | None = None,
        backoff: Backoff | None = None,
        notify: Notify | None = None,
        once: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if probe is not None and (interval is None or interval <= 0):
            raise ValueError("polling needs an interval above 0")
        self._connect = connect
        self._cycle = cycle
        self._should_stop = should_stop
        self._probe = probe
        self._interval = interval or 0.0
        self._sweep = sweep if sweep is not None and sweep > 0 else None
        self._events = events
        self._debouncer = debouncer or Debouncer(clock=clock)
        self._backoff = backoff or Backoff()
        self._notify: Notify = notify or _silent
        self._once = once
        self._clock = clock
        self._sleep = sleep
        self._echoes: dict[int, float | None] = {}
        self._away_since: float | None = None
        """When Plex stopped answering, until a probe or cycle reaches it again."""
        self._cycle_ended = False
        """A cycle ended since events were last taken: those waiting came while it ran."""
        self.counters = Counters()

    # -------------------------------------------------------------------------------- events
    def _is_echo(self, event: WebhookEvent) -> bool:
        if event.event != EventType.RATE or not event.rating_keys:
            return False
        key = event.rating_keys[0]
        if key not in self._echoes:
            return False
        written = self._echoes[key]
        same = (
            event.rating is None
            if written is None
            else event.rating is not None and abs(event.rating - written) < ECHO_TOLERANCE
        )
        if same:
            del self._echoes[key]
        return same

    def _take_events(self, scope: Scope | None, wait: float) -> None:
        """Move arrived events into the debouncer, after waiting up to ``wait`` (at most a
        tick: the debouncer's quiet period makes quicker wake-ups pointless)."""
        if wait > 0:
            self._sleep(min(wait, TICK))
        if self._events is None:
            return
        # Events that came while a cycle ran were not alone, only unseen: they wait for quiet.
        may_lead, self._cycle_ended = not self._cycle_ended, False
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            self._accept(event, scope, may_lead=may_lead)

    def _accept(self, event: WebhookEvent, scope: Scope | None, *, may_lead: bool) -> None:
        self.counters.events += 1
        why = "plexrate's own write" if self._is_echo(event) else None
        if why is None and scope is not None:
            why = scope.why_ignored(event)
        if why is None and scope is None and event.event not in {e.value for e in EventType}:
            why = f"{event.event} is not an event plexrate acts on"
        if why is not None:
            self.counters.ignored += 1
            self._notify("ignored", f"ignored {event.describe()}: {why}")
            return
        # Before the first connection the scope is unknown; the event is kept, and the cycle
        # that connects reads whatever it hinted at anyway.
        self._notify("event", event.describe())
        self._debouncer.add(event, may_lead=may_lead)

    # -------------------------------------------------------------------------------- the loop
    def _reached(self) -> None:
        """A probe or cycle reached Plex: say so if it had been away."""
        if self._away_since is not None:
            away = self._clock() - self._away_since
            self._away_since = None
            self._notify("back", f"Plex answers again (away for {away:.0f}s)")

    def _probed(self) -> Fingerprint:
        assert self._probe is not None
        seen = self._probe()
        self.counters.probes += 1
        self._reached()
        return seen

    def _pause(self, seconds: float, scope: Scope | None) -> None:
        deadline = self._clock() + seconds
        while not self._should_stop():
            left = deadline - self._clock()
            if left <= 0:
                return
            self._take_events(scope, min(left, TICK))

    def run(self) -> Counters:
        scope: Scope | None = None
        connected = False
        pending: Trigger | None = Trigger("start")
        baseline: Fingerprint | None = None
        next_poll = self._clock() + self._interval
        next_sweep: float | None = None
        while not self._should_stop():
            try:
                if scope is None:
                    scope = self._connect()
                    connected = True
                self._take_events(scope, 0)
                fresh = False
                if pending is None and self._debouncer.ready():
                    pending = Trigger("webhook", tuple(self._debouncer.take()))
                if pending is None and next_sweep is not None and self._clock() >= next_sweep:
                    pending = Trigger("sweep")
                if pending is None and self._probe is not None and self._clock() >= next_poll:
                    seen = self._probed()
                    next_poll = self._clock() + self._interval
                    fresh = True
                    if seen != baseline:
                        pending = Trigger(
                            "poll",
                            # Webhooks waiting (an album's among them) are dropped for a cycle
                            # that lists everything.
                            tracks_only=baseline is not None
                            and not self._debouncer.pending
                            and (seen.tracks, seen.rated_albums)
                            == (baseline.tracks, baseline.rated_albums),
                        )
                    baseline = seen
                if pending is not None:
                    if self._probe is not None and not fresh:
                        # Taken before the cycle reads, so whatever changes after is seen.
                        baseline = self._probed()
                        next_poll = self._clock() + self._interval
                    if pending.reason != "webhook":
                        # Events of the burst are covered by a cycle that reads anyway.
                        self._debouncer.take()
                    try:
                        result = self._cycle(pending)
                    finally:
                        self._cycle_ended = True
                    self.counters.cycles += 1
                    self._reached()
                    if self._sweep is not None and pending.upper_hint() is None:
                        # Only a cycle that read artists and albums from Plex stands for a
                        # sweep: cycles that took them from the last read never hold it off.
                        next_sweep = self._clock() + self._sweep
                    pending = None
                    self._backoff.reset()
                    self._echoes = dict(result.written)
                    if result.stopped or self._once:
                        return self.counters
                    continue
            except (PlexUnreachable, StateLocked) as exc:
                if self._once or (isinstance(exc, PlexUnreachable) and not connected):
                    # One cycle asked for: its failure is the answer. And a Plex never reached
                    # is more likely a wrong PLEX_URL than an outage: said at once, as by every
                    # command (a service manager restarts the watch if it was an outage).
                    raise
                delay = self._backoff.delay()
                if isinstance(exc, StateLocked):
                    self._notify("locked", f"{exc.message}; trying again in {delay:g}s")
                else:
                    self.counters.outages += 1
                    self._notify("unreachable", f"{exc.message}; trying again in {delay:g}s")
                    scope = None
                    if self._away_since is None:
                        self._away_since = self._clock()
                # Whatever happened meanwhile is read by the cycle after the pause: in full after
                # an outage (no webhook came while Plex was away), and with the albums listed
                # after a lock (the probe taken before the retry hides a change of their count).
                if pending is None or isinstance(exc, PlexUnreachable):
                    pending = Trigger("reconnect", pending.events if pending else ())
                else:
                    pending = replace(pending, tracks_only=False)
                self._pause(delay, scope)
                continue
            waits: Sequence[float] = [
                w
                for w in (
                    self._debouncer.wait(),
                    (next_poll - self._clock()) if self._probe is not None else None,
                    (next_sweep - self._clock()) if next_sweep is not None else None,
                    TICK,
                )
                if w is not None
            ]
            self._take_events(scope, max(0.0, min(waits)))
        return self.counters
