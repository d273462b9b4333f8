"""How fast plexrate writes: pauses that protect Plex without sleeping through the run.

Plex keeps its library in a database with a single writer (the old tool's guide: "Plex's internal
database management is single-threaded"). Writes sent faster than it settles them slow every
answer down, the person's Plex apps included. Two ways to pace:

- ``AdaptivePacing`` (the default: no ``COOLDOWN_*`` in the settings) watches how long Plex takes
  to answer each write, against what an idle Plex takes for a write of that size (learned from
  this run's fastest answers). When answers climb above ``threshold`` times idle, it pauses for
  the excess, so the backlog drains; while Plex keeps up, it never pauses.
- ``FixedPacing`` (``COOLDOWN_BATCH``/``COOLDOWN_SLEEP`` set) pauses ``sleep`` seconds after
  every ``batch`` write requests, as those settings have always meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

OLD_TOOL_COOLDOWN = (25, 5.0)
"""``COOLDOWN_BATCH``/``COOLDOWN_SLEEP`` as the old tool's ``config.json`` carries them: tuned
for one item per request, where plexrate sends up to ``WRITE_BATCH_SIZE``."""


@dataclass(frozen=True)
class Pause:
    seconds: float
    why: str
    """For the progress display: ``easing off 1.2s (Plex answers 1.8x slower)``."""


class Pacing(Protocol):
    def before_write(self) -> Pause | None:
        """A pause due before the next write request, if any."""

    def after_write(self, seconds: float, *, items: int) -> None:
        """One write request was answered after ``seconds``; it changed ``items`` items."""

    def summary(self) -> dict[str, Any]:
        """What pacing did in this run, for the summary and ``--json``."""


@dataclass
class FixedPacing:
    batch: int
    sleep: float
    _since_pause: int = 0
    _pauses: int = 0

    def before_write(self) -> Pause | None:
        if self.batch <= 0 or self.sleep <= 0 or self._since_pause < self.batch:
            return None
        self._since_pause = 0
        self._pauses += 1
        return Pause(self.sleep, f"cooling down {self.sleep:g}s (COOLDOWN_SLEEP)")

    def after_write(self, seconds: float, *, items: int) -> None:
        self._since_pause += 1

    def summary(self) -> dict[str, Any]:
        return {
            "mode": "fixed" if self.batch > 0 and self.sleep > 0 else "off",
            "pauses": self._pauses,
            "paused_seconds": round(self._pauses * self.sleep, 3),
        }


@dataclass
class AdaptivePacing:
    """Pauses while Plex answers writes slower than it does idle, for as long as the excess.

    The idle answer time of a write of ``n`` items is taken as ``a + b n``: ``a`` the fastest
    answer to a small write, ``b`` the least time per item of a larger one beyond ``a``, both
    lowest-so-far figures, which come from the moments the server was least busy (the first
    writes of a run follow only reads). Every answer slower than ``threshold`` times that adds
    its excess to a debt; once the debt reaches ``min_pause`` it is paid as a pause before the
    next write, so the writer gets as much quiet as the load cost, and a run against a server
    that keeps up never pauses.
    """

    threshold: float = 1.25
    """Count an answer this many times slower than idle as load. Measured by the client, an
    answer includes the network and the client's own parsing, which load does not slow, so
    the server itself is slower than this by the time it shows."""
    min_pause: float = 0.05
    """Shorter debts wait: a pause that short is lost in the noise of a busy machine."""
    min_excess: float = 0.005
    """An answer only a few milliseconds slower is the client's machine, not Plex's load."""
    max_pause: float = 30.0
    small: int = 3
    """Writes of at most this many items measure the per-request part ``a``."""
    gain: float = 2.0
    """Pause this many times the excess: the backlog behind a slow answer is larger than the
    slowdown of that one answer, and draining it brings answers back near idle."""
    smoothing: float = 0.3
    """Weight of the newest answer in the running slowdown. One slow answer (a busy machine, a
    garbage collection) is noise; load shows as answers slow one after another, so a debt
    starts only at the second slow answer in a row."""

    def __post_init__(self) -> None:
        self._a: float | None = None
        self._b: float | None = None
        self._first: tuple[float, int] | None = None
        self._debt = 0.0
        self._ratio = 1.0
        self._smoothed = 1.0
        self._slow_before = False
        self._boost = 1.0
        self.pauses = 0
        self.paused_seconds = 0.0
        self.peak_ratio = 1.0

    def idle(self, items: int) -> float | None:
        """The answer time expected from an idle server for a write of ``items``, once known."""
        if self._a is None and self._first is not None:
            seconds, n = self._first
            # Only big writes seen: take the first one as idle, all per item.
            return seconds * max(1, items) / max(1, n)
        if self._a is None:
            return None
        return self._a + (self._b or 0.0) * max(0, items - 1)

    def after_write(self, seconds: float, *, items: int) -> None:
        if self._first is None:
            self._first = (seconds, items)
        if items <= self.small:
            self._a = seconds if self._a is None else min(self._a, seconds)
        elif self._a is not None:
            per_item = max(0.0, seconds - self._a) / (items - 1)
            self._b = per_item if self._b is None else min(self._b, per_item)
        expected = self.idle(items)
        if expected is None or expected <= 0:
            return
        ratio = seconds / expected
        self._ratio = ratio
        self._smoothed += self.smoothing * (ratio - self._smoothed)
        self.peak_ratio = max(self.peak_ratio, self._smoothed)
        slow = ratio >= self.threshold and seconds - expected >= self.min_excess
        if slow and self._slow_before and self._smoothed >= self.threshold:
            self._debt += self.gain * self._boost * (seconds - expected)
        elif not slow:
            self._boost = 1.0
        self._slow_before = slow

    def before_write(self) -> Pause | None:
        if self._debt < self.min_pause:
            return None
        seconds, self._debt = min(self.max_pause, self._debt), 0.0
        # Still slow after a pause: the backlog is deeper than the excess shows; pause longer
        # until an answer comes back near idle (then the boost starts over).
        self._boost = min(8.0, self._boost * 1.5)
        self.pauses += 1
        self.paused_seconds += seconds
        return Pause(
            seconds,
            f"easing off {seconds:.1f}s (Plex answers {self._ratio:.1f}x slower than idle)",
        )

    def summary(self) -> dict[str, Any]:
        return {
            "mode": "adaptive",
            "pauses": self.pauses,
            "paused_seconds": round(self.paused_seconds, 3),
            "peak_slowdown": round(self.peak_ratio, 2),
        }


def pacing_for(batch: int | None, sleep: float | None) -> Pacing:
    """Fixed when either setting is given (the other takes the old default), else adaptive."""
    if batch is None and sleep is None:
        return AdaptivePacing()
    default_batch, default_sleep = OLD_TOOL_COOLDOWN
    return FixedPacing(
        batch=default_batch if batch is None else batch,
        sleep=default_sleep if sleep is None else sleep,
    )
