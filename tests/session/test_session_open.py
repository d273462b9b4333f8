"""``open_session``: writers settle an interrupted run first; a dry run changes nothing anywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.emulator import Emulator, generate_library
from plexrate.errors import LibraryNotFound, StateLocked, UsageError
from plexrate.model import ItemType, Plan
from plexrate.session import SilentDialog, execute, open_session
from plexrate.state import EntryStatus, RunStatus, StateStore
from tests.session.session_helpers import (
    TAG,
    assert_wal_empty,
    files_in,
    rate,
    settings_for,
    unrated_tracks,
)

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]


@pytest.fixture
def emu(emulator_factory: Factory) -> Emulator:
    return emulator_factory(generate_library(tracks=200, seed=3))


def _interrupted_run(emu: Emulator, state: Path, keys: list[int], *, landed: list[int]) -> None:
    """What a killed run leaves: intents for ``keys``, of which only ``landed`` reached Plex."""
    with StateStore(state, library_uuid=emu.section_uuid, library_title="Music") as store:
        run = store.begin_run(command="run")
        ids = store.record_intents(run, [rate(k, ItemType.TRACK, 7.0) for k in keys])
        assert len(ids) == len(keys)
    for key in landed:
        item = emu.library.get(key)
        assert item is not None
        item.user_rating = 7.0
        item.moods = (*item.moods, TAG)


def test_a_write_session_reads_the_library_and_opens_the_state(
    emu: Emulator, tmp_path: Path
) -> None:
    settings = settings_for(emu, tmp_path)
    dialog = SilentDialog()
    with open_session(settings, write=True, command="run", dialog=dialog) as session:
        assert session.write
        assert len(session.snapshot.tracks) == 200
        assert session.snapshot.library_uuid == emu.section_uuid
        assert session.tags() == [TAG]
        assert TAG in session.snapshot.tagged
        assert session.owned() == {}
        assert session.reconciled.total == 0
        assert settings.state_path.exists()
        # One writer per library: a second one is refused while this session is open.
        with pytest.raises(StateLocked):
            open_session(settings, write=True, command="run", dialog=dialog)
    # Closed: the lock is gone.
    open_session(settings, write=True, command="run", dialog=dialog).close()
    assert emu.stats().writes == 0
    assert dialog.messages == []


def test_a_library_flag_overrides_the_setting(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path, library_name="Nope")
    with pytest.raises(LibraryNotFound):
        open_session(settings, write=False, command="report", dialog=SilentDialog())
    with open_session(
        settings, write=False, command="report", dialog=SilentDialog(), library="music"
    ) as session:
        assert session.snapshot.section_title == "Music"


def test_a_dry_run_without_a_state_file_creates_nothing(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    before = files_in(tmp_path)
    with open_session(settings, write=False, command="run", dialog=SilentDialog()) as session:
        assert not session.write
        assert not session.store.exists
        assert len(session.snapshot.tracks) == 200
        with pytest.raises(UsageError):
            execute(session, Plan([rate(unrated_tracks(emu)[0], ItemType.TRACK, 7.0)]),
                    command="run")  # fmt: skip
    assert files_in(tmp_path) == before == {}
    stats = emu.stats()
    assert stats.writes == 0 and stats.reads > 0


def test_a_dry_run_leaves_an_interrupted_state_exactly_as_it_was(
    emu: Emulator, tmp_path: Path
) -> None:
    settings = settings_for(emu, tmp_path)
    keys = unrated_tracks(emu)[:6]
    _interrupted_run(emu, settings.state_path, keys, landed=keys[:2])
    before = files_in(tmp_path)
    dialog = SilentDialog()
    emu.reset_stats()
    with open_session(settings, write=False, command="run", dialog=dialog) as session:
        # Nothing is settled (that would write); the person is told.
        assert session.reconciled.total == 0
        assert len(session.store.pending()) == 6
        assert session.owned() == {}
    assert any("6 writes of an interrupted run are unconfirmed" in m for m in dialog.messages)
    assert files_in(tmp_path) == before
    assert_wal_empty(tmp_path)
    with StateStore(settings.state_path, library_uuid=emu.section_uuid, readonly=True) as store:
        assert [e.status for e in store.journal()] == [EntryStatus.PENDING] * 6
        assert [r.status for r in store.runs()] == [RunStatus.INTERRUPTED]
    assert emu.stats().writes == 0
    # Nothing was read back either: a dry run reads only the snapshot.
    assert emu.stats().endpoint("GET /library/metadata/{ids}") == 0


def test_a_write_session_settles_an_interrupted_run_first(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    keys = unrated_tracks(emu)[:6]
    _interrupted_run(emu, settings.state_path, keys, landed=keys[:2])
    dialog = SilentDialog()
    with open_session(settings, write=True, command="run", dialog=dialog) as session:
        report = session.reconciled
        assert {e.key for e in report.landed} == set(keys[:2])
        assert {e.key for e in report.not_sent} == set(keys[2:])
        assert session.store.pending() == []
        assert {k: o.value for k, o in session.owned().items()} == dict.fromkeys(keys[:2], 7.0)
        assert [r.status for r in session.store.runs()] == [RunStatus.INTERRUPTED]
        # Settled before the snapshot was read: the snapshot sees what landed.
        assert session.snapshot.tracks[keys[0]].rating == 7.0
        statuses = {e.key: e.status for e in session.store.journal()}
        assert statuses == {
            **dict.fromkeys(keys[:2], EntryStatus.CONFIRMED),
            **dict.fromkeys(keys[2:], EntryStatus.FAILED),
        }
    assert any("2 had landed, 4 had not" in m for m in dialog.messages)
    assert emu.stats().writes == 0  # settling reads; it never writes


def test_a_write_session_reports_items_changed_meanwhile(emu: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emu, tmp_path)
    keys = unrated_tracks(emu)[:2]
    _interrupted_run(emu, settings.state_path, keys, landed=[])
    emu.library.get(keys[1]).user_rating = 3.0  # type: ignore[union-attr]  # the person rated it
    dialog = SilentDialog()
    with open_session(settings, write=True, command="run", dialog=dialog) as session:
        assert [e.key for e in session.reconciled.changed] == [keys[1]]
        assert session.owned() == {}
    assert any(f"item {keys[1]} changed in Plex" in m for m in dialog.messages)
