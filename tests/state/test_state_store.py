"""Ownership lifecycle through intents, confirmations and failures; runs, metadata, libraries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plexrate.errors import StateError
from plexrate.model import ItemType, OwnedItem, Phase
from plexrate.state import EntryStatus, RunStatus, StateStore
from tests.state.state_helpers import (
    LIBRARY,
    OTHER_LIBRARY,
    TAG,
    change,
    open_store,
    write_and_confirm,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "plexrate_state.sqlite"


def test_a_new_store_is_empty_and_ownership_is_not_built(path: Path) -> None:
    with open_store(path) as store:
        assert store.created
        assert store.owned() == {}
        assert store.pending() == []
        assert store.runs() == []
        assert not store.ownership_built()
        # Opening alone records nothing about the library.
        assert store.known_libraries() == []


def test_intents_are_pending_until_confirmed_and_own_nothing_before(path: Path) -> None:
    with open_store(path) as store:
        run = store.begin_run(command="run", args={"start_letter": "B"})
        ids = store.record_intents(run, [change(10), change(11, after=4.0)])
        assert ids == sorted(ids) and len(set(ids)) == 2
        assert [(e.key, e.status) for e in store.pending()] == [
            (10, EntryStatus.PENDING),
            (11, EntryStatus.PENDING),
        ]
        assert store.owned() == {}

        store.confirm(ids)
        owned = store.owned()
        assert set(owned) == {10, 11}
        assert owned[11].value == 4.0
        assert owned[10].phase == Phase.TRACK_DOWN
        assert owned[10].run_id == run
        assert owned[10].guid == f"plex://track/{10:024x}"
        assert owned[10].written_at is not None
        assert store.pending() == []
        assert store.ownership_built()
        store.finish_run(run, status=RunStatus.COMPLETED)
        (info,) = store.runs()
        assert info.status is RunStatus.COMPLETED
        assert info.args == {"start_letter": "B"}
        assert (info.entries, info.confirmed, info.failed, info.pending) == (2, 2, 0, 0)


def test_the_read_back_value_is_owned_rather_than_the_value_sent(path: Path) -> None:
    with open_store(path) as store:
        run = store.begin_run(command="run")
        ids = store.record_intents(run, [change(1, after=7.0), change(2, after=7.0)])
        store.confirm(ids, readback={1: 7.04})
        assert store.owned()[1].value == 7.04
        assert store.owned()[2].value == 7.0
        entries = {e.key: e for e in store.journal(run_id=run)}
        assert entries[1].readback == 7.04
        assert entries[2].readback is None
        assert entries[1].written_value == 7.04


def test_failed_entries_have_no_ownership_effect(path: Path) -> None:
    with open_store(path) as store:
        write_and_confirm(store, [change(1, after=6.0)])
        run = store.begin_run(command="run")
        ids = store.record_intents(
            run,
            [
                change(1, before=6.0, after=None, own=False, add_tags=(), remove_tags=(TAG,)),
                change(2, after=8.0),
            ],
        )
        store.fail(ids, error="(500) internal_server_error")
        assert set(store.owned()) == {1}
        assert store.owned()[1].value == 6.0
        failed = store.journal(status=EntryStatus.FAILED)
        assert [e.key for e in failed] == [1, 2]
        assert all(e.note == "(500) internal_server_error" for e in failed)


def test_own_false_drops_and_own_none_follows_a_new_value(path: Path) -> None:
    with open_store(path) as store:
        write_and_confirm(store, [change(1, after=6.0), change(2, after=6.0), change(3, after=5.0)])
        run = store.begin_run(command="run")
        ids = store.record_intents(
            run,
            [
                # hijack: the person changed item 1; plexrate only drops its tag and its claim
                change(
                    1,
                    before=9.0,
                    after=9.0,
                    set_rating=False,
                    own=False,
                    add_tags=(),
                    remove_tags=(TAG,),
                ),
                # a re-inferred owned item moves; ownership stays with plexrate
                change(2, before=6.0, after=6.5, own=None, add_tags=()),
                # own=None on an item plexrate does not own (a bulk-import manual value)
                change(4, before=None, after=3.0, own=None, add_tags=()),
                # a tag-only change leaves the owned value alone
                change(3, before=5.0, after=5.0, set_rating=False, own=None),
            ],
        )
        store.confirm(ids)
        owned = store.owned()
        assert set(owned) == {2, 3}
        assert owned[2].value == 6.5
        assert owned[2].run_id == run
        assert owned[2].phase == Phase.TRACK_DOWN
        assert owned[3].value == 5.0


def test_clearing_an_owned_rating_ends_ownership(path: Path) -> None:
    with open_store(path) as store:
        write_and_confirm(store, [change(1, after=6.0), change(2, after=6.0)])
        run = store.begin_run(command="admin undo")
        ids = store.record_intents(
            run, [change(1, before=6.0, after=None, own=None), change(2, after=5.0, own=True)]
        )
        # the server says item 2 ended up unrated: nothing to own
        store.confirm(ids, readback={2: None})
        assert store.owned() == {}


def test_later_entries_for_one_item_win_within_a_batch(path: Path) -> None:
    with open_store(path) as store:
        run = store.begin_run(command="run")
        ids = store.record_intents(
            run, [change(1, after=5.0), change(1, before=5.0, after=6.0, own=None)]
        )
        store.confirm(ids)
        assert store.owned()[1].value == 6.0


def test_confirming_twice_or_unknown_entries_is_refused(path: Path) -> None:
    with open_store(path) as store:
        run = store.begin_run(command="run")
        ids = store.record_intents(run, [change(1)])
        store.confirm(ids)
        with pytest.raises(StateError, match="already resolved"):
            store.confirm(ids)
        with pytest.raises(StateError, match="already resolved"):
            store.fail(ids, error="late")
        with pytest.raises(StateError, match="do not exist"):
            store.confirm([ids[0] + 1000])
        assert store.owned()[1].value == 7.0


def test_out_of_range_values_are_refused_before_anything_is_written(path: Path) -> None:
    with open_store(path) as store:
        run = store.begin_run(command="run")
        ids = store.record_intents(run, [change(1)])
        with pytest.raises(ValueError, match="outside 0–10"):
            store.confirm(ids, readback={1: 10.5})
        with pytest.raises(ValueError, match="outside 0–10"):
            store.record_intents(run, [change(2, before=-1.0)])
        assert [e.key for e in store.pending()] == [1]
        with pytest.raises(ValueError, match="outside 0–10"):
            store.set_owned([OwnedItem(3, ItemType.TRACK, float("nan"))], source="test")
        assert store.owned() == {}


def test_a_new_run_is_refused_while_intents_are_unreconciled(path: Path) -> None:
    with open_store(path) as store:
        run = store.begin_run(command="run")
        store.record_intents(run, [change(1)])
        store.finish_run(run, status=RunStatus.INTERRUPTED)
        with pytest.raises(StateError, match="not reconciled"):
            store.begin_run(command="run")


def test_finished_and_dry_runs_accept_no_intents(path: Path) -> None:
    with open_store(path) as store:
        run = store.begin_run(command="run")
        store.finish_run(run, status=RunStatus.COMPLETED)
        with pytest.raises(StateError, match="has finished"):
            store.record_intents(run, [change(1)])
        with pytest.raises(StateError, match="already finished"):
            store.finish_run(run, status=RunStatus.FAILED)
        dry = store.begin_run(command="run", dry_run=True)
        with pytest.raises(StateError, match="dry run"):
            store.record_intents(dry, [change(1)])
        with pytest.raises(ValueError):
            store.finish_run(dry, status=RunStatus.RUNNING)
        assert store.journal() == []


def test_closing_with_a_run_open_marks_it_interrupted(path: Path) -> None:
    with open_store(path) as store:
        store.begin_run(command="run")
    with pytest.raises(RuntimeError), open_store(path) as store:
        store.begin_run(command="twins")
        raise RuntimeError("boom")
    with open_store(path, readonly=True) as store:
        assert [(r.command, r.status) for r in store.runs()] == [
            ("run", RunStatus.INTERRUPTED),
            ("twins", RunStatus.FAILED),
        ]


def test_a_writer_settles_runs_left_running_by_a_dead_process(path: Path) -> None:
    store = open_store(path)
    run = store.begin_run(command="run")
    # Simulate death: the connection and the lock go away without finish_run.
    store._open_runs.clear()
    store.close()
    with open_store(path, readonly=True) as reader:
        assert reader.runs()[0].status is RunStatus.RUNNING
    with open_store(path) as writer:
        (info,) = writer.runs()
        assert (info.id, info.status) == (run, RunStatus.INTERRUPTED)
        assert info.finished_at is not None


def test_readonly_store_reads_but_never_writes(path: Path) -> None:
    with open_store(path) as store:
        write_and_confirm(store, [change(1)])
    with open_store(path, readonly=True) as reader:
        assert set(reader.owned()) == {1}
        for attempt in (
            lambda: reader.begin_run(command="run"),
            lambda: reader.set_meta("k", "v"),
            lambda: reader.drop_owned([1]),
            lambda: reader.set_owned([], source="x"),
        ):
            with pytest.raises(StateError, match="read-only"):
                attempt()
        assert set(reader.owned()) == {1}


def test_readonly_on_a_missing_file_is_an_empty_state_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "none.sqlite"
    with open_store(path, readonly=True) as reader:
        assert not reader.exists
        assert reader.owned() == {}
        assert not reader.ownership_built()
    assert list(tmp_path.iterdir()) == []


def test_two_libraries_in_one_file_do_not_see_each_other(path: Path) -> None:
    with open_store(path, LIBRARY) as a, open_store(path, OTHER_LIBRARY) as b:
        # both writers at once: the locks are per library
        write_and_confirm(a, [change(1, after=2.0), change(2)])
        write_and_confirm(b, [change(1, after=9.0)])
        a.set_meta("mode", "edit")
        b.set_owned([OwnedItem(50, ItemType.ALBUM, 5.0)], source="reconstruct")
        run_b = b.begin_run(command="twins")
        b.record_intents(run_b, [change(60)])

        assert set(a.owned()) == {1, 2}
        assert a.owned()[1].value == 2.0
        assert set(b.owned()) == {1, 50}
        assert b.owned()[1].value == 9.0
        assert a.meta("mode") == "edit"
        assert b.meta("mode") is None
        assert a.pending() == []
        assert [e.key for e in b.pending()] == [60]
        assert [r.command for r in a.runs()] == ["run"]
        assert [r.command for r in b.runs()] == ["run", "twins"]
        assert set(a.original_values()) == {1, 2}
        assert set(b.original_values()) == {1}
        with pytest.raises(StateError):
            a.confirm([e.id for e in b.pending()])
        libraries = {info.uuid: info for info in a.known_libraries()}
        assert libraries[LIBRARY].owned == 2
        assert libraries[OTHER_LIBRARY].owned == 2
        assert libraries[OTHER_LIBRARY].last_run_command == "twins"


def test_library_title_and_server_are_refreshed_on_open(path: Path) -> None:
    with StateStore(path, library_uuid=LIBRARY, library_title="Music") as store:
        store.set_meta("x", "1")
    with StateStore(path, library_uuid=LIBRARY, library_title="Musique", server_id="srv") as store:
        (info,) = store.known_libraries()
        assert (info.title, info.server_id) == ("Musique", "srv")


def test_set_owned_drop_owned_and_meta(path: Path) -> None:
    with open_store(path) as store:
        items = [
            OwnedItem(1, ItemType.ARTIST, 6.5, guid="plex://artist/1", phase="reconstruct"),
            OwnedItem(2, ItemType.TRACK, 3.0, twin=True),
        ]
        store.set_owned(items, source="reconstruct")
        assert store.owned() == {1: items[0], 2: items[1]}
        assert store.ownership_built()
        store.drop_owned([1, 99])
        assert set(store.owned()) == {2}
        assert store.meta("missing") is None
        store.set_meta("rating_write_mode", "rate")
        store.set_meta("rating_write_mode", "edit")
        assert store.meta("rating_write_mode") == "edit"
        with pytest.raises(StateError, match="run 42 does not exist"):
            store.set_owned([OwnedItem(3, ItemType.TRACK, 3.0, run_id=42)], source="x")
        assert set(store.owned()) == {2}


def test_an_empty_reconstruct_still_marks_ownership_built(path: Path) -> None:
    with open_store(path) as store:
        store.set_owned([], source="reconstruct")
        assert store.ownership_built()
        assert store.owned() == {}


def test_rekey_moves_ownership_and_history(path: Path) -> None:
    with open_store(path) as store:
        write_and_confirm(store, [change(1, after=6.0), change(2, after=5.0)])
        store.rekey(1, 101)
        assert set(store.owned()) == {101, 2}
        assert store.owned()[101].guid == f"plex://track/{1:024x}"
        assert set(store.original_values()) == {101, 2}
        with pytest.raises(StateError, match="already owns 2"):
            store.rekey(101, 2)
        assert set(store.owned()) == {101, 2}


def test_args_are_stored_as_json_and_secrets_redacted(path: Path) -> None:
    from plexrate.redact import register_secret

    register_secret("SeCrEtToKeN123")
    with open_store(path) as store:
        store.begin_run(command="run", args={"url": "http://x/?X-Plex-Token=SeCrEtToKeN123"})
        (info,) = store.runs()
        assert "SeCrEtToKeN123" not in json.dumps(info.args)
    assert b"SeCrEtToKeN123" not in path.read_bytes()


def test_closed_store_refuses_use(path: Path) -> None:
    store = open_store(path)
    store.close()
    store.close()
    with pytest.raises(StateError, match="closed"):
        store.owned()


def test_a_claim_without_a_guid_keeps_the_known_guid(path: Path) -> None:
    with open_store(path) as store:
        write_and_confirm(store, [change(1, after=6.0, guid="plex://track/abc")])
        write_and_confirm(store, [change(1, before=6.0, after=6.5, guid="")])
        assert store.owned()[1].guid == "plex://track/abc"
        assert store.owned()[1].value == 6.5
