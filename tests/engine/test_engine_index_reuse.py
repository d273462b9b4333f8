"""An index carried over from the last build equals a fresh one (engine/index.py).

``plexrate watch`` plans every cycle on a library that changed by a few ratings, and building the
index again cost seconds at 300,000 tracks."""

from __future__ import annotations

from dataclasses import fields, replace
from types import MappingProxyType
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from plexrate.engine import index as index_module
from plexrate.engine.index import VOLATILE_FIELDS, LibraryIndex
from plexrate.engine.plan import build_plan
from plexrate.model import LibrarySnapshot
from tests.engine.strategies import Case, cases


def _fresh(snapshot: LibrarySnapshot, case: Case) -> LibraryIndex:
    index_module._last_built.clear()
    return LibraryIndex.build(snapshot, case.config)


def _same_index(a: LibraryIndex, b: LibraryIndex) -> None:
    for f in fields(LibraryIndex):
        if f.name != "snapshot":
            assert getattr(a, f.name) == getattr(b, f.name), f.name


def _volatile_change(record: Any, data: st.DataObject) -> Any:
    names = [f.name for f in fields(record) if f.name in VOLATILE_FIELDS]
    changes: dict[str, Any] = {}
    for name in names:
        if name in ("rating", "critic_rating"):
            changes[name] = data.draw(st.sampled_from([None, 1.0, 5.5, 10.0]))
        else:
            changes[name] = data.draw(st.sampled_from([None, 0, 3, 1_700_000_000]))
            if name in ("plays", "skips") and changes[name] is None:
                changes[name] = 0
    return replace(record, **changes)


def _rerated(snapshot: LibrarySnapshot, data: st.DataObject) -> LibrarySnapshot:
    """``snapshot`` with some records replaced by copies that differ in volatile fields only;
    the others stay the very same objects, as from one read to the next."""
    parts: dict[str, Any] = {}
    for part in ("artists", "albums", "tracks"):
        records = dict(getattr(snapshot, part))
        if not records:
            parts[part] = MappingProxyType(records)
            continue
        for key in data.draw(st.lists(st.sampled_from(sorted(records)), max_size=3)):
            records[key] = _volatile_change(records[key], data)
        parts[part] = MappingProxyType(records)
    return replace(snapshot, **parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), data=st.data())
def test_a_carried_index_equals_a_fresh_one_and_plans_the_same(
    case: Case, data: st.DataObject
) -> None:
    first = _fresh(case.snapshot, case)
    after = _rerated(case.snapshot, data)
    carried = LibraryIndex.build(after, case.config)
    fresh = _fresh(after, case)
    assert carried.snapshot is after
    assert carried.twin_groups is first.twin_groups  # carried over, not built again
    _same_index(carried, fresh)
    index_module._last_built[:] = [carried]
    with_carried = build_plan(after, owned=case.owned, config=case.config)
    index_module._last_built.clear()
    assert with_carried == build_plan(after, owned=case.owned, config=case.config)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), data=st.data())
def test_a_structural_change_builds_the_index_again(case: Case, data: st.DataObject) -> None:
    first = _fresh(case.snapshot, case)
    tracks = dict(case.snapshot.tracks)
    assume(tracks)
    key = data.draw(st.sampled_from(sorted(tracks)))
    change = data.draw(st.sampled_from(["title", "duration", "gone"]))
    if change == "title":
        tracks[key] = replace(tracks[key], title=tracks[key].title + " (Live)")
    elif change == "duration":
        tracks[key] = replace(tracks[key], duration_ms=(tracks[key].duration_ms or 0) + 60_000)
    else:
        del tracks[key]
    after = replace(case.snapshot, tracks=MappingProxyType(tracks))
    carried = LibraryIndex.build(after, case.config)
    assert carried is not first
    _same_index(carried, _fresh(after, case))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_other_filler_or_twin_rules_build_the_index_again(case: Case) -> None:
    first = _fresh(case.snapshot, case)
    twins = replace(case.config.twins, enabled=not case.config.twins.enabled)
    other = replace(case.config, twins=twins)
    again = LibraryIndex.build(case.snapshot, other)
    assert again is not first and again.twin_rules == twins
