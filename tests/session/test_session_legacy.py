"""The old tool's ``plex_state.json``: imported on first use, both formats, guarded by its stamp."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.emulator import Emulator, generate_library
from plexrate.errors import StateError
from plexrate.model import ItemType, OwnedItem, plex_rating
from plexrate.session import SilentDialog, open_session
from plexrate.state import StateStore
from tests.session.session_helpers import (
    files_in,
    settings_for,
    write_legacy_flat,
    write_legacy_stamped,
)

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]
GONE = 999_999  # a key the library no longer has


@pytest.fixture
def emu(emulator_factory: Factory) -> Emulator:
    return emulator_factory(generate_library(tracks=200, seed=3))


def legacy_keys(emu: Emulator) -> dict[int, ItemType]:
    """Three tracks, an album and an artist the old tool rated."""
    return {
        **dict.fromkeys(sorted(emu.library.keys("track"))[:3], ItemType.TRACK),
        sorted(emu.library.keys("album"))[0]: ItemType.ALBUM,
        sorted(emu.library.keys("artist"))[0]: ItemType.ARTIST,
    }


def stamped_ratings(keys: dict[int, ItemType]) -> dict[int, tuple[float, bool]]:
    ratings = {k: (5.0 + i / 2, i % 2 == 1) for i, k in enumerate(keys)}
    ratings[GONE] = (7.0, False)
    ratings[sorted(keys)[-1] + 100_000] = (6.0, False)  # another key the library does not have
    return ratings


def old_tool_wrote(emu: Emulator, ratings: dict[int, float]) -> None:
    """Plex holds what the old tool wrote (at Plex's one decimal), for the keys it still has."""
    for key, value in ratings.items():
        item = emu.library.get(key)
        if item is not None:
            item.user_rating = plex_rating(value) if value > 0 else None


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("plex_state.*.json"))


def test_stamped_file_is_imported_once_with_a_backup(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    keys = legacy_keys(emu)
    ratings = stamped_ratings(keys)
    old_tool_wrote(emu, {k: r for k, (r, _) in ratings.items()})
    raw = write_legacy_stamped(settings.legacy_state_path, emu.section_uuid, ratings)
    dialog = SilentDialog()
    with open_session(settings, write=True, command="run", dialog=dialog) as session:
        owned = session.store.owned()
        assert {k: (o.item_type, o.value, o.twin, o.phase) for k, o in owned.items()} == {
            k: (keys[k], ratings[k][0], ratings[k][1], "import") for k in keys
        }
        assert session.owned() == owned
        assert session.store.ownership_built()
    [backup] = backups(tmp_path)
    assert backup.read_bytes() == raw  # the exact bytes, before anything else happened
    message = "\n".join(dialog.messages)
    assert "Migrated the old tool's" in message
    assert "5 became plexrate's" in message
    assert "2 no longer in the library" in message
    assert f"Backup of the old tool's file: {backup}" in message

    # On the next start the state knows the library: the file is not read again.
    write_legacy_stamped(settings.legacy_state_path, emu.section_uuid, {GONE - 1: (9.0, False)})
    dialog = SilentDialog()
    with open_session(settings, write=True, command="run", dialog=dialog) as session:
        assert set(session.store.owned()) == set(keys)
    assert dialog.messages == []
    assert len(backups(tmp_path)) == 1


def test_flat_file_is_imported(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    keys = legacy_keys(emu)
    flat = {k: 4.0 + i for i, k in enumerate(keys)}
    zero = sorted(emu.library.keys("track"))[10]
    old_tool_wrote(emu, flat)
    raw = write_legacy_flat(settings.legacy_state_path, {**flat, zero: 0.0, GONE: 8.0})
    dialog = SilentDialog()
    with open_session(settings, write=True, command="run", dialog=dialog) as session:
        owned = session.store.owned()
    # The flat format has no twin flags; a 0 is unrated in Plex, so there is nothing to own.
    assert {k: (o.item_type, o.value, o.twin) for k, o in owned.items()} == {
        k: (keys[k], flat[k], False) for k in keys
    }
    assert [b.read_bytes() for b in backups(tmp_path)] == [raw]
    assert "5 became plexrate's" in "\n".join(dialog.messages)


@pytest.mark.parametrize("stamped", [True, False], ids=["stamped", "flat"])
def test_a_dry_run_imports_in_memory_only(emu: Emulator, tmp_path: Path, stamped: bool) -> None:
    settings = settings_for(emu, tmp_path)
    keys = legacy_keys(emu)
    if stamped:
        ratings = stamped_ratings(keys)
        old_tool_wrote(emu, {k: r for k, (r, _) in ratings.items()})
        write_legacy_stamped(settings.legacy_state_path, emu.section_uuid, ratings)
    else:
        old_tool_wrote(emu, dict.fromkeys(keys, 6.0))
        write_legacy_flat(settings.legacy_state_path, dict.fromkeys([*keys, GONE], 6.0))
    before = files_in(tmp_path)
    dialog = SilentDialog()
    with open_session(settings, write=False, command="run", dialog=dialog) as session:
        assert set(session.owned()) == set(keys)
        assert {o.item_type for o in session.owned().values()} == set(keys.values())
        assert session.store.owned() == {}
        assert not session.store.ownership_built()
    assert dialog.messages[0].startswith(
        f"Would migrate the old tool's {settings.legacy_state_path}"
    )
    assert "5 would become plexrate's" in dialog.messages[1]
    # No state file, no backup: the folder holds exactly the legacy file, unchanged.
    assert files_in(tmp_path) == before
    assert list(before) == ["plex_state.json"]
    assert emu.stats().writes == 0


@pytest.mark.parametrize("write", [True, False], ids=["apply", "dry-run"])
def test_a_file_from_another_library_is_refused(emu: Emulator, tmp_path: Path, write: bool) -> None:
    settings = settings_for(emu, tmp_path)
    other = "11111111-2222-4333-8444-555555555555"
    keys = legacy_keys(emu)
    write_legacy_stamped(settings.legacy_state_path, other, stamped_ratings(keys))
    dialog = SilentDialog(force=False)
    with pytest.raises(StateError, match="belongs to another library") as caught:
        open_session(settings, write=write, command="run", dialog=dialog)
    assert caught.value.hint is not None and "--force" in caught.value.hint
    # The question was asked (and refused), naming both libraries.
    [question] = dialog.messages
    assert other in question and emu.section_uuid in question and "Import anyway?" in question
    assert backups(tmp_path) == []
    if write:
        with StateStore(settings.state_path, library_uuid=emu.section_uuid) as store:
            assert store.owned() == {} and not store.ownership_built()


def test_a_file_from_another_library_is_imported_when_forced(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    keys = legacy_keys(emu)
    old_tool_wrote(emu, {k: r for k, (r, _) in stamped_ratings(keys).items()})
    write_legacy_stamped(settings.legacy_state_path, "another-library", stamped_ratings(keys))
    # Confirmed by the person (a forcing dialog) ...
    with open_session(
        settings, write=True, command="run", dialog=SilentDialog(force=True)
    ) as session:
        assert set(session.store.owned()) == set(keys)
    # ... or forced by the caller (--force), whatever the dialog would answer.
    other = tmp_path / "second"
    other.mkdir()
    settings = settings_for(emu, other)
    write_legacy_stamped(settings.legacy_state_path, "another-library", stamped_ratings(keys))
    with open_session(
        settings, write=True, command="run", dialog=SilentDialog(), force=True
    ) as session:
        assert set(session.store.owned()) == set(keys)


@pytest.mark.parametrize("write", [True, False], ids=["apply", "dry-run"])
def test_anchors_an_earlier_import_took_are_handed_back(
    emu: Emulator, tmp_path: Path, write: bool
) -> None:
    """Before the migration rule, an import owned every entry, v1.5's ``m: true`` ones too."""
    settings = settings_for(emu, tmp_path)
    rated = sorted(k for k, v in emu.library.ratings("track").items() if v is not None)
    anchor, inferred = rated[0], rated[1]
    ratings = emu.library.ratings("track")
    backup = tmp_path / "plex_state.20240101-000000.json"
    entries = {
        str(anchor): {"r": ratings[anchor], "t": 1, "m": True},
        str(inferred): {"r": ratings[inferred], "t": 0, "m": False},
    }
    document = {"version": "1.5.1", "library_uuid": emu.section_uuid, "ratings": entries}
    backup.write_text(json.dumps(document))
    with StateStore(settings.state_path, library_uuid=emu.section_uuid) as store:
        store.set_owned(
            [
                OwnedItem(k, ItemType.TRACK, ratings[k] or 0.0, phase="import", twin=k == anchor)
                for k in (anchor, inferred)
            ],
            source="legacy-import",
        )
        # what an earlier plexrate recorded: no outcomes
        record = {"at": 1.0, "source": None, "backup": str(backup), "format": "stamped"}
        store.set_meta("legacy_import", json.dumps({**record, "imported": 2}))
    dialog = SilentDialog()
    with open_session(settings, write=write, command="run", dialog=dialog) as session:
        assert set(session.owned()) == {inferred}
        assert set(session.store.owned()) == ({inferred} if write else {anchor, inferred})
    assert any("back 1 rating of yours" in m for m in dialog.messages)
    if write:
        # checked once: the next session neither repeats the check nor says anything
        dialog = SilentDialog()
        with open_session(settings, write=True, command="run", dialog=dialog) as session:
            assert set(session.owned()) == {inferred}
        assert not any("of yours" in m for m in dialog.messages)
