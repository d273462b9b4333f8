"""Request counters and the /__emulator/ hooks a benchmark uses from another process."""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator, EmulatorStats, FaultPlan
from plexrate.emulator.remote import RemoteEmulator

pytestmark = pytest.mark.integration

Plex = Callable[..., Any]


def test_stats_count_each_kind_of_request_exactly(
    emulator: Emulator, plex_for: Plex, no_autoreload: None
) -> None:
    plex = plex_for(emulator)
    music = plex.library.section("Music")
    emulator.reset_stats()
    tracks = music.searchTracks(container_size=4)  # 3 pages of 10 tracks
    music.searchTracks(filters={"userRating>>": 0})  # filter setup (2) + 1 page
    tracks[0].rate(4.0)
    music.batchMultiEdits(tracks[:5]).addMood("X").saveMultiEdits()
    music.batchMultiEdits(tracks[:2]).removeMood("X").saveMultiEdits()
    stats = emulator.stats()
    assert stats.by_endpoint == {
        "GET /library/sections/{id}/all": 5,
        "GET /library/sections/{id}/collections": 1,
        "PUT /:/rate": 1,
        "PUT /library/sections/{id}/all": 2,
    }
    assert (stats.requests, stats.reads, stats.writes) == (9, 6, 3)
    assert stats.listings == {"track": 4, "artist": 1}
    assert stats.items_returned == 10 + 3
    assert (stats.ratings_written, stats.tags_added, stats.tags_removed) == (1, 5, 2)
    assert stats.by_status == {200: 9}
    emulator.reset_stats()
    assert emulator.stats() == EmulatorStats()


def test_hooks_report_stats_dump_and_requests(emulator: Emulator, plex_for: Plex) -> None:
    remote = RemoteEmulator(emulator.url, emulator.token)
    plex_for(emulator).fetchItem(301).rate(2.0)
    assert remote.stats() == emulator.stats()
    assert remote.stats().ratings_written == 1
    dump = remote.dump()
    assert dump == emulator.dump()
    tracks = {t["ratingKey"]: t for t in dump["sections"][1]["tracks"]}
    assert tracks[301]["userRating"] == 2.0
    log = remote.requests()
    assert [(r["method"], r["path"]) for r in log] == [
        ("GET", "/"),
        ("GET", "/library/metadata/301"),
        ("PUT", "/:/rate"),
    ]
    remote.reset_stats()
    assert remote.stats().requests == 0
    # Hook calls themselves are never counted as Plex traffic.
    assert emulator.stats().requests == 0


def _faults(emulator: Emulator) -> FaultPlan | None:
    # Read afresh: the hook changes the plan over HTTP, behind mypy's narrowing of the attribute.
    return emulator.faults


def test_hooks_set_faults_and_take_the_server_down(emulator: Emulator, plex_for: Plex) -> None:
    remote = RemoteEmulator(emulator.url, emulator.token)
    remote.set_faults(FaultPlan(rate=1.0, kinds=("error",)))
    assert emulator.faults == FaultPlan(rate=1.0, kinds=("error",))
    response = requests.get(
        f"{emulator.url}/library/sections", headers={"X-Plex-Token": emulator.token}, timeout=5
    )
    assert response.status_code == 500
    remote.set_faults(None)
    assert _faults(emulator) is None
    remote.go_down()
    assert remote.health() == {"ok": True, "down": True}
    with pytest.raises(requests.exceptions.ConnectionError):
        plex_for(emulator)
    remote.come_back()
    assert plex_for(emulator).friendlyName == "Test Server"


def test_hooks_need_the_token(emulator: Emulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        RemoteEmulator(emulator.url, "wrong").stats()
    assert info.value.code == 401
    response = requests.post(
        f"{emulator.url}/__emulator/faults",
        data=b'{"rate": 7}',
        headers={"X-Plex-Token": emulator.token},
        timeout=5,
    )
    assert response.status_code == 400
    assert "rate" in response.json()["error"]


def test_stats_survive_a_json_round_trip(emulator: Emulator, plex_for: Plex) -> None:
    plex_for(emulator).library.section("Music").totalViewSize(libtype="track")
    stats = emulator.stats()
    assert EmulatorStats.from_dict(stats.to_dict()) == stats
    assert stats.endpoint("GET /library/sections/{id}/all") == 1
