"""Classification, the prior and the four tree phases, with numbers computed by hand.

Most tests use ``worked_example()`` (see its docstring): μ = mean(9, 7, 5) = 7.0, the "Intro"
rated 2 being filler, and default settings C = 3, gravities 0.8 (albums) and 0.3 (tracks).
"""

from __future__ import annotations

import dataclasses

import pytest

from plexrate.engine import (
    ArtistEvidence,
    EngineConfig,
    FillerRules,
    InferenceModel,
    LibraryIndex,
    RatingKind,
    build_plan,
    infer,
)
from plexrate.model import INFERENCE_PHASES, Phase
from tests.support.library import Lib, own, worked_example

CFG = EngineConfig(inference_model=InferenceModel.CLASSIC)


def config(**changes: object) -> EngineConfig:
    return dataclasses.replace(CFG, **changes)  # type: ignore[arg-type]


def values(lib: Lib, cfg: EngineConfig = CFG) -> dict[int, float]:
    return dict(infer(lib.snapshot(), owned={}, config=cfg).values)


# -- classification ---------------------------------------------------------------------------


def classified(rating: float | None, owned_value: float | None, **cfg: object) -> RatingKind:
    lib = Lib()
    lib.artist(1, "A")
    lib.album(2, 1)
    lib.track(3, 2, rating=rating)
    snapshot = lib.snapshot()
    owned = own(snapshot, {3: owned_value}) if owned_value is not None else {}
    return infer(snapshot, owned=owned, config=config(**cfg)).kind(3)


@pytest.mark.parametrize(
    ("rating", "owned_value", "kind"),
    [
        (None, None, RatingKind.UNRATED),
        (7.0, None, RatingKind.MANUAL),
        (7.0, 7.0, RatingKind.INFERRED),
        (7.01, 7.0, RatingKind.INFERRED),
        (6.99, 7.0, RatingKind.INFERRED),
        (7.02, 7.0, RatingKind.HIJACKED),
        (3.0, 7.0, RatingKind.HIJACKED),
        (None, 7.0, RatingKind.CLEARED),
    ],
)
def test_classification(rating: float | None, owned_value: float | None, kind: RatingKind) -> None:
    assert classified(rating, owned_value) is kind


def test_hijack_tolerance_is_a_setting() -> None:
    assert classified(7.04, 7.0, hijack_tolerance=0.05) is RatingKind.INFERRED
    assert classified(7.06, 7.0, hijack_tolerance=0.05) is RatingKind.HIJACKED


def test_a_hijacked_rating_is_manual_evidence_with_the_persons_value() -> None:
    lib = worked_example()
    lib.tracks[102] = dataclasses.replace(lib.tracks[102], rating=1.0)
    snapshot = lib.snapshot()
    inference = infer(snapshot, owned=own(snapshot, {102: 8.0}), config=CFG)
    assert inference.kind(102) is RatingKind.HIJACKED
    assert [(h.key, h.owned_value, h.current) for h in inference.hijacks] == [(102, 8.0, 1.0)]
    # μ = mean(9, 7, 1, 5) = 5.5; X = (3 × 5.5 + 9 + 7 + 1) / 6 = 5.58333
    assert inference.prior == 5.5
    assert inference.values[10] == 5.6
    assert 102 not in inference.assignments


def test_a_cleared_item_is_reinferred_and_counted() -> None:
    snapshot = worked_example().snapshot()
    owned = own(snapshot, {102: 6.0})  # plexrate wrote 6.0; the person cleared it since
    inference = infer(snapshot, owned=owned, config=CFG)
    assert inference.kind(102) is RatingKind.CLEARED
    assert inference.cleared == (102,)
    assert inference.values[102] == 7.4
    plan = build_plan(snapshot, owned=owned, config=CFG, inference=inference)
    change = next(c for c in plan.changes if c.key == 102)
    assert (change.before, change.after, change.own) == (None, 7.4, True)
    assert plan.stats["cleared"] == 1


# -- prior ------------------------------------------------------------------------------------


def test_prior_is_the_mean_of_manual_tracks_without_filler() -> None:
    inference = infer(worked_example().snapshot(), owned={}, config=CFG)
    assert inference.prior == 7.0
    assert inference.prior_tracks == 3


def test_prior_counts_filler_when_the_rules_are_off() -> None:
    cfg = config(filler=FillerRules(enabled=False))
    inference = infer(worked_example().snapshot(), owned={}, config=cfg)
    assert inference.prior == pytest.approx((9 + 7 + 2 + 5) / 4)  # 5.75
    # X: (3 × 5.75 + 9 + 7 + 2) / 6 = 35.25 / 6 = 5.875
    assert inference.values[10] == 5.9


def test_prior_is_six_without_manual_tracks() -> None:
    lib = Lib()
    lib.artist(1, "A")
    lib.album(2, 1, rating=9.0)
    lib.track(3, 2)
    inference = infer(lib.snapshot(), owned={}, config=CFG)
    assert inference.prior == 6.0
    assert inference.prior_tracks == 0
    # The manual album pulls its track toward μ = 6: 9 × 0.7 + 6 × 0.3 = 8.1
    assert inference.values[3] == 8.1


def test_short_tracks_are_filler_and_a_missing_duration_is_not() -> None:
    lib = Lib()
    lib.artist(1, "A")
    lib.album(2, 1)
    lib.track(3, 2, "Full", rating=8.0, seconds=200)
    lib.track(4, 2, "Short", rating=2.0, seconds=59)
    lib.track(5, 2, "Unknown length", rating=5.0, seconds=None)
    lib.track(6, 2, "Exactly a minute", rating=5.0, seconds=60)
    assert infer(lib.snapshot(), owned={}, config=CFG).prior == 6.0  # mean(8, 5, 5)
    longer = config(filler=FillerRules(min_duration_sec=100))
    assert infer(lib.snapshot(), owned={}, config=longer).prior == 6.5  # mean(8, 5)


def test_filler_keywords_and_case_sensitivity_are_settings() -> None:
    snapshot = worked_example().snapshot()
    own_words = config(filler=FillerRules(keywords=("noon",)))
    # "Noon" is filler now and "Intro" is not: μ = mean(9, 2, 5) = 5.333…
    assert infer(snapshot, owned={}, config=own_words).prior == pytest.approx(16 / 3)
    sensitive = config(filler=FillerRules(keywords=("intro",), case_sensitive=True))
    assert infer(snapshot, owned={}, config=sensitive).prior == 5.75  # "Intro" ≠ "intro"


# -- Album-Up ---------------------------------------------------------------------------------


def test_full_run_on_the_worked_example() -> None:
    inference = infer(worked_example().snapshot(), owned={}, config=CFG)
    expected = {
        10: (7.4, Phase.ALBUM_UP, "2 rated tracks, prior 3.5★"),
        1: (6.5, Phase.ARTIST_UP, "2 rated albums (1 by hand), prior 3.5★"),
        3: (7.0, Phase.ARTIST_UP, "no rated albums: prior 3.5★"),
        11: (6.5, Phase.ALBUM_DOWN, "from artist 3.25★ (inferred)"),
        20: (7.4, Phase.ALBUM_DOWN, "from artist 4.5★ (manual, gravity 0.8)"),
        30: (7.0, Phase.ALBUM_DOWN, "from artist 3.5★ (inferred)"),
        102: (7.4, Phase.TRACK_DOWN, "from album 3.7★ (inferred)"),
        110: (6.5, Phase.TRACK_DOWN, "from album 3.25★ (inferred)"),
        111: (6.5, Phase.TRACK_DOWN, "from album 3.25★ (inferred)"),
        120: (4.9, Phase.TRACK_DOWN, "from album 2★ (manual, gravity 0.3)"),
        200: (7.4, Phase.TRACK_DOWN, "from album 3.7★ (inferred)"),
        300: (7.0, Phase.TRACK_DOWN, "from album 3.5★ (inferred)"),
    }
    got = {k: (a.value, a.phase, a.reason) for k, a in inference.assignments.items()}
    assert got == expected
    assert inference.assignments[1].exact == pytest.approx(6.48)
    # Manual items keep their values and are never assigned.
    for key, value in {12: 4.0, 2: 9.0, 100: 9.0, 101: 7.0, 103: 2.0, 121: 5.0}.items():
        assert inference.values[key] == value
        assert inference.kind(key) is RatingKind.MANUAL


def test_album_up_blends_the_critic_rating() -> None:
    lib = worked_example()
    lib.albums[10] = dataclasses.replace(lib.albums[10], critic_rating=8.0)
    inference = infer(lib.snapshot(), owned={}, config=CFG)
    # p = (7 + 3 × 8.26087) / 4 = 7.945652; X = (3 × 7.945652 + 16) / 5 = 7.967391
    assert inference.assignments[10].exact == pytest.approx(7.967391, abs=1e-6)
    assert inference.values[10] == 8.0
    assert inference.assignments[10].reason == "2 rated tracks, prior 3.97★ (critic 4★)"
    # Alpha = (3 × 7 + 4 + 7.967391) / 5 = 6.593478
    assert inference.values[1] == 6.6


def test_critic_settings_change_the_album_prior() -> None:
    lib = worked_example()
    lib.albums[10] = dataclasses.replace(lib.albums[10], critic_rating=8.0)
    snapshot = lib.snapshot()
    no_critic = infer(snapshot, owned={}, config=config(weight_critic=0.0))
    assert no_critic.values[10] == 7.4
    assert no_critic.assignments[10].reason == "2 rated tracks, prior 3.5★"
    # bias 0: c = 8; p = (7 × 1 + 8 × 1) / 2 = 7.5; X = (22.5 + 16) / 5 = 7.7
    other = infer(snapshot, owned={}, config=config(bias_critic=0.0, weight_critic=1.0))
    assert other.values[10] == 7.7
    # WEIGHT_GLOBAL 3, WEIGHT_CRITIC 1, bias 0: p = (21 + 8) / 4 = 7.25; X = (21.75 + 16) / 5
    other = infer(
        snapshot, owned={}, config=config(bias_critic=0.0, weight_global=3.0, weight_critic=1.0)
    )
    assert other.values[10] == 7.6


def test_confidence_c_sets_how_far_evidence_pulls_from_the_prior() -> None:
    # C = 1: X = (7 + 16) / 3 = 7.6667
    assert values(worked_example(), config(confidence_c=1.0))[10] == 7.7
    # C = 0: the plain mean of the evidence.
    assert values(worked_example(), config(confidence_c=0.0))[10] == 8.0


def test_album_up_falls_back_to_filler_tracks_when_nothing_else_is_rated() -> None:
    lib = worked_example()
    lib.album(13, 1, "Only interludes")
    lib.track(130, 13, "Intro", rating=3.0)
    lib.track(131, 13, "Outro", rating=5.0)
    inference = infer(lib.snapshot(), owned={}, config=CFG)
    assert inference.prior == 7.0
    # (3 × 7 + 3 + 5) / 5 = 5.8
    assert inference.values[13] == 5.8
    assert inference.assignments[13].reason == "2 rated tracks (all filler), prior 3.5★"


def test_a_manual_album_is_never_recomputed() -> None:
    inference = infer(worked_example().snapshot(), owned={}, config=CFG)
    assert 12 not in inference.assignments
    assert inference.values[12] == 4.0


# -- Artist-Up --------------------------------------------------------------------------------


def test_artist_evidence_manual_restores_the_old_rule() -> None:
    got = values(worked_example(), config(artist_evidence=ArtistEvidence.MANUAL))
    # Alpha = (3 × 7 + 4) / 4 = 6.25, and Y and its tracks inherit it.
    assert got[1] == 6.3
    assert got[11] == 6.3
    assert got[110] == 6.3


def test_artist_up_uses_derived_albums_even_when_album_up_is_not_run() -> None:
    inference = infer(worked_example().snapshot(), owned={}, config=CFG, phases=[Phase.ARTIST_UP])
    assert inference.values[1] == 6.5
    assert 10 not in inference.values  # Album-Up's own write is not part of this run
    assert set(inference.assignments) == {1, 3}


def test_an_artist_without_albums_gets_the_prior_or_nothing() -> None:
    lib = worked_example()
    lib.artist(4, "Delta")
    assert values(lib)[4] == 7.0
    assert 4 not in values(lib, config(fill_without_evidence=False))


def test_a_manual_artist_is_never_recomputed() -> None:
    inference = infer(worked_example().snapshot(), owned={}, config=CFG)
    assert 2 not in inference.assignments


# -- Album-Down and Track-Down ----------------------------------------------------------------


def test_gravity_settings() -> None:
    got = values(worked_example(), config(album_gravity=0.5, track_gravity=0.0))
    assert got[20] == 8.0  # 9 × 0.5 + 7 × 0.5
    assert got[200] == 8.0  # W is inferred: inherited as is
    assert got[120] == 4.0  # Z is manual, no gravity


def test_fill_without_evidence_off_leaves_items_without_lineage_unrated() -> None:
    cfg = config(fill_without_evidence=False)
    snapshot = worked_example().snapshot()
    inference = infer(snapshot, owned={}, config=cfg)
    assert not {3, 30, 300} & set(inference.values)
    assert inference.values[110] == 6.5  # Alpha still has evidence
    plan = build_plan(snapshot, owned={}, config=cfg, inference=inference)
    assert plan.stats["without_value"] == 3
    assert plan.stats["without_value.artist"] == 1


def test_down_tracks_alone_uses_the_albums_as_they_are_in_plex() -> None:
    snapshot = worked_example().snapshot()
    alone = infer(snapshot, owned={}, config=CFG, phases=[Phase.TRACK_DOWN])
    assert alone.values[102] == 7.0  # X is unrated in Plex: μ
    assert alone.assignments[102].reason == "no album rating: prior 3.5★"
    assert alone.values[120] == 4.9  # Z is manual: gravity
    assert set(alone.assignments) == {102, 110, 111, 120, 200, 300}

    lib = worked_example()
    lib.albums[10] = dataclasses.replace(lib.albums[10], rating=5.0)
    snapshot = lib.snapshot()
    owned = own(snapshot, {10: 5.0})
    alone = infer(snapshot, owned=owned, config=CFG, phases=[Phase.TRACK_DOWN])
    assert alone.values[102] == 5.0


def test_down_albums_alone_leaves_albums_with_their_own_evidence() -> None:
    inference = infer(worked_example().snapshot(), owned={}, config=CFG, phases=[Phase.ALBUM_DOWN])
    assert set(inference.assignments) == {11, 20, 30}
    assert inference.values[11] == 7.0  # Alpha has no value in Plex: μ


# -- rating step ------------------------------------------------------------------------------


def test_rating_step_rounds_and_later_phases_see_the_rounded_values() -> None:
    half = values(worked_example(), config(rating_step=1.0))
    assert (half[10], half[1], half[11], half[20], half[102], half[120]) == (
        7.0,  # 7.4
        6.0,  # 6.48
        6.0,  # Alpha as written
        7.0,  # 7.4
        7.0,  # X as written
        5.0,  # 4.9
    )
    whole = values(worked_example(), config(rating_step=2.0))
    assert (whole[10], whole[1], whole[120]) == (8.0, 6.0, 4.0)


# -- hidden ratings and the index -------------------------------------------------------------


def test_hidden_ratings_are_treated_as_unrated() -> None:
    snapshot = worked_example().snapshot()
    inference = infer(snapshot, owned={}, config=CFG, hidden={100})
    assert inference.kind(100) is RatingKind.HIDDEN
    assert inference.prior == 6.0  # mean(7, 5)
    # X = (3 × 6 + 7) / 4 = 6.25, and the hidden track is predicted from it.
    assert inference.values[10] == 6.3
    assert inference.values[100] == 6.3
    with pytest.raises(ValueError, match="hidden"):
        build_plan(snapshot, owned={}, config=CFG, inference=inference)


def test_a_reused_index_gives_the_same_result() -> None:
    snapshot = worked_example().snapshot()
    index = LibraryIndex.build(snapshot, CFG)
    for hidden in (frozenset(), frozenset({100}), frozenset({101, 121})):
        fresh = infer(snapshot, owned={}, config=CFG, hidden=hidden)
        reused = infer(snapshot, owned={}, config=CFG, hidden=hidden, index=index)
        assert reused.values == fresh.values
        assert reused.assignments == fresh.assignments
    other_c = config(confidence_c=1.0)
    assert infer(snapshot, owned={}, config=other_c, index=index).values[10] == 7.7


def test_an_index_for_another_snapshot_or_rules_is_refused() -> None:
    snapshot = worked_example().snapshot()
    index = LibraryIndex.build(snapshot, CFG)
    with pytest.raises(ValueError, match="index"):
        infer(worked_example().snapshot(), owned={}, config=CFG, index=index)
    with pytest.raises(ValueError, match="index"):
        infer(snapshot, owned={}, config=config(filler=FillerRules(enabled=False)), index=index)


def test_only_inference_phases_can_be_selected() -> None:
    with pytest.raises(ValueError, match="hijack"):
        infer(worked_example().snapshot(), owned={}, config=CFG, phases=[Phase.HIJACK])
    shuffled = infer(
        worked_example().snapshot(), owned={}, config=CFG, phases=list(reversed(INFERENCE_PHASES))
    )
    assert shuffled.phases == INFERENCE_PHASES
