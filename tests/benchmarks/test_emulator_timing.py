"""The emulator's timing counters the benchmarks split wall time with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plexrate.emulator import Emulator, LatencyModel

Factory = Callable[..., Emulator]


def test_the_emulator_reports_modeled_latency_and_busy_time(
    emulator_factory: Factory, plex_for: Callable[..., Any]
) -> None:
    model = LatencyModel(per_request=0.01, per_item=0.001, per_rating=0.002, per_tag=0.003)
    emu = emulator_factory(tracks=200, latency=model)
    plex = plex_for(emu)
    music = plex.library.section(emu.section_title)
    emu.reset_stats()
    tracks = music.searchTracks(container_size=50)
    music.batchMultiEdits(tracks[:4]).editUserRating(6.0).addMood("X").saveMultiEdits()
    stats = emu.stats()
    listed = stats.items_returned
    expected = 0.01 * stats.reads + 0.001 * listed + 0.01 + 0.002 * 4 + 0.003 * 4
    assert stats.modeled_seconds == pytest.approx(expected)
    assert stats.busy_seconds >= stats.modeled_seconds
    emu.reset_stats()
    assert (emu.stats().modeled_seconds, emu.stats().busy_seconds) == (0.0, 0.0)
