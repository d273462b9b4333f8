"""Helpers for the admin tests: drive plexrate against an emulator, and play the person in Plex.

Imported by name (tests/ has no packages). The person's edits go over real HTTP, the way a Plex
app would send them, so the emulator sees them exactly as it sees plexrate's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from plexrate.cli.app import app
from plexrate.emulator import Emulator
from plexrate.emulator.library import ItemKind
from plexrate.state import StateStore

TAG = "Rating_Inferred"
# The signature of the emulator_factory fixture in tests/conftest.py.
EmulatorFactory = Callable[..., Emulator]
TWIN_TAG = "Twin"
TYPES = {"artist": 8, "album": 9, "track": 10}


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def err(self) -> str:
        """stderr with line wrapping undone, for matching messages."""
        return " ".join(self.stderr.split())


class Plexrate:
    """One test's plexrate: environment pointing at an emulator, a state file in a temp dir."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, emulator: Emulator):
        self.monkeypatch = monkeypatch
        self.tmp_path = tmp_path
        self.state_path = tmp_path / "plexrate_state.sqlite"
        monkeypatch.chdir(tmp_path)
        for name, value in {
            "PLEXRATE_PLEX_TOKEN": emulator.token,
            "PLEXRATE_STATE_PATH": str(self.state_path),
            "PLEXRATE_COOLDOWN_SLEEP": "0",
            "PLEXRATE_RETRIES": "1",
            "PLEXRATE_TIMEOUT": "5",
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("PLEXRATE_CONFIG", raising=False)
        self.point_at(emulator)

    def point_at(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.monkeypatch.setenv("PLEXRATE_PLEX_URL", emulator.url)

    def set(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)

    def __call__(self, *args: str) -> Result:
        result = CliRunner().invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    def subprocess(self, *args: str, timeout: float = 120) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "plexrate", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ),
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def store(self) -> StateStore:
        return StateStore(self.state_path, library_uuid=self.emulator.section_uuid, readonly=True)

    def owned(self) -> dict[int, tuple[str, float, bool]]:
        with self.store() as store:
            return {
                k: (o.item_type.value, round(o.value, 6), o.twin) for k, o in store.owned().items()
            }


def applied(px: Plexrate, *args: str) -> None:
    """Run ``plexrate ARGS --apply --quiet``; fail the test unless it succeeds."""
    result = px(*args, "--apply", "--quiet")
    assert result.exit_code == 0, result.stderr


def lose_state(px: Plexrate) -> None:
    """Delete the state file and its companions, as a person who lost them would."""
    for path in px.tmp_path.glob(px.state_path.name + "*"):
        path.unlink()


def library_state(emulator: Emulator) -> dict[int, tuple[float | None, tuple[str, ...]]]:
    """Every item's rating and moods, from a full dump of the library."""
    state: dict[int, tuple[float | None, tuple[str, ...]]] = {}
    for section in emulator.dump()["sections"]:
        for kind in ("artists", "albums", "tracks"):
            for item in section.get(kind, []):
                state[item["ratingKey"]] = (item.get("userRating"), tuple(item.get("moods", ())))
    return state


def kind_of(emulator: Emulator, key: int) -> str:
    item = emulator.library.item(key)
    assert item is not None, key
    return str(item.kind)


def person_rates(emulator: Emulator, key: int, rating: float | None) -> None:
    """The person sets (or clears, with None) a rating in a Plex app."""
    response = requests.put(
        f"{emulator.url}/:/rate",
        params={
            "key": key,
            "identifier": "com.plexapp.plugins.library",
            "rating": -1 if rating is None else rating,
        },
        headers={"X-Plex-Token": emulator.token},
        timeout=10,
    )
    response.raise_for_status()


def _edit(emulator: Emulator, key: int, params: dict[str, Any]) -> None:
    response = requests.put(
        f"{emulator.url}/library/sections/{emulator.section_key}/all",
        params={"id": key, "type": TYPES[kind_of(emulator, key)], **params},
        headers={"X-Plex-Token": emulator.token},
        timeout=10,
    )
    response.raise_for_status()


def person_adds_mood(emulator: Emulator, key: int, mood: str) -> None:
    _edit(emulator, key, {"mood[0].tag.tag": mood, "mood.locked": 1})


def person_removes_mood(emulator: Emulator, key: int, mood: str) -> None:
    _edit(emulator, key, {"mood[].tag.tag-": mood, "mood.locked": 1})


def unrated_keys(emulator: Emulator, kind: ItemKind) -> list[int]:
    return sorted(k for k, v in emulator.library.ratings(kind).items() if v is None)


def rated_keys(emulator: Emulator, kind: ItemKind) -> list[int]:
    return sorted(k for k, v in emulator.library.ratings(kind).items() if v is not None)
