"""The README's coverage and histogram picture is what the demo's library really shows."""

from __future__ import annotations

import pytest

from plexrate.cli.readme_picture import README, generate, readme_block

pytestmark = pytest.mark.integration


def test_the_readme_picture_is_generated_from_the_demo(cli_env: None) -> None:
    block = readme_block(README.read_text("utf-8"))
    assert "Rating coverage" in block and "Tracks by rating" in block
    assert block == generate(), "rerun: python -m plexrate.cli.readme_picture --write"
