"""Fixtures for the tests of ``run`` and the phase commands against an emulator."""

from __future__ import annotations

import pytest

from tests.support.cli import CliFactory, PlexrateCli


@pytest.fixture(autouse=True)
def _isolated(cli_env: None) -> None:
    """Every test here runs in ``cli_env`` (tests/conftest.py)."""


@pytest.fixture
def cli(cli_for: CliFactory) -> PlexrateCli:
    """plexrate against a generated 400-track library."""
    return cli_for(tracks=400, seed=2)
