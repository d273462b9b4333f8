"""The tagged-but-unowned guard: a state that does not know plexrate's own tags must not be used."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.errors import StateError
from plexrate.model import ItemType, Plan
from plexrate.plex import RatingsNotStored
from plexrate.session import SilentDialog, execute, open_session, tagged_unowned
from tests.session.session_helpers import (
    TAG,
    rate,
    settings_for,
    unrated_tracks,
    write_legacy_stamped,
)

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]


@pytest.fixture
def tagged_data() -> dict[str, Any]:
    """A library where an earlier plexrate run rated and tagged items whose record is lost."""
    data = generate_library(tracks=200, seed=8).to_dict()
    section = data["sections"][1]
    for kind, step in (("tracks", 9), ("albums", 4), ("artists", 3)):
        for item in section[kind][::step]:
            item["userRating"] = 7.0
            item["moods"] = [*item.get("moods", []), TAG]
    return data


@pytest.fixture
def emu(emulator_factory: Factory, tagged_data: dict[str, Any]) -> Emulator:
    return emulator_factory(EmulatorLibrary.from_dict(tagged_data))


@pytest.mark.parametrize("write", [True, False], ids=["apply", "dry-run"])
def test_tagged_items_and_an_empty_state_are_refused(
    emu: Emulator, tmp_path: Path, write: bool
) -> None:
    settings = settings_for(emu, tmp_path)
    tagged = emu.library.tagged(TAG)
    with pytest.raises(StateError) as caught:
        open_session(settings, write=write, command="run", dialog=SilentDialog())
    exc = caught.value
    assert f"{len(tagged):,} items carry the 'Rating_Inferred' tag" in exc.message
    assert str(settings.state_path) in exc.message
    assert exc.hint is not None and "plexrate admin reconstruct" in exc.hint
    assert "--force" in exc.hint
    assert emu.stats().writes == 0


def test_force_or_no_guard_lets_the_session_open(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    tagged = emu.library.tagged(TAG)
    with open_session(settings, write=True, command="run", dialog=SilentDialog(), force=True) as s:
        assert tagged_unowned(s) == tagged
    # The commands that repair the state (reconstruct, sync-tags) skip the guard instead.
    with open_session(
        settings, write=False, command="admin reconstruct", dialog=SilentDialog(), guard_tags=False
    ) as s:
        assert tagged_unowned(s) == tagged


def test_no_inferred_tag_means_nothing_to_guard(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path, inferred_tag="")
    with open_session(settings, write=False, command="run", dialog=SilentDialog()) as session:
        assert session.tags() == []
        assert tagged_unowned(session) == set()


def test_a_state_that_knows_its_ownership_is_trusted(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    with open_session(settings, write=True, command="run", dialog=SilentDialog(), force=True) as s:
        key = unrated_tracks(emu)[0]
        execute(s, Plan([rate(key, ItemType.TRACK, 6.0)]), command="run")
        assert s.store.ownership_built()
    # Tagged items it does not own are now the person's business (hijacks, edits), not a loss.
    with open_session(settings, write=True, command="run", dialog=SilentDialog()) as session:
        assert len(tagged_unowned(session)) == len(emu.library.tagged(TAG)) - 1


def test_a_legacy_import_that_covers_the_tags_passes(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    tagged = sorted(emu.library.tagged(TAG))
    write_legacy_stamped(
        settings.legacy_state_path, emu.section_uuid, dict.fromkeys(tagged[1:], (7.0, False))
    )
    # A dry run imports in memory: one tagged item is still unknown.
    with pytest.raises(StateError, match=r"^1 items carry"):
        open_session(settings, write=False, command="run", dialog=SilentDialog())
    write_legacy_stamped(
        settings.legacy_state_path, emu.section_uuid, dict.fromkeys(tagged, (7.0, False))
    )
    with open_session(settings, write=False, command="run", dialog=SilentDialog()) as session:
        assert tagged_unowned(session) == set()
    with open_session(settings, write=True, command="run", dialog=SilentDialog()) as session:
        assert set(session.store.owned()) == set(tagged)


def test_tags_plexrate_left_without_their_rating_are_not_lost_knowledge(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    # A first run on a server that stores tags but no ratings: the tags landed, nothing is owned.
    emu = emulator_factory(
        generate_library(tracks=200, seed=8), ignore_edit_fields=("userRating",), ignore_rate=True
    )
    settings = settings_for(emu, tmp_path, write_batch_size=10)
    keys = unrated_tracks(emu)[:10]
    plan = Plan([rate(k, ItemType.TRACK, 6.0) for k in keys])
    with (
        open_session(settings, write=True, command="run", dialog=SilentDialog()) as session,
        pytest.raises(RatingsNotStored),
    ):
        execute(session, plan, command="run")
    assert emu.library.tagged(TAG) == set(keys)
    # Before and after settling, plexrate's journal explains those tags: no false alarm.
    with open_session(settings, write=False, command="run", dialog=SilentDialog()) as session:
        assert len(session.store.pending()) == 10
    with open_session(settings, write=True, command="run", dialog=SilentDialog()) as session:
        assert {e.key for e in session.reconciled.tags_only} == set(keys)
        assert session.store.owned() == {}
        assert not session.store.ownership_built()
