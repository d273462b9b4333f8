"""Fixtures for the end-to-end tests: plexrate's CLI against emulators over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary
from tests.e2e.e2e_support import PlexrateCli

CliFactory = Callable[..., PlexrateCli]


@pytest.fixture(autouse=True)
def _isolated(cli_env: None) -> None:
    """Every test here runs in ``cli_env`` (tests/conftest.py)."""


@pytest.fixture
def cli_for(emulator_factory: Any, tmp_path: Path, state_root: Path) -> Iterator[CliFactory]:
    """``cli_for(library=None, *, tracks=None, seed=1, **emulator_kwargs)``: a running emulator
    and plexrate pointed at it, with its own state file in its own folder."""
    made: list[PlexrateCli] = []

    def make(library: EmulatorLibrary | None = None, **kwargs: Any) -> PlexrateCli:
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
            },
        )
        made.append(cli)
        return cli

    yield make
    for cli in made:
        cli.close()
