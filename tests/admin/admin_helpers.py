"""Helpers for the admin tests: plexrate against an emulator (tests/support/cli.py), and the person
in Plex. The person's edits go over real HTTP, the way a Plex
app would send them, so the emulator sees them exactly as it sees plexrate's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator
from plexrate.emulator.library import ItemKind
from tests.support.cli import NO_WAITING, PLAIN, PlexrateCli

TAG = "Rating_Inferred"
# The signature of the emulator_factory fixture in tests/conftest.py.
EmulatorFactory = Callable[..., Emulator]
TWIN_TAG = "Twin"
TYPES = {"artist": 8, "album": 9, "track": 10}


def plexrate_in(monkeypatch: pytest.MonkeyPatch, folder: Path, emulator: Emulator) -> PlexrateCli:
    """plexrate working in ``folder`` (its state file there too), with one retry and short
    timeouts; a command that crashes fails the test with its own traceback."""
    monkeypatch.chdir(folder)
    return PlexrateCli.at(
        emulator,
        workdir=folder,
        state=folder / "plexrate_state.sqlite",
        raise_errors=True,
        env={
            **NO_WAITING,
            "PLEXRATE_RETRIES": "1",
            "PLEXRATE_TIMEOUT": "5",
            "PLEXRATE_CONFIG": None,
            **PLAIN,
        },
    )


def point_at(px: PlexrateCli, emulator: Emulator) -> None:
    """The same plexrate and state file, now against another server."""
    px.emulator = emulator
    px.env["PLEXRATE_PLEX_URL"] = emulator.url


def ownership(px: PlexrateCli) -> dict[int, tuple[str, float, bool]]:
    """Ownership as the admin tests compare it: item type, value (to 6 places) and twin flag."""
    return {k: (o.item_type.value, round(o.value, 6), o.twin) for k, o in px.owned().items()}


def applied(px: PlexrateCli, *args: str) -> None:
    """Run ``plexrate ARGS --apply --quiet``; fail the test unless it succeeds."""
    result = px.invoke(*args, "--apply", "--quiet")
    assert result.exit_code == 0, result.stderr


def lose_state(px: PlexrateCli) -> None:
    """Delete the state file and its companions, as a person who lost them would."""
    for path in px.workdir.glob(px.state_path.name + "*"):
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
