"""From inference to plan: writing rules, tags, ownership, order, start letter and stats."""

from __future__ import annotations

import dataclasses

import pytest

from plexrate.engine import EngineConfig, InferenceModel, TwinRules, build_plan, infer
from plexrate.model import Change, ItemType, OwnedItem, Phase
from tests.support.library import Lib, own, worked_example

CFG = EngineConfig(inference_model=InferenceModel.CLASSIC)
TAG = "Rating_Inferred"


def by_key(changes: list[Change]) -> dict[int, Change]:
    return {c.key: c for c in changes}


def test_worked_example_plan_order_and_shape() -> None:
    plan = build_plan(worked_example().snapshot(), owned={}, config=CFG)
    assert [(c.phase, c.key) for c in plan.changes] == [
        (Phase.ALBUM_UP, 10),
        (Phase.ARTIST_UP, 1),
        (Phase.ARTIST_UP, 3),
        (Phase.ALBUM_DOWN, 11),
        (Phase.ALBUM_DOWN, 20),
        (Phase.ALBUM_DOWN, 30),
        (Phase.TRACK_DOWN, 102),
        (Phase.TRACK_DOWN, 110),
        (Phase.TRACK_DOWN, 111),
        (Phase.TRACK_DOWN, 120),
        (Phase.TRACK_DOWN, 200),
        (Phase.TRACK_DOWN, 300),
    ]
    x = plan.changes[0]
    assert x == Change(
        key=10,
        item_type=ItemType.ALBUM,
        title="Alpha — X",
        phase=Phase.ALBUM_UP,
        reason="2 rated tracks, prior 3.5★",
        before=None,
        after=7.4,
        set_rating=True,
        add_tags=(TAG,),
        own=True,
        guid="plex://album/10",
    )
    assert all(c.set_rating and c.own is True and c.add_tags == (TAG,) for c in plan.changes)


def test_worked_example_stats() -> None:
    plan = build_plan(worked_example().snapshot(), owned={}, config=CFG)
    assert plan.stats == {
        "items": 18,
        "prior": 7.0,
        "prior_tracks": 3,
        "manual_tracks": 4,  # one of them filler: the prior rests on 3
        "epsilon": 0.06,
        "changes": 12,
        "rating_writes": 12,
        "hijacks": 0,
        "cleared": 0,
        "skipped_start_letter": 0,
        "unchanged": 0,
        "tag_only": 0,
        "without_value": 0,
        "without_value.artist": 0,
        "without_value.album": 0,
        "without_value.track": 0,
        # Gamma, its album V and V's track rest on nothing the person rated.
        "no_evidence": 3,
        "no_evidence.artist": 1,
        "no_evidence.album": 1,
        "no_evidence.track": 1,
        "changes.album-up.album": 1,
        "changes.artist-up.artist": 2,
        "changes.album-down.album": 3,
        "changes.track-down.track": 6,
    }
    assert plan.notes == []


def test_tracks_are_ordered_by_disc_then_number() -> None:
    lib = Lib()
    lib.artist(1, "A")
    lib.album(2, 1, rating=8.0)
    lib.track(30, 2, disc=2, index=1)
    lib.track(31, 2, disc=1, index=5)
    lib.track(32, 2, disc=1, index=2)
    plan = build_plan(lib.snapshot(), owned={}, config=CFG, phases=[Phase.TRACK_DOWN])
    assert [c.key for c in plan.changes] == [32, 31, 30]


def with_x_in_plex(value: float, *, tagged: bool = True) -> tuple[Lib, dict[int, OwnedItem]]:
    """The worked example after an earlier run wrote ``value`` to album X."""
    lib = worked_example()
    lib.albums[10] = dataclasses.replace(lib.albums[10], rating=value)
    if tagged:
        lib.tag(TAG, 10)
    return lib, own(lib.snapshot(), {10: value})


@pytest.mark.parametrize(
    ("current", "rewritten"),
    # Plex holds one decimal, and X's exact value (7.4) is on that grid: any other value Plex
    # holds is at least 0.1 away, beyond every ε; test_worth_writing_* covers ε itself.
    [(7.4, False), (7.3, True), (7.5, True), (5.0, True)],
)
def test_an_owned_value_is_rewritten_only_when_it_moved_by_epsilon(
    current: float, rewritten: bool
) -> None:
    lib, owned = with_x_in_plex(current)
    plan = build_plan(lib.snapshot(), owned=owned, config=CFG)
    changes = by_key(plan.changes)
    if rewritten:
        assert (changes[10].before, changes[10].after, changes[10].own) == (current, 7.4, True)
        assert changes[10].add_tags == ()
        assert plan.stats["unchanged"] == 0
    else:
        assert 10 not in changes
        assert plan.stats["unchanged"] == 1
        # Later phases see the value that stays in Plex, not the one that was not written.
        assert changes[102].after == current


def test_an_owned_value_within_epsilon_missing_its_tag_gets_a_tag_only_change() -> None:
    lib, owned = with_x_in_plex(7.4, tagged=False)
    plan = build_plan(lib.snapshot(), owned=owned, config=CFG)
    change = by_key(plan.changes)[10]
    assert (change.set_rating, change.before, change.after) == (False, 7.4, 7.4)
    assert change.add_tags == (TAG,)
    assert change.own is None
    assert (plan.stats["unchanged"], plan.stats["tag_only"]) == (1, 1)


def test_dynamic_precision_widens_epsilon_on_big_libraries() -> None:
    lib, owned = with_x_in_plex(7.335)
    lib.album(31, 3, "Box set")
    for key in range(100_000, 300_000):
        lib.track(key, 31)
    snapshot = lib.snapshot()
    assert snapshot.size == 200_019
    dynamic = build_plan(snapshot, owned=owned, config=CFG, phases=[Phase.ALBUM_UP])
    # ε = 0.02 × (log10 200,019 − 2) = 0.066022, above the floor of 0.06 (six tenths of a
    # step), and 7.4 − 7.335 = 0.065 stays.
    assert dynamic.stats["epsilon"] == pytest.approx(0.066022, abs=1e-6)
    assert dynamic.changes == []
    flat = dataclasses.replace(CFG, dynamic_precision=False)
    static = build_plan(snapshot, owned=owned, config=flat, phases=[Phase.ALBUM_UP])
    assert static.stats["epsilon"] == pytest.approx(0.06)
    assert [(c.key, c.after) for c in static.changes] == [(10, 7.4)]


@pytest.mark.parametrize(
    ("current", "step", "rewritten"),
    [
        # X's inference is 7.4. Stored half a step away or less, it is not rewritten: a value
        # written from an inference that then drifted a hair across the middle between two
        # steps stays as it was.
        (7.35, 0.0, False),
        (7.45, 0.0, False),
        (7.33, 0.0, True),
        # Half stars (1.0 on the 0-10 scale): X would round to 7.0; a stored 8.0 is 0.6 away.
        (8.0, 1.0, True),
        (7.9, 1.0, False),
    ],
)
def test_the_threshold_is_at_least_six_tenths_of_a_step(
    current: float, step: float, rewritten: bool
) -> None:
    lib, owned = with_x_in_plex(current)
    cfg = dataclasses.replace(CFG, rating_step=step)
    plan = build_plan(lib.snapshot(), owned=owned, config=cfg, phases=[Phase.ALBUM_UP])
    assert plan.stats["epsilon"] == pytest.approx(0.6 * (step or 0.1))
    assert (10 in by_key(plan.changes)) is rewritten


def test_no_tags_when_the_inferred_tag_is_empty() -> None:
    cfg = dataclasses.replace(CFG, inferred_tag="")
    plan = build_plan(worked_example().snapshot(), owned={}, config=cfg)
    assert plan.changes
    assert all(c.add_tags == () and c.remove_tags == () for c in plan.changes)


def test_a_tag_already_present_is_not_added_again() -> None:
    lib = worked_example()
    lib.tag("rating_inferred", 102)  # Plex compares mood names case-insensitively
    change = by_key(build_plan(lib.snapshot(), owned={}, config=CFG).changes)[102]
    assert change.set_rating
    assert change.add_tags == ()


def test_a_hijack_drops_ownership_and_plexrates_tags_and_keeps_the_persons_value() -> None:
    lib, owned = with_x_in_plex(7.4)
    lib.albums[10] = dataclasses.replace(lib.albums[10], rating=9.0)
    lib.tag("Twin", 10)
    cfg = dataclasses.replace(CFG, twins=TwinRules(twin_tag="Twin"))
    plan = build_plan(lib.snapshot(), owned=owned, config=cfg)
    assert plan.changes[0] == Change(
        key=10,
        item_type=ItemType.ALBUM,
        title="Alpha — X",
        phase=Phase.HIJACK,
        reason="changed in Plex from 3.7★ to 4.5★: now manual (any change is yours)",
        before=9.0,
        after=9.0,
        set_rating=False,
        remove_tags=(TAG, "Twin"),
        own=False,
        guid="plex://album/10",
    )
    assert plan.stats["hijacks"] == 1
    changes = by_key(plan.changes)
    # X is manual evidence now: Alpha = (3 × 7 + 4 + 9) / 5 = 6.8, and 102 inherits X with
    # gravity: 9 × 0.7 + 7 × 0.3 = 8.4.
    assert changes[1].after == 6.8
    assert changes[102].after == 8.4


@pytest.mark.parametrize(
    ("current", "rated_at", "rule"),
    [
        (9.0, None, "whole-number"),  # a half-star step a Plex app sets
        (8.0, 50, "whole-number"),
        (7.7, 200, "rated-since"),  # fractional, but rated after plexrate's write (100)
        (7.7, 100, None),  # fractional, no rating since: drift, still plexrate's
        (7.7, None, None),
    ],
)
def test_hijack_integer_only_names_the_rule_that_decided(
    current: float, rated_at: int | None, rule: str | None
) -> None:
    lib, owned = with_x_in_plex(7.4)
    lib.albums[10] = dataclasses.replace(lib.albums[10], rating=current, rated_at=rated_at)
    owned = {10: dataclasses.replace(owned[10], written_at=100.0)}
    cfg = dataclasses.replace(CFG, hijack_integer_only=True)
    plan = build_plan(lib.snapshot(), owned=owned, config=cfg)
    hijacks = [c for c in plan.changes if c.phase is Phase.HIJACK]
    if rule is None:
        assert hijacks == []
        assert plan.stats["drifted"] == 1
        # still plexrate's: re-inferred and written back to its value
        assert by_key(plan.changes)[10].after == 7.4
    else:
        assert [c.key for c in hijacks] == [10]
        assert plan.stats[f"hijacks.{rule}"] == 1
        assert "HIJACK_INTEGER_ONLY" in hijacks[0].reason
    # without the setting every drift is the person's
    plain = build_plan(lib.snapshot(), owned=owned, config=CFG)
    assert [c.key for c in plain.changes if c.phase is Phase.HIJACK] == [10]
    assert plain.stats["hijacks.any-change"] == 1


def test_a_hijack_without_tags_still_drops_ownership() -> None:
    lib, owned = with_x_in_plex(7.4, tagged=False)
    lib.albums[10] = dataclasses.replace(lib.albums[10], rating=3.0)
    change = build_plan(lib.snapshot(), owned=owned, config=CFG).changes[0]
    assert (change.phase, change.remove_tags, change.own) == (Phase.HIJACK, (), False)


def test_a_stale_twin_tag_comes_off_an_item_that_is_no_longer_a_twin() -> None:
    lib = worked_example()
    lib.tracks[102] = dataclasses.replace(lib.tracks[102], rating=7.4)
    lib.tag(TAG, 102)
    lib.tag("Twin", 102)
    snapshot = lib.snapshot()
    cfg = dataclasses.replace(CFG, twins=TwinRules(twin_tag="Twin"))
    change = by_key(build_plan(snapshot, owned=own(snapshot, {102: 7.4}), config=cfg).changes)[102]
    assert (change.set_rating, change.add_tags, change.remove_tags) == (False, (), ("Twin",))


def test_a_twin_tag_equal_to_the_inferred_tag_is_not_doubled() -> None:
    lib = Lib()
    lib.artist(1, "A")
    lib.album(2, 1)
    lib.track(3, 2, "Song", rating=8.0)
    lib.album(4, 1)
    lib.track(5, 4, "Song")
    cfg = dataclasses.replace(CFG, twins=TwinRules(twin_tag="rating_inferred"))
    change = by_key(build_plan(lib.snapshot(), owned={}, config=cfg).changes)[5]
    assert change.twin
    assert change.add_tags == (TAG,)


def start_letter_library() -> Lib:
    lib = Lib()
    for key, (title, sort_title) in enumerate(
        [
            ("The Beatles", "Beatles"),
            ("ABBA", "ABBA"),
            ("Zappa", "Zappa"),
            ("4 Hero", "4 Hero"),
            ("Édith Piaf", "Édith Piaf"),
            ("Cure", "Cure"),
        ],
        start=1,
    ):
        lib.artist(key, title, sort_title=sort_title)
        lib.album(key * 10, key, "Album")
        lib.track(key * 100, key * 10, "Rated", rating=8.0 - key / 2)
        lib.track(key * 100 + 1, key * 10, "Unrated")
    return lib


def test_start_letter_skips_the_first_phase_for_artists_sorting_before_it() -> None:
    snapshot = start_letter_library().snapshot()
    full = build_plan(snapshot, owned={}, config=CFG)
    resumed = build_plan(snapshot, owned={}, config=CFG, start_letter="d")
    album_up = [c.key for c in resumed.changes if c.phase is Phase.ALBUM_UP]
    assert album_up == [50, 30]  # Édith Piaf, Zappa; Beatles, ABBA, 4 Hero and Cure are done
    assert resumed.stats["skipped_start_letter"] == 4
    assert resumed.notes == ["start letter D: left out 4 album-up changes for artists before it"]
    # Later phases are planned in full, from the values computed in memory.
    later = [c for c in full.changes if c.phase is not Phase.ALBUM_UP]
    assert [c for c in resumed.changes if c.phase is not Phase.ALBUM_UP] == later


def test_start_letter_applies_to_the_first_selected_phase_only() -> None:
    snapshot = start_letter_library().snapshot()
    plan = build_plan(
        snapshot,
        owned={},
        config=CFG,
        phases=[Phase.TRACK_DOWN, Phase.ALBUM_DOWN],
        start_letter="Y",
    )
    # Album-Down runs first whatever the list order, and has nothing to do here (every album
    # has evidence of its own); Track-Down is not filtered, though five artists sort before Y.
    assert {c.phase for c in plan.changes} == {Phase.TRACK_DOWN}
    assert len([c for c in plan.changes if c.phase is Phase.TRACK_DOWN]) == 6


def test_start_letter_must_be_one_letter() -> None:
    with pytest.raises(ValueError, match="single letter"):
        build_plan(start_letter_library().snapshot(), owned={}, config=CFG, start_letter="12")


def test_the_inference_must_match_the_request() -> None:
    snapshot = worked_example().snapshot()
    inference = infer(snapshot, owned={}, config=CFG)
    with pytest.raises(ValueError, match="snapshot"):
        build_plan(worked_example().snapshot(), owned={}, config=CFG, inference=inference)
    with pytest.raises(ValueError, match="configuration"):
        build_plan(
            snapshot,
            owned={},
            config=dataclasses.replace(CFG, confidence_c=1.0),
            inference=inference,
        )
    with pytest.raises(ValueError, match="phases"):
        build_plan(snapshot, owned={}, config=CFG, phases=[Phase.TWINS], inference=inference)
    plan = build_plan(snapshot, owned={}, config=CFG, inference=inference)
    assert plan.changes == build_plan(snapshot, owned={}, config=CFG).changes


def test_an_owned_value_rated_again_in_plex_at_the_same_value_is_the_persons() -> None:
    """Plex dates a rating of X since the last read that plexrate did not write: the person chose
    the value plexrate held, and it is theirs from now on (hijacked, the tag taken off)."""
    lib, owned = with_x_in_plex(7.4)
    snapshot = dataclasses.replace(lib.snapshot(), rated_again=frozenset({10}))

    plan = build_plan(snapshot, owned=owned, config=CFG)

    hijack = by_key(plan.changes)[10]
    assert hijack.phase is Phase.HIJACK
    assert not hijack.set_rating
    assert hijack.remove_tags == (TAG,)
    assert "rated in Plex again" in hijack.reason
    # Without the date, the same library keeps X as plexrate's.
    plain = build_plan(lib.snapshot(), owned=owned, config=CFG)
    assert 10 not in {c.key for c in plain.changes if c.phase is Phase.HIJACK}
