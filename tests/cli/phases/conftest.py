"""Fixtures for the tests of ``run`` and the phase commands against an emulator."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from phases_cli import PhasesCli

from plexrate.emulator import EmulatorLibrary

CliFactory = Callable[..., PhasesCli]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray config.json, PLEXRATE_* variable or CI flag from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith(("PLEXRATE_", "PLEXAPI_")) or name == "CI":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PLEXAPI_PLEXAPI_AUTORELOAD", "false")
    monkeypatch.setenv("PLEXRATE_COOLDOWN_SLEEP", "0")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def state_root(tmp_path: Path) -> Iterator[Path]:
    """Where the state files go: in memory when the machine has /dev/shm.

    The StateStore commits with a full fsync twice per write request (docs/state.md); on a
    disk that is most of a run's time, and tests do not need the data to survive a power cut.
    """
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="plexrate-test-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cli_for(emulator_factory: Any, tmp_path: Path, state_root: Path) -> CliFactory:
    """``cli_for(library=None, *, tracks=None, seed=1, **emulator_kwargs)``: a running emulator
    and plexrate pointed at it, its state file in a folder of its own."""
    made = 0

    def make(library: EmulatorLibrary | None = None, **kwargs: Any) -> PhasesCli:
        nonlocal made
        made += 1
        emulator = emulator_factory(library, **kwargs)
        workdir = tmp_path / f"plexrate{made}"
        workdir.mkdir()
        state = state_root / f"state{made}"
        state.mkdir()
        return PhasesCli(
            emulator=emulator,
            workdir=workdir,
            env={
                "PLEXRATE_PLEX_URL": emulator.url,
                "PLEXRATE_PLEX_TOKEN": emulator.token,
                "PLEXRATE_STATE_PATH": str(state / "plexrate_state.sqlite"),
            },
        )

    return make


@pytest.fixture
def cli(cli_for: CliFactory) -> PhasesCli:
    """plexrate against a generated 400-track library."""
    return cli_for(tracks=400, seed=2)
