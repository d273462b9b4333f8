"""Fixtures for the tests of ``run`` and the phase commands against an emulator."""

from __future__ import annotations

import os
from collections.abc import Callable
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
def cli_for(emulator_factory: Any, tmp_path: Path) -> CliFactory:
    """``cli_for(library=None, *, tracks=None, seed=1, **emulator_kwargs)``: a running emulator
    and plexrate pointed at it, its state file in a folder of its own (``cli.workdir``)."""
    made = 0

    def make(library: EmulatorLibrary | None = None, **kwargs: Any) -> PhasesCli:
        nonlocal made
        made += 1
        emulator = emulator_factory(library, **kwargs)
        workdir = tmp_path / f"plexrate{made}"
        (workdir / "state").mkdir(parents=True)
        return PhasesCli(
            emulator=emulator,
            workdir=workdir,
            env={
                "PLEXRATE_PLEX_URL": emulator.url,
                "PLEXRATE_PLEX_TOKEN": emulator.token,
                "PLEXRATE_STATE_PATH": str(workdir / "state" / "plexrate_state.sqlite"),
            },
        )

    return make


@pytest.fixture
def cli(cli_for: CliFactory) -> PhasesCli:
    """plexrate against a generated 400-track library."""
    return cli_for(tracks=400, seed=2)
