"""Output redirected to a file is UTF-8 even where the locale's encoding is not (Windows: a
redirected stream takes the ANSI code page, cp1252 here), so titles in any script survive
``plexrate … --json >> runs.jsonl``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plexrate.emulator import Emulator
from tests.platform.unattended import run_unattended

NAME = "東京 ★ Café"


def _plexrate(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("PLEXRATE_")}
    return run_unattended(
        [sys.executable, "-m", "plexrate", *args],
        cwd=tmp_path,
        # What Windows gives a redirected stream; Python honours it on Linux too.
        env={**clean, "PYTHONIOENCODING": "cp1252", **env},
        text=False,
    )


def test_json_on_a_cp1252_stream_is_utf8(tmp_path: Path) -> None:
    done = _plexrate(tmp_path, "config", "show", "--json", PLEXRATE_LIBRARY_NAME=NAME)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    document = json.loads(done.stdout.decode("utf-8"))
    assert document["settings"]["LIBRARY_NAME"] == NAME


@pytest.mark.integration
def test_an_error_naming_a_title_on_a_cp1252_stream(tmp_path: Path, emulator: Emulator) -> None:
    done = _plexrate(
        tmp_path,
        "run",
        "--dry-run",
        PLEXRATE_PLEX_URL=emulator.url,
        PLEXRATE_PLEX_TOKEN=emulator.token,
        PLEXRATE_LIBRARY_NAME=NAME,
    )
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 3, stderr
    assert NAME in stderr
    assert "UnicodeEncodeError" not in stderr
