"""Reconciling unconfirmed intents from the items as Plex shows them after a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.state import (
    EntryStatus,
    ObservedItem,
    Resolution,
    RunStatus,
    StateStore,
    classify,
)
from plexrate.state.records import JournalEntry
from tests.state.state_helpers import TAG, change, open_store, write_and_confirm


def _seen(rating: float | None, *tags: str) -> ObservedItem:
    return ObservedItem(rating=rating, tags=frozenset(tags))


def _crashed_run(store: StateStore, changes: list) -> dict[int, JournalEntry]:  # type: ignore[type-arg]
    run = store.begin_run(command="run")
    store.record_intents(run, changes)
    store.finish_run(run, status=RunStatus.INTERRUPTED)
    return {e.key: e for e in store.pending()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = open_store(tmp_path / "state.sqlite")
    yield s
    s.close()


def test_each_case_is_settled_and_only_landed_writes_are_owned(store: StateStore) -> None:
    write_and_confirm(store, [change(5, after=6.0)])
    _crashed_run(
        store,
        [
            change(1, after=7.0),  # landed
            change(2, after=7.0),  # not sent
            change(3, after=7.0),  # the person rated it meanwhile
            change(4, after=7.0),  # deleted from the library
            change(5, before=6.0, after=6.5, own=None, add_tags=()),  # landed on an owned item
            change(6, after=8.0),  # rating landed, tag edit did not
            change(7, after=8.0),  # tag landed, rating did not
        ],
    )
    observed = {
        1: _seen(7.0, TAG),
        2: _seen(None),
        3: _seen(9.0),
        5: _seen(6.5),
        6: _seen(8.0),
        7: _seen(None, TAG.lower()),
    }
    report = store.resolve_pending(observed)

    assert [e.key for e in report.landed] == [1, 5]
    assert [e.key for e in report.partial] == [6]
    assert [e.key for e in report.not_sent] == [2]
    assert [e.key for e in report.changed] == [3]
    assert [e.key for e in report.vanished] == [4]
    assert [e.key for e in report.tags_only] == [7]
    assert report.total == 7
    assert {e.key for e in report.needs_attention} == {3, 4, 6, 7}
    assert all(e.status is EntryStatus.CONFIRMED for e in report.confirmed)
    assert all(e.status is EntryStatus.FAILED for e in report.failed)

    owned = store.owned()
    assert set(owned) == {1, 5, 6}
    assert owned[5].value == 6.5
    assert store.pending() == []
    notes = {e.key: e.note for e in store.journal(status=EntryStatus.FAILED)}
    assert "not sent" in notes[2]
    assert "changed in Plex" in notes[3]
    assert "no longer exists" in notes[4]
    # and a new run may start now
    store.begin_run(command="run")


def test_the_value_plex_holds_is_what_gets_owned(store: StateStore) -> None:
    _crashed_run(store, [change(1, after=7.0)])
    store.resolve_pending({1: _seen(7.008, TAG)})
    assert store.owned()[1].value == 7.008
    (entry,) = store.journal()
    assert entry.readback == 7.008


def test_a_hijack_drop_that_landed_releases_ownership(store: StateStore) -> None:
    write_and_confirm(store, [change(1, after=6.0), change(2, after=6.0)])
    drop: dict[str, Any] = {
        "set_rating": False,
        "own": False,
        "add_tags": (),
        "remove_tags": (TAG,),
    }
    _crashed_run(store, [change(1, before=9.0, after=9.0, **drop), change(2, **drop)])
    report = store.resolve_pending({1: _seen(9.0), 2: _seen(9.0, TAG)})
    assert [e.key for e in report.landed] == [1]
    assert [e.key for e in report.not_sent] == [2]
    assert set(store.owned()) == {2}


def test_nothing_pending_is_an_empty_report(store: StateStore) -> None:
    report = store.resolve_pending({})
    assert report.total == 0


@pytest.mark.parametrize(
    ("kwargs", "seen", "expected"),
    [
        ({}, _seen(7.0, TAG), Resolution.LANDED),
        # compared at Plex's one decimal: 7.04 is what an older plexrate's 7.0 may read as
        ({}, _seen(7.04, TAG), Resolution.LANDED),
        ({}, _seen(7.1, TAG), Resolution.CHANGED),
        ({"after": 6.58}, _seen(6.6, TAG), Resolution.LANDED),
        ({}, _seen(0.0), Resolution.NOT_SENT),  # Plex's 0 is unrated
        ({}, None, Resolution.VANISHED),
        ({"add_tags": ()}, _seen(7.0), Resolution.LANDED),
        ({"before": 7.0}, _seen(7.0, TAG), Resolution.LANDED),
        ({"before": 7.0}, _seen(7.0), Resolution.NOT_SENT),
        ({"before": 7.0, "add_tags": ("a", "b")}, _seen(7.0, "a"), Resolution.PARTIAL),
        ({"before": 4.0, "remove_tags": ("Twin",)}, _seen(4.0, TAG), Resolution.TAGS_ONLY),
        ({"before": 4.0, "remove_tags": ("Twin",)}, _seen(4.0, "twin"), Resolution.NOT_SENT),
        ({"before": 4.0, "remove_tags": ("Twin",)}, _seen(7.0, "Twin"), Resolution.PARTIAL),
        ({"set_rating": False, "own": None}, _seen(3.0, TAG), Resolution.LANDED),
        ({"set_rating": False, "own": None}, _seen(3.0), Resolution.NOT_SENT),
        ({"set_rating": False, "own": None, "add_tags": ()}, _seen(3.0), Resolution.LANDED),
        ({"set_rating": False, "own": None, "add_tags": ("a", "b")}, _seen(1, "b"), "partial"),
        # claiming a value without writing it needs the value still to be the planned one
        ({"set_rating": False, "before": 5.0, "after": 5.0}, _seen(5.0, TAG), "landed"),
        ({"set_rating": False, "before": 5.0, "after": 5.0}, _seen(6.0, TAG), "changed"),
    ],
)
def test_classify(kwargs: dict, seen: ObservedItem | None, expected: str) -> None:  # type: ignore[type-arg]
    c = change(1, **kwargs)
    entry = JournalEntry(
        id=1,
        run_id=1,
        key=c.key,
        item_type=c.item_type,
        title=c.title,
        guid=c.guid,
        phase=c.phase,
        reason=c.reason,
        set_rating=c.set_rating,
        before=c.before,
        after=c.after,
        add_tags=c.add_tags,
        remove_tags=c.remove_tags,
        own=c.own,
        twin=c.twin,
        year=c.year,
        status=EntryStatus.PENDING,
        recorded_at=0.0,
    )
    assert classify(entry, seen) == expected
    assert entry.to_change() == c


def test_settling_only_some_entries_leaves_the_rest_pending(store: StateStore) -> None:
    run = store.begin_run(command="run")
    first, second = store.record_intents(run, [change(1), change(2)])
    # the request for item 1 timed out after sending: read it back rather than guess
    report = store.resolve_pending({1: _seen(7.0, TAG)}, entry_ids=[first])
    assert [e.key for e in report.landed] == [1]
    assert [e.id for e in store.pending()] == [second]
    assert set(store.owned()) == {1}
