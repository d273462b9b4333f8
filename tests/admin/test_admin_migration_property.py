"""Coming from the old tool (hypothesis): whatever its state file says, the person keeps every
rating they set, through the migration, a full run and an undo of everything (the rerun writing
nothing is checked end to end in tests/e2e/test_e2e_migration.py).

A generated library's ratings are the person's. The old tool then rates some unrated items
(full-precision values, stored by Plex at one decimal, tagged when a tag is configured), and the
person re-rates some of those afterwards. Its state file records, for the person's own ratings,
whatever a release could have written there (nothing; ``t: 2`` for a twin anchor; v1.5's
``m: true``; an older value of the old tool's the person has since changed), in any shape
(v1.4 full precision, v1.5 one decimal with ``m``, flat), plus keys the library does not have
and zeros.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.admin import plan_undo
from plexrate.engine import simulate_apply
from plexrate.model import Change, LibrarySnapshot, Phase, Plan, plex_rating
from plexrate.state import LegacyEntry, LegacyFormat, LegacyState, plan_migration
from tests.admin.test_admin_property import journaled_run, rating
from tests.engine.strategies import INFERRED_TAG, Case, cases

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _far_from(stored: float) -> Callable[[float], bool]:
    """A rating Plex would store differently from ``stored``."""
    return lambda value: abs(value - stored) > 0.05


def _landed(snapshot: LibrarySnapshot, changes: list[Change]) -> LibrarySnapshot:
    after, _ = simulate_apply(snapshot, owned={}, plan=Plan(changes=changes))
    return after


def _write(key: int, snapshot: LibrarySnapshot, value: float, tags: tuple[str, ...]) -> Change:
    item = snapshot.item(key)
    assert item is not None
    return Change(key, item.item_type, "", Phase.IMPORT, "", item.rating, value, add_tags=tags)


@st.composite
def histories(draw: Any) -> tuple[Case, LegacyState, dict[int, float]]:
    case: Case = draw(cases())
    tag = draw(st.sampled_from([INFERRED_TAG, ""]))
    config = dataclasses.replace(case.config, inferred_tag=tag)
    # Before the old tool: every rating is the person's, and no item carries plexrate's tag.
    base = dataclasses.replace(case.snapshot, tagged=MappingProxyType({}))
    person = {item.key: item.rating for item in base.all_items() if item.rating is not None}
    unrated = sorted(item.key for item in base.all_items() if item.rating is None)

    # The old tool rates some unrated items; Plex stores one decimal.
    inferred_keys = draw(
        st.lists(st.sampled_from(unrated), unique=True) if unrated else st.just([])
    )
    values = {
        k: draw(st.floats(min_value=0.05, max_value=10, allow_nan=False)) for k in inferred_keys
    }
    tags = (tag,) if tag else ()
    library = _landed(base, [_write(k, base, plex_rating(v), tags) for k, v in values.items()])
    # The person re-rates some of them afterwards (a value Plex can tell apart).
    rerated: dict[int, float] = {}
    for key in draw(
        st.lists(st.sampled_from(inferred_keys), unique=True, max_size=3)
        if inferred_keys
        else st.just([])
    ):
        stored = plex_rating(values[key])
        rerated[key] = draw(
            st.sampled_from([v / 2 for v in range(1, 21)]).filter(_far_from(stored))
        )
    library = _landed(library, [_write(k, library, v, ()) for k, v in rerated.items()])

    version = draw(st.sampled_from(["1.4", "1.5", "flat"]))
    entries: dict[int, LegacyEntry] = {}
    for key, value in values.items():
        recorded = value if version == "1.4" else round(value, 1)
        if version == "flat":
            entries[key] = LegacyEntry(recorded)
        else:
            flag = draw(st.sampled_from([0, 1, 2] if version == "1.4" else [0, 1]))
            entries[key] = LegacyEntry(recorded, twin=flag > 0, cluster_manual=flag == 2)
    for key, value in person.items():
        claim = draw(st.sampled_from(["none", "anchor", "older-value"]))
        if claim == "anchor" and version == "1.4":
            entries[key] = LegacyEntry(value, twin=True, cluster_manual=True)
        elif claim == "anchor" and version == "1.5":
            entries[key] = LegacyEntry(value, twin=True, manual=True)
        elif claim == "older-value":
            # the old tool once wrote another value there; the person has rated it since
            older = plex_rating(value + 2.5 if value < 5 else value - 2.5)
            entries[key] = LegacyEntry(older, twin=draw(st.booleans()))
    for key in draw(st.lists(st.integers(min_value=10**6, max_value=10**7), max_size=2)):
        entries[key] = LegacyEntry(draw(st.floats(min_value=0, max_value=10)))
    for key in draw(st.lists(st.sampled_from(unrated), max_size=2) if unrated else st.just([])):
        entries.setdefault(key, LegacyEntry(0.0))

    legacy = LegacyState(
        library_uuid=None if version == "flat" else "hypothesis",
        entries=MappingProxyType(entries),
        format=LegacyFormat.FLAT if version == "flat" else LegacyFormat.STAMPED,
    )
    mine = {**person, **rerated}
    return Case(snapshot=library, owned={}, config=config), legacy, mine


@PROPERTY
@given(histories())
def test_whatever_the_legacy_file_says_run_and_undo_keep_every_person_rating(
    history: tuple[Case, LegacyState, dict[int, float]],
) -> None:
    case, legacy, mine = history
    migration = plan_migration(legacy, case.snapshot, inferred_tag=case.config.inferred_tag)
    owned = {item.key: item for item in migration.owned}
    assert not set(owned) & set(mine)
    migrated = Case(snapshot=case.snapshot, owned=owned, config=case.config)

    with journaled_run(migrated) as (store, _, after):
        for key, value in mine.items():
            assert rating(after, key) == value
        run_owned = store.owned()
        undo, _ = plan_undo(
            after, owned=run_owned, originals=store.original_values(), config=case.config
        )
        final, owned_after = simulate_apply(after, owned=run_owned, plan=undo)
    assert owned_after == {}
    for key, value in mine.items():
        assert rating(final, key) == value
    # Everything plexrate owned (the old tool's values it took over, and its own) is unrated again.
    for key in run_owned:
        assert rating(final, key) is None
