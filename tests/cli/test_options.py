"""Rules every command shares through ``cli/options.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from plexrate.cli.options import refuse_overwrite
from plexrate.errors import ExitCode, UsageError


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    refuse_overwrite(target, force=False)  # nothing there yet
    target.write_text("keep me\n", encoding="utf-8")
    refuse_overwrite(target, force=True)
    with pytest.raises(UsageError) as refused:
        refuse_overwrite(target, force=False, consequence="; nothing was exported")
    assert refused.value.exit_code is ExitCode.USAGE
    assert refused.value.message == f"{target} already exists; nothing was exported"
    assert refused.value.hint == "pass --force to replace it"
