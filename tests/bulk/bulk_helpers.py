"""Shared by the bulk tests: hand-made snapshots, and running plexrate against an emulator."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner, Result

from plexrate.cli.app import app
from plexrate.emulator import Emulator
from tests.support.library import Lib

TAG = "Rating_Inferred"
TWIN = "Twin"


def bulk_lib() -> Lib:
    """A library as the bulk tests make them: Plex's section 3, items without guids or lengths."""
    return Lib(library_uuid="lib-uuid", section_id=3, guids=False, track_seconds=None)


class Clock:
    """The emulator's clock, moved by the test (Plex stamps ``lastRatedAt`` from it)."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def point_at(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run plexrate in ``tmp_path`` against ``emulator``; returns the state file's path."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("PLEXRATE_"):
            monkeypatch.delenv(name)
    state = tmp_path / "state.sqlite"
    monkeypatch.setenv("PLEXRATE_PLEX_URL", emulator.url)
    monkeypatch.setenv("PLEXRATE_PLEX_TOKEN", emulator.token)
    monkeypatch.setenv("PLEXRATE_STATE_PATH", str(state))
    monkeypatch.setenv("PLEXRATE_COOLDOWN_SLEEP", "0")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return state


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def invoke_json(*args: str, code: int = 0) -> dict[str, Any]:
    result = invoke(*args, "--json")
    assert result.exit_code == code, (result.stdout, result.stderr)
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def rate_in_plex(emulator: Emulator, key: int, value: float | None) -> None:
    """What a person does in a Plex app: rate an item (0–10; None clears)."""
    response = requests.put(
        f"{emulator.url}/:/rate",
        params={
            "key": key,
            "identifier": "com.plexapp.plugins.library",
            "rating": -1 if value is None else value,
        },
        headers={"X-Plex-Token": emulator.token},
        timeout=10,
    )
    response.raise_for_status()


def csv_text(header: str, *rows: str, newline: str = "\n") -> str:
    return newline.join((header, *rows)) + newline


TRACK_HEADER = "ratingKey,trackTitle,trackArtist,albumName,albumArtist,userRating,ratingType"
ALBUM_HEADER = "ratingKey,albumName,sortName,artistName,releaseYear,genres,userRating,ratingType"
ARTIST_HEADER = "ratingKey,artistName,sortName,albumCount,genres,userRating,ratingType"
