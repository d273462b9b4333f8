"""The end-to-end tests run plexrate's CLI against emulators over real HTTP (``cli_for`` in
tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(cli_env: None) -> None:
    """Every test here runs in ``cli_env`` (tests/conftest.py)."""
