"""The latency model: costs per request, item, rating and tag; serialized writes; the preset."""

from __future__ import annotations

import functools
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, LatencyModel, generate_library
from plexrate.emulator.latency import old_tool_workload

Plex = Callable[..., Any]
Factory = Callable[..., Emulator]


def test_cost_arithmetic_and_scale() -> None:
    model = LatencyModel(per_request=0.02, per_item=0.001, per_rating=0.01, per_tag=0.005)
    assert model.read_cost(10) == pytest.approx(0.03)
    assert model.write_cost(ratings=2, tags=4) == pytest.approx(0.06)
    assert model.scaled(0.5).read_cost(10) == pytest.approx(0.015)
    assert not LatencyModel.preset("none").enabled
    fast = LatencyModel.preset("plex", scale=0.1)
    assert fast.per_request == LatencyModel.preset("plex").per_request
    assert LatencyModel.preset("plex", scale=0.1).read_cost(0) == pytest.approx(0.0024)
    with pytest.raises(ValueError, match="preset"):
        LatencyModel.preset("fast")
    with pytest.raises(ValueError, match="negative"):
        LatencyModel(per_request=-1)


def test_plex_preset_reproduces_the_old_tools_measured_run_times() -> None:
    # Its guide: 7,500 tracks took 11:00 without tags and 17:30 with tags.
    model = LatencyModel.preset("plex")
    libraries = [generate_library(tracks=7500, seed=s) for s in (1, 2, 3)]
    plain = statistics.mean(model.estimate(old_tool_workload(lib, tags=False)) for lib in libraries)
    tagged = statistics.mean(model.estimate(old_tool_workload(lib, tags=True)) for lib in libraries)
    assert plain == pytest.approx(660, rel=0.05)
    assert tagged == pytest.approx(1050, rel=0.05)


def test_rate_calls_and_edit_form_ratings_are_charged_separately() -> None:
    model = LatencyModel(per_request=0.01, per_rate_call=0.1, per_rating=0.001, per_tag=0.002)
    assert model.write_cost(ratings=0, tags=0, rate_calls=1) == pytest.approx(0.11)
    assert model.write_cost(ratings=100, tags=100) == pytest.approx(0.31)
    plex = LatencyModel.preset("plex")
    conservative = LatencyModel.preset("plex-conservative")
    assert plex.per_rate_call == conservative.per_rate_call == conservative.per_rating
    assert plex.per_rating == plex.per_tag < conservative.per_rating


@pytest.mark.integration
def test_multi_edit_ratings_cost_per_rating_not_per_rate_call(
    emulator_factory: Factory, small_library: EmulatorLibrary, plex_for: Plex
) -> None:
    emu = emulator_factory(small_library, latency=LatencyModel(per_rate_call=0.5, per_rating=0.01))
    plex = plex_for(emu)
    started = time.perf_counter()
    plex.query(
        "/library/sections/3/all?id=301,304,305&type=10&userRating.value=6.0",
        method=plex._session.put,
    )
    assert time.perf_counter() - started < 0.4
    assert all(emu.library.rating(k) == 6.0 for k in (301, 304, 305))


@pytest.mark.integration
def test_reads_cost_per_request_and_per_item(
    emulator_factory: Factory, small_library: EmulatorLibrary, plex_for: Plex
) -> None:
    emu = emulator_factory(small_library, latency=LatencyModel(per_request=0.05, per_item=0.02))
    plex = plex_for(emu)
    started = time.perf_counter()
    plex.query("/library/sections/3/all?type=10", headers={"X-Plex-Container-Size": "100"})
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.05 + 10 * 0.02
    emu.set_latency("none")
    started = time.perf_counter()
    plex.query("/library/sections/3/all?type=10", headers={"X-Plex-Container-Size": "100"})
    assert time.perf_counter() - started < 0.2


@pytest.mark.integration
def test_writes_are_serialized_but_reads_are_not(
    emulator_factory: Factory, small_library: EmulatorLibrary, plex_for: Plex
) -> None:
    emu = emulator_factory(small_library, latency=LatencyModel(per_request=0.1, per_rate_call=0.05))
    tracks = [plex_for(emu).fetchItem(k) for k in (301, 304, 305)]

    def run_parallel(work: list[Callable[[], object]]) -> float:
        threads = [threading.Thread(target=w) for w in work]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started

    write_time = run_parallel([functools.partial(t.rate, 6.0) for t in tracks])
    assert write_time >= 3 * 0.15
    assert all(emu.library.rating(k) == 6.0 for k in (301, 304, 305))

    def fetch(key: int) -> object:
        return plex_for(emu).fetchItem(key)

    read_time = run_parallel([functools.partial(fetch, k) for k in (301, 304, 305)])
    # Each reader also pays for plexapi's GET / when connecting: two requests, in parallel.
    assert read_time < 3 * 0.1 + 0.15
