"""Pacing: adaptive by default (pauses only while Plex answers writes slower than idle), fixed
when COOLDOWN_BATCH/COOLDOWN_SLEEP are set (issue 19)."""

from __future__ import annotations

import pytest

from plexrate.plex.pacing import AdaptivePacing, FixedPacing, pacing_for


def test_no_cooldown_setting_means_adaptive_and_either_one_means_fixed() -> None:
    assert isinstance(pacing_for(None, None), AdaptivePacing)
    fixed = pacing_for(25, None)
    assert isinstance(fixed, FixedPacing) and (fixed.batch, fixed.sleep) == (25, 5.0)
    fixed = pacing_for(None, 2.0)
    assert isinstance(fixed, FixedPacing) and (fixed.batch, fixed.sleep) == (25, 2.0)
    off = pacing_for(10, 0)
    for _ in range(30):
        assert off.before_write() is None
        off.after_write(0.1, items=100)
    assert off.summary()["mode"] == "off"


def test_fixed_pacing_pauses_after_every_batch_of_requests() -> None:
    pacing = FixedPacing(batch=3, sleep=2.5)
    pauses = []
    for _ in range(10):
        pause = pacing.before_write()
        pauses.append(pause.seconds if pause else 0)
        pacing.after_write(0.01, items=500)
    assert pauses == [0, 0, 0, 2.5, 0, 0, 2.5, 0, 0, 2.5]
    assert pacing.summary() == {"mode": "fixed", "pauses": 3, "paused_seconds": 7.5}


def test_adaptive_pacing_never_pauses_while_plex_keeps_up() -> None:
    pacing = AdaptivePacing()
    for seconds in [1.2, 1.25, 1.18, 1.3, 1.22] * 20:
        assert pacing.before_write() is None
        pacing.after_write(seconds, items=1000)
    # Small writes are compared with small writes, not scaled down from the big ones.
    for seconds in (0.03, 0.031, 0.029):
        assert pacing.before_write() is None
        pacing.after_write(seconds, items=3)
    assert pacing.summary()["pauses"] == 0


def test_adaptive_pacing_pauses_once_answers_stay_slow_and_stops_when_they_recover() -> None:
    pacing = AdaptivePacing()
    for seconds, items in ((0.03, 1), (1.2, 1000), (0.031, 2)):  # idle: 30 ms + 1.17 ms/item
        pacing.after_write(seconds, items=items)
        assert pacing.before_write() is None
    pacing.after_write(2.4, items=1000)  # one slow answer: could be noise
    assert pacing.before_write() is None
    pacing.after_write(2.4, items=1000)  # a second in a row: load
    pause = pacing.before_write()
    assert pause is not None
    assert pause.seconds == pytest.approx(2 * (2.4 - 1.2), rel=0.01)
    assert "slower than idle" in pause.why
    assert pacing.before_write() is None  # paid
    for _ in range(5):
        pacing.after_write(1.25, items=1000)  # back near idle
        assert pacing.before_write() is None
    summary = pacing.summary()
    assert summary["pauses"] == 1
    assert summary["peak_slowdown"] > 1.5


def test_adaptive_pacing_ignores_a_single_slow_answer() -> None:
    pacing = AdaptivePacing()
    for seconds in (0.002, 0.04, 0.002, 0.002, 0.06, 0.002, 0.003):
        pacing.after_write(seconds, items=10)
        assert pacing.before_write() is None
