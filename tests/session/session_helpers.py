"""Builders shared by the session tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plexrate.emulator import Emulator
from plexrate.model import Change, ItemType, Phase
from plexrate.settings import Settings

TAG = "Rating_Inferred"


def settings_for(emu: Emulator, folder: Path, **overrides: Any) -> Settings:
    """Settings for the emulator, with the state files in ``folder`` and no waiting anywhere."""
    values: dict[str, Any] = {
        "plex_url": emu.url,
        "plex_token": emu.token,
        "library_name": emu.section_title,
        "state_path": folder / "plexrate_state.sqlite",
        "legacy_state_path": folder / "plex_state.json",
        "cooldown_sleep": 0,
        "retries": 0,
        "timeout": 5,
        "page_size": 100,
        **overrides,
    }
    return Settings(**values)


SQLITE_SIDECARS = ("-wal", "-shm")


def files_in(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder`` with its bytes and modification time: to prove nothing changed.

    SQLite's WAL sidecars are left out: a read-only connection to a WAL database needs the shared
    memory index and may leave it (and an empty ``-wal``) behind; ``assert_wal_empty`` checks
    that no data went there.
    """
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith(SQLITE_SIDECARS)
    }


def assert_wal_empty(folder: Path) -> None:
    for wal in folder.glob("*-wal"):
        assert wal.stat().st_size == 0, f"{wal.name} holds uncheckpointed data"


def rate(key: int, item_type: ItemType, after: float | None, **fields: Any) -> Change:
    values: dict[str, Any] = {
        "key": key,
        "item_type": item_type,
        "title": f"item {key}",
        "phase": Phase.TRACK_DOWN,
        "reason": "test",
        "before": None,
        "after": after,
        "add_tags": (TAG,),
        "own": True,
        **fields,
    }
    return Change(**values)


def unrated_tracks(emu: Emulator) -> list[int]:
    ratings = emu.library.ratings("track")
    return sorted(k for k, v in ratings.items() if v is None)


def write_legacy_stamped(path: Path, uuid: str, ratings: dict[int, tuple[float, bool]]) -> bytes:
    data = {
        "version": "2.1",
        "library_uuid": uuid,
        "ratings": {str(k): {"r": r, "t": t} for k, (r, t) in ratings.items()},
    }
    raw = json.dumps(data, indent=2).encode()
    path.write_bytes(raw)
    return raw


def write_legacy_flat(path: Path, ratings: dict[int, float]) -> bytes:
    raw = json.dumps({str(k): v for k, v in ratings.items()}).encode()
    path.write_bytes(raw)
    return raw
