"""Twin grouping rules and the values twins share."""

from __future__ import annotations

import dataclasses

import pytest

from plexrate.engine import (
    EngineConfig,
    InferenceModel,
    LibraryIndex,
    TwinAnchor,
    TwinRules,
    build_plan,
    infer,
    simulate_apply,
)
from plexrate.model import OwnedItem, Phase
from tests.support.library import Lib, own

CFG = EngineConfig(inference_model=InferenceModel.CLASSIC)


def twin_config(**rules: object) -> EngineConfig:
    return dataclasses.replace(CFG, twins=dataclasses.replace(TwinRules(), **rules))  # type: ignore[arg-type]


def base() -> Lib:
    """ "Song" rated 8 on a studio album, an unrated copy on "(Deluxe)", a copy on a live album."""
    lib = Lib()
    lib.artist(1, "Band")
    lib.album(10, 1, "First")
    lib.track(100, 10, "Song", rating=8.0, seconds=200)
    lib.track(101, 10, "Other", seconds=180)
    lib.album(11, 1, "Best Of (Deluxe)")
    lib.track(110, 11, "Song", seconds=202)
    lib.track(111, 11, "Other!", seconds=181)
    lib.album(12, 1, "Live at Home", live=True)
    lib.track(120, 12, "Song", seconds=201)
    return lib


def groups(lib: Lib, cfg: EngineConfig = CFG) -> set[tuple[int, ...]]:
    return {g.members for g in LibraryIndex.build(lib.snapshot(), cfg).twin_groups}


def test_copies_group_by_artist_and_cleaned_title() -> None:
    assert groups(base()) == {(100, 110), (101, 111)}


def test_manual_members_anchor_the_group_and_stay_untouched() -> None:
    snapshot = base().snapshot()
    inference = infer(snapshot, owned={}, config=CFG)
    assert inference.values[110] == 8.0
    assert inference.assignments[110].phase is Phase.TWINS
    assert inference.assignments[110].reason == "twin of 1 rated copy"
    assert 100 not in inference.assignments
    song = next(g for g in inference.twin_groups if g.title == "song")
    assert (song.anchor, song.anchors, song.value) == (TwinAnchor.MANUAL, (100,), 8.0)
    plan = build_plan(snapshot, owned={}, config=CFG, inference=inference)
    assert 100 not in {c.key for c in plan.changes}
    change = next(c for c in plan.changes if c.key == 110)
    assert change.twin
    assert change.phase is Phase.TWINS


def test_several_manual_members_share_their_mean() -> None:
    lib = base()
    lib.album(13, 1, "Singles")
    lib.track(130, 13, "Song", rating=6.0, seconds=199)
    inference = infer(lib.snapshot(), owned={}, config=CFG)
    assert inference.values[110] == 7.0
    assert inference.assignments[110].reason == "twin of 2 rated copies"
    assert inference.values[130] == 6.0


def test_without_manual_members_every_member_takes_the_mean_of_current_values() -> None:
    lib = base()
    lib.tracks[101] = dataclasses.replace(lib.tracks[101], rating=6.0)
    lib.tracks[111] = dataclasses.replace(lib.tracks[111], rating=7.0)
    snapshot = lib.snapshot()
    owned = own(snapshot, {101: 6.0, 111: 7.0})
    inference = infer(snapshot, owned=owned, config=CFG, phases=[Phase.TWINS])
    assert (inference.values[101], inference.values[111]) == (6.5, 6.5)
    other = next(g for g in inference.twin_groups if g.title == "other")
    assert (other.anchor, other.anchors, other.value) == (TwinAnchor.INFERRED, (), 6.5)
    assert inference.assignments[101].reason == "twin: mean of 2 copies"


def test_a_member_without_a_value_takes_the_mean_of_the_others() -> None:
    lib = base()
    lib.tracks[101] = dataclasses.replace(lib.tracks[101], rating=6.0)
    snapshot = lib.snapshot()
    inference = infer(snapshot, owned=own(snapshot, {101: 6.0}), config=CFG, phases=[Phase.TWINS])
    assert inference.values[111] == 6.0
    assert inference.assignments[111].reason == "twin: mean of 1 copy"


def test_a_group_with_nothing_to_share_is_reported_and_left_alone() -> None:
    inference = infer(base().snapshot(), owned={}, config=CFG, phases=[Phase.TWINS])
    other = next(g for g in inference.twin_groups if g.title == "other")
    assert (other.anchor, other.value) == (TwinAnchor.NONE, None)
    assert 101 not in inference.assignments


def test_in_a_full_run_twins_see_the_values_track_down_produced() -> None:
    lib = Lib()
    lib.artist(1, "Band")
    lib.album(10, 1, "A")
    lib.track(100, 10, "Hit", seconds=200)
    lib.track(101, 10, "Deep cut", rating=9.0, seconds=200)
    lib.album(11, 1, "B")
    lib.track(110, 11, "Hit", seconds=200)
    lib.track(111, 11, "Other", rating=5.0, seconds=200)
    inference = infer(lib.snapshot(), owned={}, config=CFG)
    # μ = 7; A = (21 + 9) / 4 = 7.5; B = (21 + 5) / 4 = 6.5; the twins take (7.5 + 6.5) / 2.
    assert (inference.values[10], inference.values[11]) == (7.5, 6.5)
    assert (inference.values[100], inference.values[110]) == (7.0, 7.0)


def test_live_albums_are_excluded_by_their_subformat_flag() -> None:
    assert groups(base(), twin_config(exclude_live_albums=False)) == {
        (100, 110, 120),
        (101, 111),
    }
    inference = infer(base().snapshot(), owned={}, config=twin_config(exclude_live_albums=False))
    assert inference.values[120] == 8.0


def test_twin_keywords_are_judged_as_whole_words_on_the_track_title() -> None:
    lib = base()
    lib.track(102, 10, "Live Wire", seconds=150)
    lib.track(112, 11, "Live Wire", seconds=150)
    lib.track(103, 10, "Oliver", seconds=150)
    lib.track(113, 11, "Oliver", seconds=150)
    lib.track(104, 10, "Alive", seconds=150)
    lib.track(114, 11, "Alive", seconds=150)
    assert groups(lib) == {(100, 110), (101, 111), (103, 113), (104, 114)}
    assert (102, 112) in groups(lib, twin_config(exclude_keywords=()))


def test_parentheses_in_the_track_title_exclude_it_or_are_ignored() -> None:
    lib = base()
    lib.track(105, 10, "Song (Mono)", seconds=200)
    lib.track(106, 10, "Other [Edit]", seconds=181)
    assert groups(lib) == {(100, 110), (101, 111)}
    assert groups(lib, twin_config(exclude_parentheses=False)) == {
        (100, 105, 110),
        (101, 106, 111),
    }


def test_keywords_still_exclude_when_parentheses_are_allowed() -> None:
    lib = base()
    lib.track(105, 10, "Song (Remix)", seconds=200)
    assert groups(lib, twin_config(exclude_parentheses=False)) == {(100, 110), (101, 111)}


def test_durations_far_from_the_median_are_dropped() -> None:
    lib = base()
    lib.album(13, 1, "Extended")
    lib.track(130, 13, "Song", seconds=230)
    index = LibraryIndex.build(lib.snapshot(), CFG)
    song = next(g for g in index.twin_groups if g.title == "song")
    assert song.members == (100, 110)
    assert song.dropped == (130,)
    assert song.median_ms == 202_000  # median of 200, 202, 230 s
    assert (100, 110, 130) in groups(lib, twin_config(duration_tolerance_sec=30))


def test_a_group_needs_two_members_within_tolerance() -> None:
    lib = Lib()
    lib.artist(1, "Band")
    lib.album(10, 1, "A")
    lib.track(100, 10, "Song", seconds=200)
    lib.track(101, 10, "Song", seconds=300)
    assert groups(lib) == set()


def test_title_cleaning_merges_case_punctuation_and_width() -> None:
    lib = Lib()
    lib.artist(1, "Band")
    lib.album(10, 1, "A")
    lib.track(100, 10, "Don't Stop", seconds=200)
    lib.album(11, 1, "B")
    lib.track(110, 11, "DONT STOP!", seconds=200)
    lib.album(12, 1, "C")
    lib.track(120, 12, "Ｄｏｎ’ｔ Ｓｔｏｐ", seconds=200)
    assert groups(lib) == {(100, 110, 120)}


def test_the_track_artist_decides_and_various_artists_alone_is_skipped() -> None:
    lib = Lib()
    lib.artist(1, "Band")
    lib.album(10, 1, "A")
    lib.track(100, 10, "Song", seconds=200)
    lib.artist(2, "Various Artists")
    lib.album(20, 2, "Now 99")
    lib.track(200, 20, "Song", seconds=200, track_artist="band")
    lib.track(201, 20, "Hit", seconds=200)
    lib.album(21, 2, "Now 100")
    lib.track(210, 21, "Hit", seconds=200)
    lib.artist(3, "Other Band")
    lib.album(30, 3, "C")
    lib.track(300, 30, "Song", seconds=200)
    assert groups(lib) == {(100, 200)}


def test_twin_tag_marks_the_members_plexrate_writes() -> None:
    cfg = twin_config(twin_tag="Twin")
    plan = build_plan(base().snapshot(), owned={}, config=cfg)
    change = next(c for c in plan.changes if c.key == 110)
    assert change.add_tags == ("Rating_Inferred", "Twin")
    assert all("Twin" not in c.add_tags for c in plan.changes if not c.twin)


def test_twins_disabled() -> None:
    cfg = twin_config(enabled=False)
    inference = infer(base().snapshot(), owned={}, config=cfg)
    assert inference.twin_groups == ()
    assert inference.assignments[110].phase is Phase.TRACK_DOWN


@pytest.mark.parametrize("fill", [True, False])
def test_twin_values_are_stable_from_run_to_run(fill: bool) -> None:
    lib = base()
    lib.artist(2, "Solo")
    lib.album(20, 2, "No lineage")
    lib.track(200, 20, "Other", seconds=180, track_artist="Band")
    cfg = dataclasses.replace(CFG, fill_without_evidence=fill)
    snapshot, owned = lib.snapshot(), dict[int, OwnedItem]()
    plan = build_plan(snapshot, owned=owned, config=cfg)
    snapshot, owned = simulate_apply(snapshot, owned=owned, plan=plan)
    assert build_plan(snapshot, owned=owned, config=cfg).changes == []
