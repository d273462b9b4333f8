"""Fixtures of the watch tests: an emulator with plexrate pointed at it (``watched_for``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary
from tests.e2e.e2e_support import PlexrateCli
from tests.watch.watch_support import SECRET, Watched


@pytest.fixture(autouse=True)
def _isolated(cli_env: None) -> None:
    """Every test here runs in ``cli_env`` (tests/conftest.py)."""


@pytest.fixture
def watched_for(
    emulator_factory: Any, tmp_path: Path, state_root: Path
) -> Iterator[Callable[..., Watched]]:
    """``watched_for(library, **emulator_kwargs)``: an emulator and plexrate pointed at it."""
    made: list[PlexrateCli] = []

    def make(library: EmulatorLibrary, **kwargs: Any) -> Watched:
        number = len(made) + 1
        emulator = emulator_factory(library, **kwargs)
        workdir = tmp_path / f"plexrate{number}"
        workdir.mkdir()
        state = state_root / f"state{number}"
        state.mkdir()
        cli = PlexrateCli(
            emulator=emulator,
            workdir=workdir,
            env={
                "PLEXRATE_PLEX_URL": emulator.url,
                "PLEXRATE_PLEX_TOKEN": emulator.token,
                "PLEXRATE_STATE_PATH": str(state / "plexrate_state.sqlite"),
                "PLEXRATE_WATCH_SECRET": SECRET,
                "PLEXRATE_LOG_FILE": os.devnull,
            },
        )
        made.append(cli)
        return Watched(cli)

    yield make
    for cli in made:
        cli.close()
