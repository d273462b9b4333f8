"""Injected failures look to plexapi exactly like a failing real server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from plexapi.exceptions import BadRequest

from plexrate.emulator import Emulator, EmulatorLibrary, FaultPlan

pytestmark = pytest.mark.integration

Plex = Callable[..., Any]
Factory = Callable[..., Emulator]


def test_injected_500_surfaces_as_bad_request(emulator: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emulator)
    emulator.set_faults(FaultPlan(rate=1.0, kinds=("error",), max_faults=1))
    with pytest.raises(BadRequest, match=r"\(500\)"):
        plex.fetchItem(301)
    # max_faults=1: the retry succeeds.
    assert plex.fetchItem(301).ratingKey == 301
    assert emulator.stats().faults == {"error": 1}
    assert emulator.stats().by_status[500] == 1


def test_plexapi_hides_a_500_on_library_behind_its_sections_fallback(
    emulator: Emulator, plex_for: Plex
) -> None:
    plex = plex_for(emulator)
    emulator.set_faults(FaultPlan(rate=1.0, kinds=("error",), max_faults=1))
    # PlexServer.library treats any BadRequest from /library as "not the owner" and falls back
    # to /library/sections/: a client never sees this fault.
    assert plex.library.section("Music").key == 3
    assert [(r.path, r.status) for r in emulator.requests()][-3:] == [
        ("/library", 500),
        ("/library/sections/", 200),
        ("/library/sections", 200),
    ]


def test_dropped_connection_surfaces_as_connection_error(
    emulator: Emulator, plex_for: Plex
) -> None:
    plex = plex_for(emulator)
    emulator.set_faults(FaultPlan(rate=1.0, kinds=("drop",), max_faults=1))
    with pytest.raises(requests.exceptions.ConnectionError):
        plex.fetchItem(301)
    assert plex.fetchItem(301).ratingKey == 301


def test_timeout_fault_holds_the_request_past_the_client_timeout(
    emulator: Emulator, plex_for: Plex
) -> None:
    plex = plex_for(emulator, timeout=0.3)
    emulator.set_faults(FaultPlan(rate=1.0, kinds=("timeout",), timeout_seconds=1.5, max_faults=1))
    with pytest.raises(requests.exceptions.ReadTimeout):
        plex.fetchItem(301)
    assert emulator.stats().faults == {"timeout": 1}


@pytest.mark.parametrize(("applied", "expected"), [(1.0, 3.0), (0.0, None)])
def test_a_faulted_write_may_have_been_applied(
    emulator: Emulator, plex_for: Plex, applied: float, expected: float | None
) -> None:
    plex = plex_for(emulator)
    track = plex.fetchItem(301)
    emulator.set_faults(
        FaultPlan(rate=1.0, kinds=("error",), only="writes", applied_fraction=applied)
    )
    with pytest.raises(BadRequest):
        track.rate(3.0)
    assert emulator.library.rating(301) == expected
    # only="writes": reads keep working, so the client can read back and reconcile.
    assert plex.fetchItem(301).userRating == expected


def test_fault_decisions_are_seeded(
    small_library_dict: dict[str, Any], emulator_factory: Factory
) -> None:
    def pattern(seed: int) -> list[str | None]:
        emu = emulator_factory(
            EmulatorLibrary.from_dict(small_library_dict),
            faults=FaultPlan(rate=0.3, kinds=("error",), seed=seed),
        )
        session = requests.Session()
        for _ in range(40):
            session.get(f"{emu.url}/library/sections", headers={"X-Plex-Token": emu.token})
        return [r.fault for r in emu.requests()]

    first, again, other = pattern(7), pattern(7), pattern(8)
    assert first == again
    assert first != other
    assert 4 <= first.count("error") <= 20


def test_server_stops_answering_after_n_writes_until_it_comes_back(
    emulator: Emulator, plex_for: Plex
) -> None:
    plex = plex_for(emulator)
    tracks = [plex.fetchItem(k) for k in (301, 304, 305)]
    emulator.set_faults(FaultPlan(stop_after_writes=2))
    tracks[0].rate(5.0)
    tracks[1].rate(5.0)
    assert emulator.is_down
    with pytest.raises(requests.exceptions.ConnectionError):
        tracks[2].rate(5.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        plex.fetchItem(301)
    assert emulator.library.rating(305) is None
    emulator.come_back()
    tracks[2].rate(5.0)
    assert emulator.library.rating(305) == 5.0
    assert emulator.stats().faults == {"down": 2}


def test_go_down_and_come_back(emulator: Emulator, plex_for: Plex) -> None:
    plex = plex_for(emulator)
    emulator.go_down()
    with pytest.raises(requests.exceptions.ConnectionError):
        plex.library.section("Music")
    emulator.come_back()
    assert plex.library.section("Music").title == "Music"


def test_fault_plan_validation_and_round_trip() -> None:
    plan = FaultPlan(rate=0.2, kinds=("drop", "error"), seed=3, only="reads", max_faults=4)
    assert FaultPlan.from_dict(plan.to_dict()) == plan
    with pytest.raises(ValueError, match="rate"):
        FaultPlan(rate=1.5)
    with pytest.raises(ValueError, match="kinds"):
        FaultPlan(kinds=("explode",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown"):
        FaultPlan.from_dict({"rate": 0.1, "surprise": True})


def test_an_emulator_can_be_restarted(emulator: Emulator, plex_for: Plex) -> None:
    emulator.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url
    emulator.start()
    emulator.set_faults(FaultPlan(rate=1.0, kinds=("timeout",), timeout_seconds=0.3))
    started = time.perf_counter()
    with pytest.raises(requests.exceptions.ConnectionError):
        plex_for(emulator, timeout=5)
    # The stop event was cleared on restart, so the timeout fault really held the request.
    assert time.perf_counter() - started >= 0.3
