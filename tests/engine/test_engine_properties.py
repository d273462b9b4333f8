"""DESIGN.md invariants 1, 2, 4 and 7 over generated libraries (hypothesis)."""

from __future__ import annotations

import copy
import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.engine import build_plan, infer, simulate_apply
from plexrate.model import INFERENCE_PHASES, LibrarySnapshot, OwnedItem, Phase, Plan
from tests.engine.strategies import Case, cases, shuffled

PROPERTY_SETTINGS = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def manual_keys(case: Case) -> set[int]:
    """Items whose rating is the person's: rated and not owned, or owned but changed (hijack)."""
    manual = set()
    tolerance = case.config.hijack_tolerance + 1e-9
    for item in case.snapshot.all_items():
        if item.rating is None:
            continue
        claim = case.owned.get(item.key)
        if claim is None or abs(item.rating - claim.value) > tolerance:
            manual.add(item.key)
    return manual


def ratings(snapshot: LibrarySnapshot) -> dict[int, float | None]:
    return {item.key: item.rating for item in snapshot.all_items()}


def tag_sets(snapshot: LibrarySnapshot) -> dict[str, frozenset[int]]:
    return {name: keys for name, keys in snapshot.tagged.items() if keys}


def apply(case: Case, plan: Plan) -> tuple[LibrarySnapshot, dict[int, OwnedItem]]:
    return simulate_apply(case.snapshot, owned=case.owned, plan=plan)


@PROPERTY_SETTINGS
@given(cases())
def test_invariant_1_no_change_touches_a_manual_rating(case: Case) -> None:
    plan = build_plan(case.snapshot, owned=case.owned, config=case.config)
    manual = manual_keys(case)
    for change in plan.changes:
        if change.key in manual:
            assert change.phase is Phase.HIJACK
            assert not change.set_rating
            assert change.own is False
    after, owned_after = apply(case, plan)
    for key in manual:
        assert after.item(key).rating == case.snapshot.item(key).rating  # type: ignore[union-attr]
        assert key not in owned_after


@PROPERTY_SETTINGS
@given(cases())
def test_invariant_2_values_in_range_and_only_plan_items_change(case: Case) -> None:
    inference = infer(case.snapshot, owned=case.owned, config=case.config)
    assert all(0.0 <= v <= 10.0 for v in inference.values.values())
    plan = build_plan(case.snapshot, owned=case.owned, config=case.config, inference=inference)
    assert all(0.0 < c.after <= 10.0 for c in plan.changes if c.set_rating and c.after is not None)
    assert len({c.key for c in plan.changes}) == len(plan.changes), "an item planned twice"

    after, owned_after = apply(case, plan)
    planned = {c.key for c in plan.changes}
    for item in case.snapshot.all_items():
        if item.key not in planned:
            assert after.item(item.key) == item
            assert owned_after.get(item.key) == case.owned.get(item.key)
    for name, keys in after.tagged.items():
        assert keys - planned == case.snapshot.tagged.get(name, frozenset()) - planned


@PROPERTY_SETTINGS
@given(cases())
def test_the_engine_does_not_mutate_its_inputs(case: Case) -> None:
    owned_before = copy.deepcopy(case.owned)
    snapshot_before = {item.key: item for item in case.snapshot.all_items()}
    build_plan(case.snapshot, owned=case.owned, config=case.config)
    assert case.owned == owned_before
    assert {item.key: item for item in case.snapshot.all_items()} == snapshot_before


@PROPERTY_SETTINGS
@given(cases(), st.lists(st.sampled_from(INFERENCE_PHASES), min_size=1, max_size=5))
def test_invariant_4_a_second_run_plans_nothing(case: Case, phases: list[Phase]) -> None:
    plan = build_plan(case.snapshot, owned=case.owned, config=case.config, phases=phases)
    after, owned_after = apply(case, plan)
    again = build_plan(after, owned=owned_after, config=case.config, phases=phases)
    assert again.changes == []


@PROPERTY_SETTINGS
@given(cases())
def test_invariant_4_single_phases_in_order_reach_the_full_run(case: Case) -> None:
    full = build_plan(case.snapshot, owned=case.owned, config=case.config)
    full_library, full_owned = apply(case, full)

    snapshot, owned = case.snapshot, case.owned
    for phase in INFERENCE_PHASES:
        plan = build_plan(snapshot, owned=owned, config=case.config, phases=[phase])
        snapshot, owned = simulate_apply(snapshot, owned=owned, plan=plan)

    eps = full.stats["epsilon"] + 1e-9
    expected, reached = ratings(full_library), ratings(snapshot)
    for key, value in expected.items():
        other = reached[key]
        assert (value is None) == (other is None), key
        if value is not None and other is not None:
            assert abs(value - other) <= eps, (key, value, other)
    assert set(owned) == set(full_owned)
    assert tag_sets(snapshot) == tag_sets(full_library)


@PROPERTY_SETTINGS
@given(cases(), st.integers(0, 2**32 - 1), st.sampled_from([None, "B", "e", "M"]))
def test_invariant_7_deterministic_under_any_dict_order(
    case: Case, seed: int, letter: str | None
) -> None:
    first = build_plan(case.snapshot, owned=case.owned, config=case.config, start_letter=letter)
    second = build_plan(case.snapshot, owned=case.owned, config=case.config, start_letter=letter)
    mixed = shuffled(case, seed)
    third = build_plan(mixed.snapshot, owned=mixed.owned, config=mixed.config, start_letter=letter)
    assert first.changes == second.changes == third.changes
    assert first.stats == second.stats == third.stats
    assert first.notes == third.notes


@PROPERTY_SETTINGS
@given(cases())
def test_start_letter_only_drops_changes_of_the_first_phase(case: Case) -> None:
    full = build_plan(case.snapshot, owned=case.owned, config=case.config)
    resumed = build_plan(case.snapshot, owned=case.owned, config=case.config, start_letter="M")
    kept = {dataclasses.astuple(c) for c in resumed.changes}
    for change in full.changes:
        if change.phase is not Phase.ALBUM_UP:
            assert dataclasses.astuple(change) in kept
    assert len(full.changes) - len(resumed.changes) == resumed.stats["skipped_start_letter"]


@PROPERTY_SETTINGS
@given(cases())
def test_hijack_integer_only_never_touches_a_rating_its_rule_calls_the_persons(
    case: Case,
) -> None:
    """With HIJACK_INTEGER_ONLY the person's ratings are the unowned ones and the drifts the rule
    hands to the person; those stay as they are, and a second run plans nothing."""
    config = dataclasses.replace(case.config, hijack_integer_only=True)
    plan = build_plan(case.snapshot, owned=case.owned, config=config)
    tolerance = config.hijack_tolerance + 1e-9
    manual = set()
    for item in case.snapshot.all_items():
        claim = case.owned.get(item.key)
        if item.rating is None:
            continue
        if claim is None:
            manual.add(item.key)
        elif abs(item.rating - claim.value) > tolerance:
            # the rule, written out: a whole number, or rated in Plex after plexrate's write
            whole = item.rating == round(item.rating)
            since = (
                item.rated_at is not None
                and claim.written_at is not None
                and item.rated_at > claim.written_at
            )
            if whole or since:
                manual.add(item.key)
    for change in plan.changes:
        if change.key in manual:
            assert (change.phase, change.set_rating, change.own) == (Phase.HIJACK, False, False)
    after, owned_after = apply(case, plan)
    for key in manual:
        assert after.item(key).rating == case.snapshot.item(key).rating  # type: ignore[union-attr]
        assert key not in owned_after
    again = build_plan(after, owned=owned_after, config=config)
    assert again.changes == []
