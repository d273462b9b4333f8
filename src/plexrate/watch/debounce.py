"""Wait for a burst to end before acting on it.

A person rating an album track by track sends one webhook per track, seconds apart; one cycle
after the last of them does the work of ten. ``quiet`` is how long nothing must arrive before
the burst counts as over; ``max_wait`` bounds how long the first event of a burst waits, so a
burst that never pauses (a long listening session rating as it goes) still gets its cycles.

An event that comes after ``quiet`` seconds without any (``add(..., may_lead=True)``) is due at
once: most ratings come alone, and waiting for a quiet period that has already passed only
delays them (3 of the 10 seconds a rating may take to reach its album, issue 23). What follows
it within ``quiet`` seconds is the next burst, so an album rated track by track costs two
cycles, the first of them at once. The caller says an event may not lead when it arrived while
a cycle ran: it was not alone, only unseen.
Pure: the clock is given, nothing sleeps here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

QUIET_SECONDS = 3.0
MAX_WAIT_SECONDS = 20.0


class Debouncer(Generic[T]):
    def __init__(
        self,
        *,
        quiet: float = QUIET_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if quiet < 0 or max_wait < quiet:
            raise ValueError("need 0 <= quiet <= max_wait")
        self.quiet = quiet
        self.max_wait = max_wait
        self._clock = clock
        self._items: list[T] = []
        self._first: float | None = None
        self._last: float | None = None
        self._seen: float | None = None
        """When the latest event was added, kept across ``take``: what "alone" is measured by."""
        self._lead = False

    def add(self, item: T, *, may_lead: bool = False) -> None:
        now = self._clock()
        if self._first is None:
            self._first = now
            self._lead = may_lead and (self._seen is None or now - self._seen >= self.quiet)
        self._last = self._seen = now
        self._items.append(item)

    @property
    def pending(self) -> int:
        return len(self._items)

    def due_at(self) -> float | None:
        """Clock time the burst is due, None when nothing is pending."""
        if self._first is None or self._last is None:
            return None
        if self._lead:
            return self._first
        return min(self._last + self.quiet, self._first + self.max_wait)

    def wait(self) -> float | None:
        """Seconds until the burst is due (0 when it is), None when nothing is pending."""
        due = self.due_at()
        return None if due is None else max(0.0, due - self._clock())

    def ready(self) -> bool:
        due = self.due_at()
        return due is not None and self._clock() >= due

    def take(self) -> list[T]:
        """The burst, emptied (whether or not it was due)."""
        items, self._items = self._items, []
        self._first = self._last = None
        self._lead = False
        return items
