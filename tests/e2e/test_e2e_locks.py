"""Field locks: plexrate records which locks its writes set, and ``admin undo`` releases only those.

plexrate's edits lock the fields they set (``userRating.locked=1``, ``mood.locked=1``: the form
plexapi's ``editUserRating``/``addMood`` send). A lock is sticky on a real server until an edit
sends ``*.locked=0`` (plexapi's ``tests/test_mixins.py:_test_mixins_field``; docs/real-servers.md
"Field locks"). A lock the person had before plexrate's first write is theirs: undo leaves it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary, generate_library
from tests.e2e.e2e_support import music_section
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]


def locks(dump: dict[str, Any]) -> dict[int, set[str]]:
    section = music_section(dump)
    return {
        raw["ratingKey"]: set(raw.get("locked", ()))
        for kind in ("artists", "albums", "tracks")
        for raw in section[kind]
    }


def test_undo_releases_only_the_locks_plexrate_set(cli_for: Any) -> None:
    data = generate_library(tracks=300, seed=8).to_dict()
    section = music_section(data)
    unrated = [t for t in section["tracks"] if not t.get("userRating")]
    # The person locked the rating field of a few unrated tracks (Plex Web's edit dialog does).
    person_locked = {t["ratingKey"] for t in unrated[:7]}
    for track in unrated[:7]:
        track["locked"] = sorted({*track.get("locked", ()), "userRating"})
    initial = copy.deepcopy(data)
    cli: PlexrateCli = cli_for(EmulatorLibrary.from_dict(data))
    before = locks(initial)
    assert any("mood" in fields for fields in before.values()), "the generator's person tags"

    result = cli.invoke("run", "--apply", "--yes")
    assert result.exit_code == 0, result.output
    after_run = locks(cli.emulator.dump())
    owned = set(cli.owned())
    assert owned
    # plexrate's writes locked the fields they set.
    assert all({"userRating", "mood"} <= after_run[key] for key in owned)
    with cli.store() as store:
        recorded = store.field_locks()
    assert {k for k, fields in recorded.items() if fields.get("userRating")} == (
        person_locked & owned
    )
    assert person_locked & owned, "inference fills those unrated tracks"

    result = cli.invoke("admin", "undo", "--apply", "--yes")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    left = sum(1 for key in owned for name in before[key] if name in ("userRating", "mood"))
    assert f"left {left} lock" in text
    # Every lock is as it was before plexrate's first write: its own gone, the person's kept.
    assert locks(cli.emulator.dump()) == before
    with cli.store() as store:
        # Only records of locks that were the person's remain (they stay the person's).
        assert all(all(fields.values()) for fields in store.field_locks().values())
