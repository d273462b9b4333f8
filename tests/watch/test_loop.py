"""The loop's decisions with fakes for Plex: when a cycle runs, and what it survives."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import pytest

from plexrate.errors import PlexAuthError, PlexUnreachable, StateLocked
from plexrate.watch.debounce import Debouncer
from plexrate.watch.events import Scope, WebhookEvent
from plexrate.watch.loop import Backoff, CycleResult, Trigger, WatchLoop
from plexrate.watch.poll import Fingerprint, Newest

SCOPE = Scope(server_uuid="m1", section_id=1)


def fingerprint(rated: int) -> Fingerprint:
    newest = Newest("1", "100", "8.0")
    return Fingerprint(rated, newest, 10, newest, 0)


def rate(key: int, value: float | None = 6.0, *, server: str = "m1") -> WebhookEvent:
    return WebhookEvent("media.rate", server, 1, "owner", 1, "track", (key, 20, 30), value)


class Harness:
    """Runs the loop until ``stop_after`` cycles, on a fake clock that only the loop's own
    waits move; ``script`` does one thing each time the loop asks whether to stop."""

    def __init__(self, *, stop_after: int) -> None:
        self.now = 0.0
        self.cycles: list[Trigger] = []
        self.stop_after = stop_after
        self.results: list[CycleResult] = []
        self.script: list[Callable[[], None]] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def should_stop(self) -> bool:
        if self.script:
            self.script.pop(0)()
        return len(self.cycles) >= self.stop_after

    def cycle(self, trigger: Trigger) -> CycleResult:
        self.cycles.append(trigger)
        return self.results.pop(0) if self.results else CycleResult()

    def loop(self, **given: Any) -> WatchLoop:
        """A loop on this harness (its cycles, stop rule and clock), connected to ``SCOPE``;
        ``given`` adds or replaces any of ``WatchLoop``'s arguments."""
        arguments: dict[str, Any] = {
            "connect": lambda: SCOPE,
            "cycle": self.cycle,
            "should_stop": self.should_stop,
            "clock": self.clock,
            "sleep": self.sleep,
        }
        return WatchLoop(**(arguments | given))

    def debouncer(self) -> Debouncer[WebhookEvent]:
        """3 s of quiet, 20 s at the longest, on this harness's clock."""
        return Debouncer(quiet=3, max_wait=20, clock=self.clock)


def test_polling_runs_a_cycle_only_when_the_probe_changes() -> None:
    h = Harness(stop_after=2)
    seen = iter([fingerprint(3)] * 6 + [fingerprint(4)] * 100)
    probes: list[Fingerprint] = []

    def probe() -> Fingerprint:
        probes.append(next(seen))
        return probes[-1]

    loop = h.loop(
        probe=probe,
        interval=5,
    )
    counters = loop.run()
    assert [t.reason for t in h.cycles] == ["start", "poll"]
    # The baseline before the start cycle, five idle polls, then the one that differed.
    assert len(probes) == 7 and counters.probes == 7
    # One more rated track, as many tracks and rated albums: a change of tracks alone.
    assert h.cycles[1].tracks_only


@pytest.mark.parametrize(
    ("after", "tracks_only"),
    [
        (Fingerprint(3, Newest("2", "200", "6.0"), 10, Newest("1", "100", "8.0"), 0), True),
        (Fingerprint(3, Newest("1", "100", "8.0"), 10, Newest("1", "100", "8.0"), 1), False),
        (Fingerprint(3, Newest("1", "100", "8.0"), 11, Newest("1", "100", "8.0"), 0), False),
    ],
    ids=["a track re-rated", "an album rated", "a track added"],
)
def test_a_poll_says_whether_only_tracks_changed(after: Fingerprint, tracks_only: bool) -> None:
    h = Harness(stop_after=2)
    seen = iter([fingerprint(3)] * 2 + [after] * 100)
    loop = h.loop(
        probe=lambda: next(seen),
        interval=5,
    )
    loop.run()
    assert [t.reason for t in h.cycles] == ["start", "poll"]
    assert h.cycles[1].tracks_only is tracks_only


def test_a_sweep_runs_a_cycle_when_nothing_else_did() -> None:
    """An album the person re-rated leaves the probe as it was; the sweep still reads it."""
    h = Harness(stop_after=3)
    probes: list[float] = []

    def probe() -> Fingerprint:
        probes.append(h.now)
        return fingerprint(3)

    loop = h.loop(
        probe=probe,
        interval=60,
        sweep=900,
    )
    loop.run()
    assert [t.reason for t in h.cycles] == ["start", "sweep", "sweep"]
    # Fifteen idle polls between two sweeps, each probe the same.
    assert 14 <= len(probes) / 2 <= 16
    assert h.now == pytest.approx(1800, abs=1)


def test_a_burst_of_webhooks_is_one_cycle_after_its_lone_first_and_echoes_are_not_the_persons() -> (
    None
):
    h = Harness(stop_after=3)
    events: queue.Queue[WebhookEvent] = queue.Queue()
    # The cycle for track 1 wrote 6.0 to track 5: Plex's media.rate for it is plexrate's own.
    h.results = [CycleResult(), CycleResult(written={5: 6.0})]
    h.script = (
        [lambda: None] * 2
        + [lambda k=k: events.put(rate(k)) for k in (1, 2, 3, 4)]
        + [lambda: events.put(rate(5)), lambda: events.put(rate(7, server="elsewhere"))]
    )
    counters = h.loop(events=events, debouncer=h.debouncer()).run()
    assert [t.reason for t in h.cycles] == ["start", "webhook", "webhook"]
    # The first came alone, so it went at once; the rest of the burst waited for quiet.
    assert [[e.rating_keys[0] for e in t.events] for t in h.cycles[1:]] == [[1], [2, 3, 4]]
    assert counters.ignored == 2


def test_a_lone_webhook_starts_a_cycle_within_a_tick() -> None:
    h = Harness(stop_after=2)
    events: queue.Queue[WebhookEvent] = queue.Queue()
    put_at: list[float] = []

    def put() -> None:
        put_at.append(h.now)
        events.put(rate(1))

    # Idle for a while after the start cycle, then one rating.
    h.script = [lambda: None] * 40 + [put]
    ran_at: list[float] = []

    def timed(trigger: Trigger) -> CycleResult:
        ran_at.append(h.now)
        return h.cycle(trigger)

    h.loop(events=events, debouncer=h.debouncer(), cycle=timed).run()
    assert [t.reason for t in h.cycles] == ["start", "webhook"]
    assert ran_at[1] - put_at[0] <= 0.25


def test_webhooks_that_came_during_a_cycle_wait_for_quiet() -> None:
    """They were not alone, only unseen while the cycle ran: a person rating an album track by
    track gets two cycles, not one per track."""
    h = Harness(stop_after=3)
    events: queue.Queue[WebhookEvent] = queue.Queue()
    ran_at: list[float] = []

    def cycle(trigger: Trigger) -> CycleResult:
        ran_at.append(h.now)
        if trigger.reason == "webhook" and len(ran_at) == 2:
            # Ratings 2 and 3 arrive while the first webhook's cycle runs (10 s of it).
            events.put(rate(2))
            events.put(rate(3))
            h.now += 10
        return h.cycle(trigger)

    h.script = [lambda: None] * 20 + [lambda: events.put(rate(1))]
    h.loop(events=events, debouncer=h.debouncer(), cycle=cycle).run()
    assert [[e.rating_keys[0] for e in t.events] for t in h.cycles[1:]] == [[1], [2, 3]]
    # Taken right after the cycle, they waited the quiet period from then.
    assert ran_at[2] - ran_at[1] == pytest.approx(13, abs=0.3)


@pytest.mark.parametrize(
    ("error", "after"),
    [(PlexUnreachable("Plex is away"), "reconnect"), (StateLocked("locked"), "poll")],
)
def test_plex_going_away_or_the_library_locked_is_waited_out(error: Exception, after: str) -> None:
    h = Harness(stop_after=2)
    failures = [error, error]
    messages: list[tuple[str, str]] = []
    probes: list[int] = []

    def probe() -> Fingerprint:
        probes.append(1)
        # Reached for the start cycle; then Plex is away for two polls, or a change is seen.
        if isinstance(error, PlexUnreachable) and h.cycles and failures:
            raise failures.pop()
        return fingerprint(1 if not h.cycles else 2)

    def cycle(trigger: Trigger) -> CycleResult:
        if isinstance(error, StateLocked) and h.cycles and failures:
            raise failures.pop()
        return h.cycle(trigger)

    loop = h.loop(
        cycle=cycle,
        probe=probe,
        interval=5,
        backoff=Backoff(first=1, ceiling=4),
        notify=lambda kind, message: messages.append((kind, message)),
    )
    counters = loop.run()
    assert [t.reason for t in h.cycles] == ["start", after]
    said = [f"{error}; trying again in 1s", f"{error}; trying again in 2s"]
    if isinstance(error, PlexUnreachable):
        # Away from the first failed poll to the connection after the second pause.
        said.append("Plex answers again (away for 3s)")
    assert [m for _, m in messages] == said
    assert [k for k, _ in messages][-1] == ("back" if after == "reconnect" else "locked")
    assert counters.outages == (2 if after == "reconnect" else 0)


def test_a_plex_never_reached_ends_the_watch_at_once() -> None:
    h = Harness(stop_after=1)

    def connect() -> Scope:
        raise PlexUnreachable("cannot reach a Plex server at http://127.0.0.1:9")

    loop = h.loop(
        connect=connect, cycle=h.cycle, should_stop=h.should_stop, clock=h.clock, sleep=h.sleep
    )
    with pytest.raises(PlexUnreachable):
        loop.run()
    assert h.cycles == []


def test_a_refused_token_ends_the_watch() -> None:
    h = Harness(stop_after=1)

    def connect() -> Scope:
        raise PlexAuthError("the Plex server refused the token")

    loop = h.loop(
        connect=connect, cycle=h.cycle, should_stop=h.should_stop, clock=h.clock, sleep=h.sleep
    )
    with pytest.raises(PlexAuthError):
        loop.run()
    assert h.cycles == []


def test_a_stopped_cycle_ends_the_loop() -> None:
    h = Harness(stop_after=5)
    h.results = [CycleResult(stopped=True)]
    loop = h.loop(
        probe=lambda: fingerprint(1),
        interval=1,
    )
    loop.run()
    assert len(h.cycles) == 1


def test_cycles_that_list_no_album_never_hold_off_the_sweep() -> None:
    """A play every few minutes starts a poll cycle that takes albums from the last read; the
    sweep, which lists them (an album re-rated in Plexamp), must still come every 15 minutes."""
    h = Harness(stop_after=40)
    plays = iter(range(1, 10_000))

    def probe() -> Fingerprint:
        # A new play on every probe: the probe always differs, in tracks alone.
        return Fingerprint(3, Newest("1", "100", "8.0"), 10, Newest(str(next(plays)), "1", "1"), 0)

    loop = h.loop(
        probe=probe,
        interval=60,
        sweep=900,
    )
    loop.run()
    reasons = [t.reason for t in h.cycles]
    assert reasons.count("poll") > 30 and all(t.tracks_only for t in h.cycles if t.reason == "poll")
    assert reasons.count("sweep") >= 2


def test_a_poll_with_webhooks_waiting_lists_every_album() -> None:
    """``--webhook --interval``: an album's webhook waiting for quiet is dropped for the poll's
    cycle, which must then read albums itself."""
    h = Harness(stop_after=2)
    events: queue.Queue[WebhookEvent] = queue.Queue()
    seen = iter([fingerprint(3)] + [fingerprint(4)] * 100)
    album = WebhookEvent("media.rate", "m1", 1, "owner", 1, "album", (20, 30), 8.0)

    def cycle(trigger: Trigger) -> CycleResult:
        if trigger.reason == "start":
            # Came while the start cycle ran: they wait 3 s for quiet; the poll comes first.
            events.put(album)
        return h.cycle(trigger)

    loop = h.loop(
        cycle=cycle,
        probe=lambda: next(seen),
        interval=1,
        events=events,
        debouncer=h.debouncer(),
    )
    loop.run()
    polls = [t for t in h.cycles if t.reason == "poll"]
    assert polls and not polls[0].tracks_only and polls[0].upper_hint() is None


@pytest.mark.parametrize(
    ("error", "after"),
    [(PlexUnreachable("Plex is away"), "reconnect"), (StateLocked("locked"), "poll")],
)
def test_a_retried_poll_lists_every_album(error: Exception, after: str) -> None:
    """The probe taken before the retry would hide a change in the count of rated albums."""
    h = Harness(stop_after=2)
    seen = iter([fingerprint(3)] * 2 + [fingerprint(4)] * 100)
    failures = [error]

    def cycle(trigger: Trigger) -> CycleResult:
        if h.cycles and failures:
            raise failures.pop()
        return h.cycle(trigger)

    loop = h.loop(
        cycle=cycle,
        probe=lambda: next(seen),
        interval=5,
        backoff=Backoff(first=1, ceiling=4),
    )
    loop.run()
    assert [t.reason for t in h.cycles] == ["start", after]
    assert h.cycles[1].upper_hint() is None
