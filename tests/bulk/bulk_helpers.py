"""Shared by the bulk tests: hand-made snapshots, and plexrate against an emulator
(tests/support/cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from plexrate.emulator import Emulator
from tests.support.cli import NO_WAITING, PLAIN, PlexrateCli, plexrate_in
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


def point_at(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlexrateCli:
    """plexrate working in ``tmp_path`` (its state file there too) against ``emulator``."""
    return plexrate_in(
        tmp_path,
        emulator,
        monkeypatch,
        env={**NO_WAITING, **PLAIN},
    )


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
