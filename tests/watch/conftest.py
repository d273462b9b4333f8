"""Fixtures of the watch tests: an emulator with plexrate pointed at it (``watched_for``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary
from tests.support.cli import CliFactory
from tests.watch.watch_support import SECRET, Watched


@pytest.fixture(autouse=True)
def _isolated(cli_env: None) -> None:
    """Every test here runs in ``cli_env`` (tests/conftest.py)."""


@pytest.fixture
def watched_for(cli_for: CliFactory) -> Callable[..., Watched]:
    """``watched_for(library, **emulator_kwargs)``: an emulator and plexrate pointed at it."""

    def make(library: EmulatorLibrary, **kwargs: Any) -> Watched:
        env = {"PLEXRATE_WATCH_SECRET": SECRET, "PLEXRATE_LOG_FILE": os.devnull}
        return Watched(cli_for(library, env=env, **kwargs))

    return make
