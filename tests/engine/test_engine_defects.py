"""One regression test per defect of the old tool (original-tool.md §2) that concerns inference."""

from __future__ import annotations

import dataclasses

from plexrate.engine import (
    EngineConfig,
    InferenceModel,
    LibraryIndex,
    RatingKind,
    build_plan,
    infer,
    simulate_apply,
)
from plexrate.model import INFERENCE_PHASES, Phase
from tests.support.library import Lib, own, worked_example

CFG = EngineConfig(inference_model=InferenceModel.CLASSIC)
TAG = "Rating_Inferred"


def test_defect_01_the_critic_rating_counts_even_when_it_is_zero() -> None:
    lib = worked_example()
    lib.albums[10] = dataclasses.replace(lib.albums[10], critic_rating=0.0)
    inference = infer(lib.snapshot(), owned={}, config=CFG)
    # c = 1.5 / 11.5 × 10 = 1.304348; p = (7 + 3 × 1.304348) / 4 = 2.728261;
    # X = (3 × 2.728261 + 16) / 5 = 4.836957. The old clamp made every critic 0 and then
    # skipped it, so X came out 7.4 whatever the critic said.
    assert inference.values[10] == 4.8  # written at Plex's one decimal
    lib.albums[10] = dataclasses.replace(lib.albums[10], critic_rating=10.0)
    # c = 10; p = (7 + 30) / 4 = 9.25; X = (27.75 + 16) / 5 = 8.75
    assert infer(lib.snapshot(), owned={}, config=CFG).values[10] == 8.8


def test_defect_02_down_never_overwrites_an_album_that_has_evidence() -> None:
    snapshot = worked_example().snapshot()
    inference = infer(snapshot, owned={}, config=CFG)
    # X's value comes from its own tracks, not from Alpha (6.48) and not μ (7.0).
    assert inference.assignments[10].phase is Phase.ALBUM_UP
    assert inference.values[10] == 7.4
    assert inference.values[102] == 7.4
    # A full run applied, then every phase again on its own: nothing flips.
    plan = build_plan(snapshot, owned={}, config=CFG)
    after, owned = simulate_apply(snapshot, owned={}, plan=plan)
    for phase in INFERENCE_PHASES:
        assert build_plan(after, owned=owned, config=CFG, phases=[phase]).changes == []


def test_defect_02_artists_at_the_prior_do_not_collapse_albums_to_it() -> None:
    lib = Lib()
    lib.artist(1, "Only")
    for n, rating in enumerate([9.0, 5.0], start=1):
        lib.album(10 * n, 1, f"Album {n}")
        lib.track(100 * n, 10 * n, f"Rated {n}", rating=rating)
        lib.track(100 * n + 1, 10 * n, f"Unrated {n}")
    inference = infer(lib.snapshot(), owned={}, config=CFG)
    # μ = 7; the albums are (21 + 9) / 4 = 7.5 and (21 + 5) / 4 = 6.5, their tracks follow.
    assert inference.values[1] == 7.0
    assert (inference.values[10], inference.values[20]) == (7.5, 6.5)
    assert (inference.values[101], inference.values[201]) == (7.5, 6.5)


def twin_library() -> Lib:
    lib = Lib()
    lib.artist(1, "Band")
    lib.album(10, 1, "A")
    lib.track(100, 10, "Song", rating=8.0)
    lib.album(11, 1, "B")
    lib.track(110, 11, "Song")
    lib.album(12, 1, "C")
    lib.track(120, 12, "Song", rating=6.0)
    return lib


def test_defect_03_manual_twin_anchors_are_never_claimed_or_changed() -> None:
    snapshot = twin_library().snapshot()
    plan = build_plan(snapshot, owned={}, config=CFG)
    assert {c.key for c in plan.changes} & {100, 120} == set()
    after, owned = simulate_apply(snapshot, owned={}, plan=plan)
    assert 110 in owned
    assert {100, 120} & set(owned) == set()
    # The person re-rates one anchor: the other anchor stays theirs, the copy follows.
    lib = twin_library()
    lib.tracks[110] = dataclasses.replace(lib.tracks[110], rating=after.tracks[110].rating)
    lib.tracks[120] = dataclasses.replace(lib.tracks[120], rating=10.0)
    again = build_plan(lib.snapshot(), owned=owned, config=CFG)
    assert [(c.key, c.after) for c in again.changes if c.set_rating and c.key > 99] == [(110, 9.0)]


def test_defect_04_twins_alone_still_resolves_hijacks() -> None:
    lib = twin_library()
    lib.tracks[110] = dataclasses.replace(lib.tracks[110], rating=2.0)
    lib.tag(TAG, 110)
    snapshot = lib.snapshot()
    owned = own(snapshot, {110: 7.0})  # plexrate wrote 7.0; the person set 2.0 since
    plan = build_plan(snapshot, owned=owned, config=CFG, phases=[Phase.TWINS])
    hijack = plan.changes[0]
    assert (hijack.key, hijack.phase, hijack.own, hijack.remove_tags) == (
        110,
        Phase.HIJACK,
        False,
        (TAG,),
    )
    assert not any(c.set_rating for c in plan.changes if c.key == 110)
    inference = infer(snapshot, owned=owned, config=CFG, phases=[Phase.TWINS])
    assert inference.twin_groups[0].anchors == (100, 110, 120)


def test_defect_08_live_is_the_albums_subformat_flag_not_its_title() -> None:
    lib = twin_library()
    lib.albums[11] = dataclasses.replace(lib.albums[11], title="Live at Home", live=False)
    lib.albums[12] = dataclasses.replace(lib.albums[12], title="Studio", live=True)
    groups = LibraryIndex.build(lib.snapshot(), CFG).twin_groups
    assert [g.members for g in groups] == [(100, 110)]


def test_defect_13_a_lost_state_never_strips_tags_or_touches_tagged_ratings() -> None:
    lib = worked_example()
    # An earlier run wrote and tagged these; the ownership record is gone.
    for key, value in {10: 7.4, 1: 6.48, 102: 7.4}.items():
        item = lib.albums.get(key) or lib.artists.get(key) or lib.tracks[key]
        replaced = dataclasses.replace(item, rating=value)
        for table in (lib.albums, lib.artists, lib.tracks):
            if key in table:
                table[key] = replaced  # type: ignore[assignment]
        lib.tag(TAG, key)
    snapshot = lib.snapshot()
    inference = infer(snapshot, owned={}, config=CFG)
    assert {inference.kind(k) for k in (10, 1, 102)} == {RatingKind.MANUAL}
    plan = build_plan(snapshot, owned={}, config=CFG, inference=inference)
    assert not any(c.remove_tags for c in plan.changes)
    assert {10, 1, 102} & {c.key for c in plan.changes} == set()


def test_defect_15_start_letter_uses_the_sort_title() -> None:
    lib = Lib()
    lib.artist(1, "The Beatles", sort_title="Beatles")
    lib.album(10, 1)
    lib.track(100, 10, rating=8.0)
    lib.artist(2, "Talking Heads", sort_title="Talking Heads")
    lib.album(20, 2)
    lib.track(200, 20, rating=6.0)
    plan = build_plan(lib.snapshot(), owned={}, config=CFG, start_letter="C")
    # "The Beatles" files under B: already done when resuming at C, unlike Talking Heads.
    assert [c.key for c in plan.changes if c.phase is Phase.ALBUM_UP] == [20]


def test_defect_16_a_member_without_duration_is_dropped_not_the_group() -> None:
    lib = twin_library()
    lib.album(13, 1, "D")
    lib.track(130, 13, "Song", seconds=None)
    group = LibraryIndex.build(lib.snapshot(), CFG).twin_groups[0]
    assert group.members == (100, 110, 120)
    assert group.dropped == (130,)


def test_defect_16_an_album_title_with_parentheses_does_not_exclude_its_tracks() -> None:
    lib = twin_library()
    lib.albums[11] = dataclasses.replace(lib.albums[11], title="B (Deluxe Edition) [2019]")
    lib.tracks[110] = dataclasses.replace(lib.tracks[110], album_title="B (Deluxe Edition) [2019]")
    group = LibraryIndex.build(lib.snapshot(), CFG).twin_groups[0]
    assert group.members == (100, 110, 120)
    assert infer(lib.snapshot(), owned={}, config=CFG).values[110] == 7.0
