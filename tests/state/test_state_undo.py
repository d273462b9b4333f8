"""``original_values``: what undo restores, over all runs or one run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plexrate.model import ItemType
from plexrate.state import RunStatus, StateStore
from tests.state.state_helpers import TAG, change, open_store, write_and_confirm

TWIN_TAG = "Twin"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = open_store(tmp_path / "state.sqlite")
    yield s
    s.close()


def test_first_write_before_wins_across_runs(store: StateStore) -> None:
    run1 = write_and_confirm(
        store,
        [
            change(1, before=None, after=7.0),
            change(2, before=4.0, after=6.0, own=None, add_tags=()),  # bulk-import manual edit
            change(3, before=None, after=5.0, item_type=ItemType.ALBUM),
        ],
    )
    run2 = write_and_confirm(
        store,
        [
            change(1, before=7.0, after=8.0, own=None, add_tags=(TWIN_TAG,)),
            change(4, before=None, after=3.0),
        ],
        readback={4: 3.05},
    )
    values = store.original_values()
    assert set(values) == {1, 2, 3, 4}
    one = values[1]
    assert (one.wrote_rating, one.before, one.last_written) == (True, None, 8.0)
    assert (one.first_run_id, one.last_run_id) == (run1, run2)
    assert one.tags_added == (TAG, TWIN_TAG)
    assert one.superseded_by is None
    assert (values[2].before, values[2].last_written, values[2].tags_added) == (4.0, 6.0, ())
    assert values[3].item_type is ItemType.ALBUM
    assert values[4].last_written == 3.05  # the read-back value, not the one sent


def test_one_run_scope_starts_at_that_runs_first_write(store: StateStore) -> None:
    run1 = write_and_confirm(store, [change(1, after=7.0), change(2, after=5.0)])
    run2 = write_and_confirm(
        store, [change(1, before=7.0, after=8.0, own=None, add_tags=()), change(3, after=2.0)]
    )
    first = store.original_values(run_id=run1)
    assert set(first) == {1, 2}
    assert (first[1].before, first[1].last_written) == (None, 7.0)
    # run 2 wrote item 1 since: undo of run 1 must know the current 8.0 is not the person's
    assert first[1].superseded_by == run2
    assert first[2].superseded_by is None

    second = store.original_values(run_id=run2)
    assert set(second) == {1, 3}
    assert (second[1].before, second[1].last_written) == (7.0, 8.0)
    assert second[1].tags_added == ()
    assert second[1].superseded_by is None


def test_failed_and_pending_writes_are_not_undone(store: StateStore) -> None:
    run = store.begin_run(command="run")
    ok, failed, _pending = store.record_intents(run, [change(1), change(2), change(3)])
    store.confirm([ok])
    store.fail([failed], error="timeout")
    store.finish_run(run, status=RunStatus.INTERRUPTED)
    assert set(store.original_values()) == {1}
    assert store.original_values(run_id=run).keys() == {1}


def test_tag_only_changes_and_tags_removed_later(store: StateStore) -> None:
    write_and_confirm(
        store, [change(1, before=6.0, after=6.0, set_rating=False, own=None, add_tags=(TAG,))]
    )
    write_and_confirm(store, [change(2, after=5.0, add_tags=(TAG, TWIN_TAG))])
    write_and_confirm(
        store,
        [
            change(
                2,
                before=5.0,
                after=9.0,
                set_rating=False,
                own=False,
                add_tags=(),
                remove_tags=(TAG.upper(),),
            )
        ],
    )
    values = store.original_values()
    assert values[1].wrote_rating is False
    assert values[1].tags_added == (TAG,)
    # the hijack removed the inferred tag again; only the twin tag is still plexrate's
    assert values[2].tags_added == (TWIN_TAG,)
    assert (values[2].before, values[2].last_written) == (None, 5.0)


def test_unknown_run_is_empty(store: StateStore) -> None:
    write_and_confirm(store, [change(1)])
    assert store.original_values(run_id=999) == {}
