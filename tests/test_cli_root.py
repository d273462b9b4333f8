"""The root of the command tree: version, help, and the error boundary."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from plexrate import __version__
from plexrate.cli.app import app


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"plexrate {__version__}"


def test_module_entry_point_runs_in_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "plexrate", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"plexrate {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2


def test_a_path_with_an_unknown_user_is_a_usage_error_not_a_crash() -> None:
    result = CliRunner().invoke(app, ["bulk", "export", "--type", "track", "~no-such-user-x/a.csv"])
    assert result.exit_code == 2
    assert "no such user" in result.stderr
    assert "unexpected" not in result.stderr
