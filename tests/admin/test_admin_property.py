"""DESIGN.md invariant 5 over generated libraries (hypothesis): engine + journal + undo, pure.

A run is planned by the engine, "written" with ``simulate_apply`` and journaled in a real
StateStore (a temporary file); the undo is planned from that journal and simulated in turn. The
library's ownership before the run stands for records imported from the old tool (no journal).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.admin import ManagedTags, plan_undo
from plexrate.engine import build_plan, simulate_apply
from plexrate.model import Change, LibrarySnapshot, Phase, Plan
from plexrate.state import RunStatus, StateStore
from tests.engine.strategies import Case, cases

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def journaled_run(case: Case) -> Iterator[tuple[StateStore, Plan, LibrarySnapshot]]:
    """Plan the full run, land it exactly, and journal it; yields the store and the library."""
    with tempfile.TemporaryDirectory() as folder:
        store = StateStore(Path(folder) / "state.sqlite", library_uuid="hypothesis")
        try:
            if case.owned:
                store.set_owned(list(case.owned.values()), source="legacy-import")
            plan = build_plan(case.snapshot, owned=case.owned, config=case.config)
            after, _ = simulate_apply(case.snapshot, owned=case.owned, plan=plan)
            if plan.changes:
                run = store.begin_run(command="run")
                readback = {c.key: after.item(c.key).rating for c in plan.changes}  # type: ignore[union-attr]
                store.confirm(store.record_intents(run, plan.changes), readback=readback)
                store.finish_run(run, status=RunStatus.COMPLETED)
            yield store, plan, after
        finally:
            store.close()


def tags_of(snapshot: LibrarySnapshot, tags: ManagedTags, key: int) -> tuple[str, ...]:
    return tuple(t for t in tags.names if snapshot.has_tag(t, key))


def rating(snapshot: LibrarySnapshot, key: int) -> float | None:
    item = snapshot.item(key)
    assert item is not None
    return item.rating


def with_ratings(snapshot: LibrarySnapshot, ratings: Mapping[int, float]) -> LibrarySnapshot:
    """The library after the person rated some items by hand."""
    plan = Plan()
    for key, value in ratings.items():
        item = snapshot.item(key)
        assert item is not None
        plan.changes.append(
            Change(key, item.item_type, "", Phase.IMPORT, "the person", item.rating, value)
        )
    changed, _ = simulate_apply(snapshot, owned={}, plan=plan)
    return changed


@PROPERTY
@given(case=cases(), data=st.data())
def test_undo_everything_returns_every_item_to_before_plexrate(
    case: Case, data: st.DataObject
) -> None:
    with journaled_run(case) as (store, _, after):
        owned = store.owned()
        # The person changes some of plexrate's values between the run and the undo.
        touched = data.draw(
            st.sets(st.sampled_from(sorted(owned)), max_size=3) if owned else st.just(set())
        )
        # A value unlike the one plexrate wrote (the item may be unrated now: cleared, still
        # plexrate's).
        mine = {k: (1.0 if owned[k].value > 5 else 9.0) for k in touched}
        library = with_ratings(after, mine)
        tags = ManagedTags.of(library, case.config)

        plan, report = plan_undo(
            library, owned=owned, originals=store.original_values(), config=case.config
        )
        final, owned_after = simulate_apply(library, owned=owned, plan=plan)

        assert owned_after == {}
        assert {s.key for s in report.left_alone} == set(touched)
        for key in owned:
            if key in mine:
                assert rating(final, key) == mine[key]  # the person's value stays
            else:
                # Before plexrate (or the old tool, for imported records) it was unrated.
                assert rating(final, key) is None
            assert tags_of(final, tags, key) == ()
        for item in library.all_items():
            if item.key not in owned:
                assert item.rating == rating(final, item.key)
                assert tags_of(library, tags, item.key) == tags_of(final, tags, item.key)
        # Invariant 4 for undo: a second undo right after writes nothing.
        again, _ = plan_undo(
            final, owned=owned_after, originals=store.original_values(), config=case.config
        )
        assert again.changes == []


@PROPERTY
@given(case=cases())
def test_undo_of_the_run_gives_back_the_library_before_it(case: Case) -> None:
    with journaled_run(case) as (store, plan, after):
        run_id = store.runs()[-1].id if store.runs() else 1
        owned = store.owned()
        undo, report = plan_undo(
            after,
            owned=owned,
            originals=store.original_values(run_id=run_id),
            config=case.config,
            run_id=run_id,
        )
        final, owned_after = simulate_apply(after, owned=owned, plan=undo)
        tags = ManagedTags.of(case.snapshot, case.config)
        hijacked = {c.key for c in plan.changes if c.phase is Phase.HIJACK}
        written = {c.key for c in plan.changes if c.set_rating}

        assert {s.key for s in report.left_alone} == hijacked
        for item in case.snapshot.all_items():
            key = item.key
            assert rating(final, key) == item.rating
            if key not in hijacked:
                assert tags_of(final, tags, key) == tags_of(case.snapshot, tags, key)
        for key in written:
            # plexrate's again where the run had rewritten a value plexrate owned
            before = rating(case.snapshot, key)
            was_owned = key in case.owned and before is not None
            assert (key in owned_after) == was_owned
            if was_owned:
                assert owned_after[key].value == before
        # Records the run did not write are left as they were.
        for key, claim in owned.items():
            if key not in written:
                assert owned_after.get(key) == claim
