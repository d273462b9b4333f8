"""Pacing end to end: the default adapts to a loaded server; the old tool's 25/5 gets a notice.

The emulator's load model (docs/emulator.md, "Load") is set heavy here, so that writes sent as
fast as plexrate can send them make the server answer several times slower than idle.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from plexrate.emulator import LatencyModel
from tests.e2e.e2e_support import one_line
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEAVY = LatencyModel(
    per_request=0.02,
    per_rating=0.0005,
    per_tag=0.0005,
    backlog_per_write=0.16,
    backlog_per_item=0.001,
    backlog_doubling=0.2,
)


def _first_run(cli: PlexrateCli, **env: str | None) -> tuple[dict[str, Any], float]:
    """The run's document, and the median slowdown of its write answers against idle."""
    result = cli.invoke("run", "--apply", "--yes", "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), cli.emulator.backlog.percentile(0.5)


def test_the_default_pacing_keeps_a_loaded_server_near_idle_and_unpaced_does_not(
    cli_for: Any,
) -> None:
    unpaced_cli = cli_for(tracks=1500, seed=2, latency=HEAVY)
    adaptive_cli = cli_for(tracks=1500, seed=2, latency=HEAVY)

    unpaced, unpaced_peak = _first_run(unpaced_cli, PLEXRATE_COOLDOWN_SLEEP="0")
    adaptive, adaptive_peak = _first_run(adaptive_cli, PLEXRATE_COOLDOWN_SLEEP=None)

    print(f"median write slowdown: unpaced {unpaced_peak:.2f}, adaptive {adaptive_peak:.2f}")
    assert unpaced["pacing"]["mode"] == "off"
    assert unpaced_peak > 2.5
    assert adaptive["pacing"]["mode"] == "adaptive"
    assert adaptive["pacing"]["pauses"] > 0
    assert unpaced_peak > 2.5
    assert adaptive_peak < 0.75 * unpaced_peak
    assert adaptive["written"] == unpaced["written"] > 0


def test_a_server_that_keeps_up_is_hardly_ever_paused(cli_for: Any) -> None:
    cli = cli_for(tracks=1500, seed=2, latency=HEAVY.without_load())
    started = time.monotonic()
    document, median = _first_run(cli, PLEXRATE_COOLDOWN_SLEEP=None)
    elapsed = time.monotonic() - started
    assert document["pacing"]["mode"] == "adaptive"
    assert cli.emulator.backlog.peak_factor == median == 1.0  # the server was never loaded
    # Only noise (the emulator shares this process) can pause it, and only briefly.
    assert document["pacing"]["paused_seconds"] < 0.05 * elapsed


def test_the_old_tools_25_and_5_get_a_notice_once_with_what_they_cost(cli_for: Any) -> None:
    cli = cli_for(tracks=600, seed=3)
    config = cli.workdir / "config.json"
    config.write_text(json.dumps({"COOLDOWN_BATCH": 25, "COOLDOWN_SLEEP": 5}), "utf-8")
    env = {"PLEXRATE_COOLDOWN_SLEEP": None, "PLEXRATE_COOLDOWN_BATCH": "0"}
    # The variables win over the file; without them the file's 25/5 apply.
    plain = cli.invoke("run", "--dry-run", "--config", str(config), env=env)
    assert "old tool's values" not in one_line(plain.stderr)

    env = {"PLEXRATE_COOLDOWN_SLEEP": None}
    dry = cli.invoke("run", "--dry-run", "--config", str(config), env=env)
    notice = one_line(dry.stderr)
    assert "COOLDOWN_BATCH 25 and COOLDOWN_SLEEP 5" in notice
    assert "tuned for one item per write request" in notice
    assert "remove both keys" in notice
    applied = cli.invoke(
        "run",
        "--apply",
        "--yes",
        "--config",
        str(config),
        env={**env, "PLEXRATE_COOLDOWN_SLEEP": "0.01"},
    )
    assert applied.exit_code == 0, applied.output
    # COOLDOWN_SLEEP from the environment: not the old tool's file, no notice.
    assert "old tool's values" not in one_line(applied.stderr)
    first = cli.invoke("admin", "undo", "--apply", "--yes", "--config", str(config), env=env)
    assert first.exit_code == 0, first.output
    assert "old tool's values" in one_line(first.stderr)
    second = cli.invoke("run", "--dry-run", "--config", str(config), env=env)
    assert "old tool's values" not in one_line(second.stderr)  # once is enough
