"""Progress bars: drawn on a terminal, absent under --quiet, --json, CI and pipes.

The processes run on a pseudo-terminal (or with pipes) against an emulator in this process;
what the terminal shows is collected and searched for the phase descriptions and counts.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.terminal import Terminal

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRACKS = 300
BAR = "━"
COUNT = re.compile(r"\b(\d+)/\1\b")  # a finished bar: "125/125"


def finished(terminal: Terminal) -> str:
    try:
        code = terminal.finish()
    finally:
        terminal.kill()
    assert code == 0, terminal.output[-2000:]
    return terminal.output


def test_a_real_run_on_a_terminal_draws_a_bar_per_phase(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=6)
    pauses = {"PLEXRATE_COOLDOWN_BATCH": "30", "PLEXRATE_COOLDOWN_SLEEP": "0.3"}

    output = finished(cli.terminal("run", "--apply", env=pauses))

    for description in (
        "Reading artists",
        "Reading albums",
        "Reading tracks",
        "Album up: writing",
        "Artist up: writing",
        "Album down: writing",
        "Track down: writing",
        "Twins: writing",
    ):
        assert description in output
    assert BAR in output
    assert COUNT.search(output)
    assert f"{TRACKS}/{TRACKS}" in output  # the tracks listing, counted
    assert "%" in output
    assert "cooling down 0.3s (COOLDOWN_SLEEP)" in output
    assert "Wrote " in output  # then the summary


def test_no_progress_under_quiet_json_ci_or_a_pipe(cli_for: Any) -> None:
    clis = [cli_for(tracks=TRACKS, seed=6) for _ in range(4)]
    # Started together: the processes' start-up is most of the time.
    terminals = {
        "quiet": clis[0].terminal("run", "--apply", "--quiet"),
        "json": clis[1].terminal("run", "--apply", "--json"),
        "ci": clis[2].terminal("run", "--apply", env={"CI": "true"}),
    }
    piped = clis[3].popen("run", "--apply")
    try:
        outputs = {name: finished(terminal) for name, terminal in terminals.items()}
        out, err = piped.communicate(timeout=60)
    finally:
        for terminal in terminals.values():
            terminal.kill()
        if piped.poll() is None:
            piped.kill()
            piped.wait()
    assert piped.returncode == 0, err
    outputs["pipe"] = err

    for name, output in outputs.items():
        assert BAR not in output, name
        assert "Reading" not in output and ": writing" not in output, name
        assert "\x1b[?25l" not in output, name  # rich hides the cursor while a bar is live
    assert outputs["quiet"].strip() == ""  # --quiet: no summary either
    assert json.loads(outputs["json"].replace("\r\n", "\n"))["status"] == "completed"
    assert "Wrote " in outputs["ci"]
    assert "Wrote " in err
    assert "\x1b[" not in err
    assert out == ""
    assert all(cli.emulator.stats().writes > 0 for cli in clis)
