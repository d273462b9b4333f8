"""The load model: a single writer's backlog that slows answers while writes outpace it.

Issue 14: the server's response time grows while writes arrive faster than its single-writer
database drains them, and recovers when they stop. The preset's figures are derived from the
old tool's guide (``emulator/latency.py``; docs/emulator.md "Load").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from plexrate.emulator import Backlog, Emulator, EmulatorLibrary, LatencyModel, generate_library
from plexrate.emulator.latency import (
    BACKLOG_PER_ITEM,
    BACKLOG_PER_WRITE,
    OLD_TOOL_WRITE_INTERVAL,
    old_tool_workload,
)

Plex = Callable[..., Any]
Factory = Callable[..., Emulator]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _write_every(
    backlog: Backlog, model: LatencyModel, clock: Clock, *, gap: float, n: int, items: int
) -> list[float]:
    """``n`` writes of ``items`` values, one every ``gap`` seconds plus its own answer time;
    returns each write's slowdown."""
    factors = []
    for _ in range(n):
        factor = backlog.factor(model, write=True)
        factors.append(factor)
        clock.now += factor * model.write_cost(ratings=items, tags=0)
        backlog.add(model, items=items)
        clock.now += gap
    return factors


def test_answers_slow_down_while_writes_outpace_the_writer_and_recover_after() -> None:
    model = LatencyModel(
        per_request=0.02, per_rating=0.001, backlog_per_write=0.05, backlog_per_item=0.002
    )
    clock = Clock()
    backlog = Backlog(clock=clock)
    # 500 values per write leave 1.05 s of work; the client comes back after 0.52 s.
    factors = _write_every(backlog, model, clock, gap=0.0, n=30, items=500)
    assert factors[0] == 1.0
    assert factors[1] > 1.8  # slower as soon as work is queued
    assert backlog.peak_seconds > 1.0
    # The client is held to the writer's pace: its answer time converges on the work it leaves.
    assert factors[-1] * model.write_cost(ratings=500, tags=0) == pytest.approx(1.05, rel=0.1)
    clock.now += backlog.seconds + 0.01  # the writes stop; the queue drains
    assert backlog.factor(model, write=False) == 1.0


def test_a_pace_the_writer_keeps_up_with_leaves_answers_at_idle() -> None:
    model = LatencyModel(
        per_request=0.02, per_rating=0.001, backlog_per_write=0.05, backlog_per_item=0.002
    )
    clock = Clock()
    backlog = Backlog(clock=clock)
    # Leaving 1.05 s of work and giving the writer 1.05 s of quiet after each answer.
    factors = _write_every(backlog, model, clock, gap=1.05, n=30, items=500)
    assert max(factors) == pytest.approx(1.0)


def test_the_presets_load_is_calibrated_on_the_old_tools_pace() -> None:
    plex = LatencyModel.preset("plex")
    assert plex.loads and LatencyModel.preset("plex-conservative").loads
    assert not LatencyModel.preset("none").loads
    assert not plex.without_load().loads
    assert plex.per_tag == BACKLOG_PER_ITEM
    # The old tool's first run with its tag: its writes, one every OLD_TOOL_WRITE_INTERVAL.
    libraries = [generate_library(tracks=7500, seed=s) for s in (1, 2, 3)]
    intervals = []
    for library in libraries:
        workload = old_tool_workload(library, tags=True)
        intervals.append(plex.estimate(workload) / workload.writes)
    assert sum(intervals) / len(intervals) == pytest.approx(OLD_TOOL_WRITE_INTERVAL, rel=0.05)
    # At that pace a single-item write's background work is done before the next one comes:
    # the old tool never saw the load, so its guide's figures, fitted without it, still hold.
    assert plex.backlog_of(items=1) == pytest.approx(BACKLOG_PER_WRITE + BACKLOG_PER_ITEM)
    assert plex.backlog_of(items=1) <= OLD_TOOL_WRITE_INTERVAL
    clock = Clock()
    backlog = Backlog(clock=clock)
    gap = OLD_TOOL_WRITE_INTERVAL - plex.write_cost(ratings=0, tags=0, rate_calls=1)
    factors = []
    for _ in range(200):
        factors.append(backlog.factor(plex, write=True))
        clock.now += factors[-1] * plex.write_cost(ratings=0, tags=0, rate_calls=1)
        backlog.add(plex, items=1)
        clock.now += gap
    assert max(factors) < 1.1


@pytest.mark.integration
def test_over_http_a_burst_of_edits_slows_the_server_and_it_recovers(
    emulator_factory: Factory, small_library: EmulatorLibrary, plex_for: Plex
) -> None:
    model = LatencyModel(per_request=0.02, backlog_per_write=0.1, backlog_doubling=0.1)
    emu = emulator_factory(small_library, latency=model)
    plex = plex_for(emu)

    def edit(value: float) -> float:
        started = time.perf_counter()
        plex.query(
            f"/library/sections/3/all?id=301,304&type=10&userRating.value={value}",
            method=plex._session.put,
        )
        return time.perf_counter() - started

    first = edit(6.0)
    burst = [edit(v) for v in (2.0, 4.0, 6.0, 8.0)]
    assert burst[-1] > burst[0] > first  # it keeps growing while the edits keep coming
    assert burst[-1] > 2 * first
    assert emu.backlog.peak_factor > 2
    time.sleep(emu.backlog.seconds + 0.05)
    assert edit(4.0) < 1.5 * first + 0.01
    assert emu.library.rating(301) == 4.0
