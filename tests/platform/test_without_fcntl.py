"""plexrate without ``fcntl``, as on Windows: real processes against the emulator.

The run writes, reruns with nothing left to do and undoes; a second writer is refused while a
holder lives and admitted once the holder is killed, so the lock works without ``fcntl`` and a
killed holder does not leave it stale.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.emulator import Emulator
from tests.platform.unattended import run_unattended

LAUNCHER = Path(__file__).with_name("no_fcntl.py")

pytestmark = pytest.mark.integration


def _env(emulator: Emulator, state: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(("PLEXRATE_", "PLEXAPI_")) and name != "CI"
    }
    env.update(
        PLEXRATE_PLEX_URL=emulator.url,
        PLEXRATE_PLEX_TOKEN=emulator.token,
        PLEXRATE_STATE_PATH=str(state),
        PLEXRATE_COOLDOWN_SLEEP="0",
        PLEXAPI_PLEXAPI_AUTORELOAD="false",
        NO_COLOR="1",
        COLUMNS="200",
    )
    return env


def _plexrate(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_unattended([sys.executable, str(LAUNCHER), *args], env=env, cwd=cwd)


@pytest.fixture
def served(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(tracks=300, seed=3)


def test_the_whole_cycle_runs_without_fcntl(served: Emulator, tmp_path: Path) -> None:
    env = _env(served, tmp_path / "state.sqlite")

    coverage = _plexrate(env, tmp_path, "report", "coverage", "--json")
    assert coverage.returncode == 0, coverage.stderr
    assert json.loads(coverage.stdout)

    first = _plexrate(env, tmp_path, "run", "--apply", "--yes", "--json")
    assert first.returncode == 0, first.stderr
    written = json.loads(first.stdout)
    assert written["status"] == "completed"
    assert written["written"] > 0
    assert written["failed"] == 0

    again = _plexrate(env, tmp_path, "run", "--apply", "--yes", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["written"] == 0

    undo = _plexrate(env, tmp_path, "admin", "undo", "--yes", "--json")
    assert undo.returncode == 0, undo.stderr
    assert "fcntl" not in first.stderr + again.stderr + undo.stderr


def test_the_lock_works_and_a_killed_holder_frees_it_without_fcntl(
    served: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    env = _env(served, state)
    holder = subprocess.Popen(
        [sys.executable, str(LAUNCHER), "hold", str(state), served.section_uuid],
        # cron, systemd and the Task Scheduler give no input; nor do these tests.
        stdin=subprocess.DEVNULL,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stderr is not None
    try:
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read()
        refused = _plexrate(env, tmp_path, "run", "--apply", "--yes")
        assert refused.returncode == 1, refused.stderr
        message = " ".join(refused.stderr.split())
        assert "in use by another plexrate process" in message
        assert f"pid {holder.pid}" in message
        assert "'holder hold'" in message
        assert "Traceback" not in refused.stderr
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
        holder.stderr.close()

    admitted = _plexrate(env, tmp_path, "run", "--apply", "--yes", "--json")
    assert admitted.returncode == 0, admitted.stderr
    assert json.loads(admitted.stdout)["written"] > 0


def test_plexrate_imports_no_posix_only_module(tmp_path: Path) -> None:
    """Importing every plexrate module pulls in none of the modules Windows lacks."""
    code = (
        "import importlib, pkgutil, sys\n"
        "for name in ('fcntl', 'termios', 'pwd', 'grp', 'resource', 'pty'):\n"
        "    sys.modules[name] = None\n"
        "import plexrate\n"
        "for info in pkgutil.walk_packages(plexrate.__path__, 'plexrate.'):\n"
        "    importlib.import_module(info.name)\n"
        "print('ok')\n"
    )
    done = run_unattended([sys.executable, "-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
