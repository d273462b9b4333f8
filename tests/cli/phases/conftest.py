"""Fixtures for the tests of ``run`` and the phase commands against an emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary
from tests.cli.phases.phases_cli import PhasesCli

CliFactory = Callable[..., PhasesCli]


@pytest.fixture(autouse=True)
def _isolated(cli_env: None) -> None:
    """Every test here runs in ``cli_env`` (tests/conftest.py)."""


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
