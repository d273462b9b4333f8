"""The debouncer on a fake clock: a burst flushes once, after a quiet moment or the longest wait."""

from __future__ import annotations

import pytest

from plexrate.watch.debounce import Debouncer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_nothing_pending_is_never_ready() -> None:
    clock = Clock()
    debouncer: Debouncer[int] = Debouncer(quiet=3, max_wait=20, clock=clock)
    assert debouncer.wait() is None and not debouncer.ready()
    clock.now += 100
    assert not debouncer.ready() and debouncer.take() == []


def test_a_burst_flushes_once_after_the_quiet_period() -> None:
    clock = Clock()
    debouncer: Debouncer[int] = Debouncer(quiet=3, max_wait=20, clock=clock)
    for n in range(10):
        debouncer.add(n)
        clock.now += 1  # one rating a second: never quiet for 3 s
        assert not debouncer.ready()
    assert debouncer.wait() == pytest.approx(2)
    clock.now += 2
    assert debouncer.ready()
    assert debouncer.take() == list(range(10))
    assert not debouncer.ready() and debouncer.pending == 0


def test_a_burst_that_never_pauses_flushes_at_the_longest_wait() -> None:
    clock = Clock()
    debouncer: Debouncer[int] = Debouncer(quiet=3, max_wait=20, clock=clock)
    flushed: list[list[int]] = []
    for n in range(60):
        debouncer.add(n)
        clock.now += 2
        if debouncer.ready():
            flushed.append(debouncer.take())
    assert len(flushed) == 6  # one every 20 s over 120 s of ratings
    assert [len(f) for f in flushed] == [10] * 6
    assert [n for burst in flushed for n in burst] == list(range(60))


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        Debouncer(quiet=5, max_wait=1)


def test_an_event_after_a_quiet_period_leads_and_the_next_ones_wait() -> None:
    clock = Clock()
    debouncer: Debouncer[int] = Debouncer(quiet=3, max_wait=20, clock=clock)
    debouncer.add(1, may_lead=True)
    assert debouncer.ready() and debouncer.take() == [1]
    clock.now += 1
    debouncer.add(2, may_lead=True)  # 1 s after the first: part of a burst
    assert not debouncer.ready()
    clock.now += 1
    debouncer.add(3, may_lead=True)
    assert debouncer.wait() == pytest.approx(3)
    clock.now += 3
    assert debouncer.take() == [2, 3]
    clock.now += 3
    debouncer.add(4, may_lead=True)  # quiet for 3 s since 3: alone again
    assert debouncer.ready() and debouncer.wait() == 0


def test_an_event_that_may_not_lead_waits_for_quiet_even_when_alone() -> None:
    clock = Clock()
    debouncer: Debouncer[int] = Debouncer(quiet=3, max_wait=20, clock=clock)
    debouncer.add(1)
    assert not debouncer.ready() and debouncer.wait() == pytest.approx(3)
    # Events joining a leading one are due with it.
    debouncer.take()
    clock.now += 10
    debouncer.add(2, may_lead=True)
    debouncer.add(3)
    assert debouncer.ready() and debouncer.take() == [2, 3]
