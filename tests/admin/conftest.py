"""The admin tests' plexrate: in the test's folder, against a generated 300-track library."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.admin.admin_helpers import EmulatorFactory, plexrate_in
from tests.support.cli import PlexrateCli


@pytest.fixture
def px(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, emulator_factory: EmulatorFactory
) -> PlexrateCli:
    return plexrate_in(monkeypatch, tmp_path, emulator_factory(tracks=300, seed=3))
