"""``admin reconstruct`` claims only what Plex still holds: the person's changes after the
snapshot are left to them (issue 16, "the same for reconstruct")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from plexrate.admin.reconstruct import plan_reconstruct
from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.plex import CHANGED_NOTE
from plexrate.session import SilentDialog, open_session, recheck_claims
from tests.session.session_helpers import TAG, settings_for

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]


def tagged_library() -> EmulatorLibrary:
    data = generate_library(tracks=120, seed=6).to_dict()
    section = next(s for s in data["sections"] if s.get("type", "artist") == "artist")
    rated = [t for t in section["tracks"] if t.get("userRating")]
    for track in rated[:12]:
        track["moods"] = [*track.get("moods", []), TAG]
    return EmulatorLibrary.from_dict(data)


def test_claims_of_items_the_person_changed_after_the_snapshot_are_left_out(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(tagged_library())
    settings = settings_for(emu, tmp_path)
    with open_session(
        settings, write=True, command="admin reconstruct", dialog=SilentDialog(), guard_tags=False
    ) as session:
        result = plan_reconstruct(session.snapshot, owned={}, config=settings.engine_config())
        claims = list(result.claims)
        assert len(claims) >= 5
        rerated, same_value, untagged = claims[0], claims[1], claims[2]
        http = requests.Session()
        http.headers["X-Plex-Token"] = emu.token
        for key, value in ((rerated.key, 1.0), (same_value.key, same_value.value)):
            query: dict[str, str | int | float] = {
                "key": key,
                "identifier": "com.plexapp.plugins.library",
                "rating": value,
            }
            http.put(
                f"{emu.url}/:/rate",
                params=query,
                timeout=10,
            ).raise_for_status()
        item = emu.library.get(untagged.key)
        assert item is not None
        item.set_tags("mood", tuple(t for t in item.get_tags("mood") if t != TAG))
        emu.library.bump()

        kept, changed = recheck_claims(session, claims, tag=TAG)

    assert set(changed) == {rerated.key, same_value.key, untagged.key}
    assert all(note.startswith(CHANGED_NOTE) for note in changed.values())
    assert "rated in Plex again after the snapshot" in changed[same_value.key]
    assert [c.key for c in kept] == [c.key for c in claims[3:]]
