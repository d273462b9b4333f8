"""Journal retention (issue 21.1): compacting old runs changes nothing undo of everything sees,
keeps recent runs undoable one by one, and keeps the file small."""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexrate.model import Change, Phase
from plexrate.state import RunStatus
from tests.state.state_helpers import TAG, change, open_store, write_and_confirm

ratings = st.none() | st.integers(min_value=0, max_value=20).map(lambda n: n / 2)
tags = st.sampled_from([(), (TAG,), ("rating_inferred",), ("Twin",)])
changes = st.builds(
    lambda key, before, after, own, set_rating, add, remove, phase: change(
        key,
        before=before,
        after=after,
        own=own,
        set_rating=set_rating,
        add_tags=add,
        remove_tags=remove,
        phase=phase,
    ),
    key=st.integers(min_value=1, max_value=8),
    before=ratings,
    after=ratings,
    own=st.sampled_from([True, False, None]),
    set_rating=st.booleans(),
    add=tags,
    remove=tags,
    phase=st.sampled_from([Phase.TRACK_DOWN, Phase.ALBUM_UP, Phase.UNDO]),
)
batch = st.tuples(
    st.lists(changes, min_size=1, max_size=4),
    st.sampled_from(["confirm", "readback", "fail"]),
    ratings,
)
history = st.lists(st.lists(batch, min_size=1, max_size=3), min_size=1, max_size=7)


def _play(store: object, runs: list[list[tuple[list[Change], str, float | None]]]) -> None:
    from plexrate.state import StateStore

    assert isinstance(store, StateStore)
    for batches in runs:
        run = store.begin_run(command="run")
        for changes_, result, read in batches:
            ids = store.record_intents(run, changes_)
            if result == "fail":
                store.fail(ids, error="refused")
            else:
                readback = {changes_[0].key: read} if result == "readback" else {}
                store.confirm(ids, readback=readback)
        store.finish_run(run, status=RunStatus.COMPLETED)


def _owned(store: object) -> dict[int, object]:
    from plexrate.state import StateStore

    assert isinstance(store, StateStore)
    return {k: replace(o, written_at=None) for k, o in store.owned().items()}


@settings(max_examples=80, deadline=None)
@given(history, history, st.integers(min_value=0, max_value=4))
def test_undo_of_everything_sees_the_same_before_and_after_compaction(
    first: list[list[tuple[list[Change], str, float | None]]],
    then: list[list[tuple[list[Change], str, float | None]]],
    keep: int,
) -> None:
    """Compaction in two rounds, with runs in between: what undo of everything needs is the same
    as from the full journal, and so are the runs still kept, one by one."""
    with tempfile.TemporaryDirectory() as folder:
        full, compacted = Path(folder) / "full.sqlite", Path(folder) / "compacted.sqlite"
        with open_store(full) as a, open_store(compacted) as b:
            for runs in (first, then):
                _play(a, runs)
                _play(b, runs)
                b.compact(keep_runs=keep, vacuum=False)
                assert b.original_values() == a.original_values()
                assert _owned(b) == _owned(a)
                gone = b.compacted_runs()
                live = [r.id for r in b.runs() if r.id not in gone]
                assert len(live) >= min(keep, len(a.runs()))
                for run_id in live:
                    assert b.original_values(run_id=run_id) == a.original_values(run_id=run_id)
                assert [(r.id, r.confirmed, r.failed) for r in b.runs()] == [
                    (r.id, r.confirmed, r.failed) for r in a.runs()
                ]


def test_runs_with_unconfirmed_writes_are_never_compacted(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        first = write_and_confirm(store, [change(1)])
        waiting = store.begin_run(command="run")
        store.record_intents(waiting, [change(2)])
        store.finish_run(waiting, status=RunStatus.INTERRUPTED)
        report = store.compact(keep_runs=0)
        assert report.runs == (first,)
        assert store.compacted_runs() == {first}
        assert len(store.pending()) == 1


def test_a_rekeyed_item_keeps_its_compacted_history(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        write_and_confirm(store, [change(1, before=4.0, after=7.0)])
        write_and_confirm(store, [change(2)])
        store.compact(keep_runs=1)
        store.rekey(1, 11)
        original = store.original_values()[11]
        assert (original.before, original.last_written) == (4.0, 7.0)


def test_compaction_shrinks_the_file_and_vacuums_when_it_pays(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_store(path) as store:
        for run in range(12):
            write_and_confirm(
                store, [change(k, after=float(1 + (k + run) % 9)) for k in range(3000)]
            )
        before = path.stat().st_size
        report = store.compact(keep_runs=2)
        assert len(report.runs) == 10
        assert report.entries_removed == 30_000
        assert report.items == 3000
        assert report.vacuumed
    assert path.stat().st_size < before / 3
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0] == 6000
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0


@pytest.mark.parametrize("keep", [0, 1, 5])
def test_keep_counts_the_newest_runs(tmp_path: Path, keep: int) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        ids = [write_and_confirm(store, [change(k)]) for k in range(4)]
        store.compact(keep_runs=keep)
        assert store.compacted_runs() == set(ids[: max(len(ids) - keep, 0)])
