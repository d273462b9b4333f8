"""Ctrl-C at a real terminal: Resume or Quit wherever a command is, answered at once.

Issue 19: Ctrl-C while the library was read quit at once with no question; during a cooldown
it answered only after the pause; at a ``config init`` prompt it exited 1. A server that took
connections but never answered left a blank screen for minutes, then named a 30 s timeout.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from plexrate.emulator import LatencyModel
from tests.e2e.e2e_support import one_line
from tests.support.cli import PlexrateCli
from tests.support.terminal import Terminal

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTION = "[R]esume or [Q]uit?"
# Generous against a loaded machine; the pauses they are compared with are 6 s and more.
ANSWER_WITHIN = 2.0


def _asked_after(terminal: Terminal) -> float:
    """Seconds from Ctrl-C to the question on screen."""
    before = terminal.output.count(QUESTION)
    sent = time.monotonic()
    terminal.signal(signal.SIGINT)
    terminal.wait_for(lambda: terminal.output.count(QUESTION) > before, timeout=30)
    seconds = time.monotonic() - sent
    print(f"Ctrl-C answered after {seconds:.3f}s")  # the figure, shown with pytest -s
    return seconds


def _end(terminal: Terminal, *, timeout: float = 60) -> int:
    try:
        return terminal.finish(timeout=timeout)
    finally:
        terminal.kill()


@pytest.mark.parametrize("answer", ["r", "q"])
def test_ctrl_c_while_the_library_is_read_asks_and_resume_carries_on(
    cli_for: Any, answer: str
) -> None:
    # 50 ms per request and pages of 50 items: reading 1,500 tracks takes a few seconds.
    cli: PlexrateCli = cli_for(tracks=1500, seed=4, latency=LatencyModel(per_request=0.05))
    terminal = cli.terminal("run", "--dry-run", env={"PLEXRATE_PAGE_SIZE": "50"})
    terminal.wait_for(lambda: "Reading tracks" in terminal.output)
    assert _asked_after(terminal) < ANSWER_WITHIN
    terminal.wait_for_read()
    terminal.send(answer + "\n")
    code = _end(terminal)
    output = one_line(terminal.output)
    if answer == "r":
        assert code == 0, output[-2000:]
        assert "Resuming." in output
        assert "Dry run: would rate" in output
    else:
        assert code == 130, output[-2000:]
        assert "Dry run: would rate" not in output
    assert cli.emulator.stats().writes == 0


def test_ctrl_c_during_a_pause_between_writes_asks_at_once_and_quit_ends_it(
    cli_for: Any,
) -> None:
    cli: PlexrateCli = cli_for(tracks=300, seed=6)
    pauses = {
        "PLEXRATE_COOLDOWN_BATCH": "2",
        "PLEXRATE_COOLDOWN_SLEEP": "6",
        "PLEXRATE_WRITE_BATCH_SIZE": "5",
    }
    terminal = cli.terminal("run", "--apply", env=pauses)
    terminal.wait_for(lambda: "cooling down 6s" in terminal.output, timeout=60)
    written = cli.emulator.stats().writes
    assert _asked_after(terminal) < ANSWER_WITHIN
    terminal.wait_for_read()
    quit_at = time.monotonic()
    terminal.send("q\n")
    code = _end(terminal)
    assert code == 130, terminal.output[-2000:]
    assert time.monotonic() - quit_at < ANSWER_WITHIN + 1  # the rest of the 6 s pause is cut
    assert cli.emulator.stats().writes == written
    assert cli.pending() == []
    assert "plexrate run --apply` again to carry on" in one_line(terminal.output)


def test_ctrl_c_at_a_config_init_prompt_exits_130(cli_for: Any) -> None:
    cli: PlexrateCli = cli_for(tracks=50, seed=1)
    terminal = cli.terminal(
        "config", "init", env={"PLEXRATE_PLEX_URL": None, "PLEXRATE_PLEX_TOKEN": None}
    )
    terminal.wait_for(lambda: "Plex server URL" in terminal.output)
    terminal.wait_for_read()
    terminal.signal(signal.SIGINT)
    code = _end(terminal, timeout=20)
    assert code == 130, terminal.output[-2000:]
    assert not (cli.workdir / "config.json").exists()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers (a hung server, a wrong service)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_server_that_never_answers_says_what_it_waits_for_and_how_long(
    cli_for: Any, silent_server: str
) -> None:
    cli: PlexrateCli = cli_for(tracks=50, seed=1)
    env = {"PLEXRATE_PLEX_URL": silent_server, "PLEXRATE_TIMEOUT": "1", "PLEXRATE_RETRIES": "2"}
    started = time.monotonic()
    terminal = cli.terminal("run", "--dry-run", env=env)
    terminal.wait_for(lambda: "attempt 2 of 3" in one_line(terminal.output), timeout=30)
    code = _end(terminal, timeout=60)
    waited = time.monotonic() - started
    output = one_line(terminal.output)
    assert code == 4, output[-2000:]
    assert "Waiting for Plex, attempt 2 of 3" in output
    assert "attempt 3 of 3" in output
    # The error names the time really spent (3 timeouts of 1 s and two pauses), not only 1 s.
    stated = float(output.split("waited ", 1)[1].split("s over 3 attempts", 1)[0])
    assert 3 <= stated <= waited


def test_ctrl_c_while_waiting_for_a_silent_server_asks_at_once(
    cli_for: Any, silent_server: str
) -> None:
    cli: PlexrateCli = cli_for(tracks=50, seed=1)
    env = {"PLEXRATE_PLEX_URL": silent_server, "PLEXRATE_TIMEOUT": "2", "PLEXRATE_RETRIES": "5"}
    terminal = cli.terminal("run", "--dry-run", env=env)
    terminal.wait_for(lambda: "attempt 2 of 6" in one_line(terminal.output), timeout=30)
    terminal.idle(0.8)  # past the 0.5 s pause, inside the second 2 s attempt
    assert _asked_after(terminal) < ANSWER_WITHIN
    terminal.wait_for_read()
    terminal.send("q\n")
    assert _end(terminal, timeout=10) == 130
