"""Cross-validation end to end on a hand-made library, every figure worked out by hand.

Leave-one-out (as many folds as manual ratings) makes each fold's content independent of the
shuffle. Manual ratings: X (artist A) 100=8, 101=6, 102=4; Y (A) 110=10, 111=10; Z (artist B)
200=2; their sum is 40. Default settings (C = 3, no critic ratings, values as written: at
Plex's one decimal):

    hidden  μ of the rest   plexrate                                      error (stars)
    100     32/5 = 6.4      X from 6, 4: (19.2 + 10) / 5 = 5.84 → 5.8      -1.1
    101     34/5 = 6.8      X from 8, 4: (20.4 + 12) / 5 = 6.48 → 6.5      +0.25
    102     36/5 = 7.2      X from 8, 6: (21.6 + 14) / 5 = 7.12 → 7.1      +1.55
    110     30/5 = 6.0      Y from 10:   (18 + 10) / 4 = 7.0        -1.5
    111     30/5 = 6.0      the same                                 -1.5
    200     38/5 = 7.6      B has no evidence: μ via B and Z = 7.6   +2.8
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from plexrate.engine import EngineConfig, InferenceModel, LibraryIndex, infer
from plexrate.errors import UsageError
from plexrate.evaluate import Baseline, CrossValidation, FillPath
from plexrate.model import ItemType, OwnedItem
from tests.evaluate.evalkit import evaluate_lib
from tests.support.library import Lib

ERRORS = {100: -1.1, 101: 0.25, 102: 1.55, 110: -1.5, 111: -1.5, 200: 2.8}
PREDICTED = {100: 5.8, 101: 6.5, 102: 7.1, 110: 7.0, 111: 7.0, 200: 7.6}


def library() -> Lib:
    lib = evaluate_lib()
    lib.artist(1, "A")
    lib.album(10, 1, "X")
    lib.track(100, 10, rating=8.0)
    lib.track(101, 10, rating=6.0)
    lib.track(102, 10, rating=4.0)
    lib.track(103, 10)
    lib.album(11, 1, "Y")
    lib.track(110, 11, rating=10.0)
    lib.track(111, 11, rating=10.0)
    lib.artist(2, "B")
    lib.album(20, 2, "Z")
    lib.track(200, 20, rating=2.0)
    return lib


def test_leave_one_out_matches_the_hand_computed_table() -> None:
    snapshot = library().snapshot()
    cv = CrossValidation(
        snapshot,
        owned={},
        config=EngineConfig(inference_model=InferenceModel.CLASSIC),
        folds=6,
        seed=1,
    )

    evaluation = cv.run(EngineConfig(inference_model=InferenceModel.CLASSIC))

    assert evaluation.manual_tracks == 6
    assert evaluation.prior == pytest.approx(40 / 6)
    assert {p.key: p.predicted for p in evaluation.predictions} == pytest.approx(PREDICTED)
    assert {p.key: p.path for p in evaluation.predictions} == {
        100: FillPath.ALBUM_TRACKS,
        101: FillPath.ALBUM_TRACKS,
        102: FillPath.ALBUM_TRACKS,
        110: FillPath.ALBUM_TRACKS,
        111: FillPath.ALBUM_TRACKS,
        200: FillPath.PRIOR,
    }
    overall = evaluation.overall()
    assert (overall.count, overall.covered, overall.coverage) == (6, 6, 1.0)
    assert overall.mae == pytest.approx(8.7 / 6)
    assert overall.rmse == pytest.approx(math.sqrt(sum(e * e for e in ERRORS.values()) / 6))
    assert overall.bias == pytest.approx(0.5 / 6)
    assert overall.within_half == pytest.approx(1 / 6)
    assert [m.count for m in evaluation.per_fold()] == [1] * 6


def test_baselines_on_the_same_folds() -> None:
    snapshot = library().snapshot()
    evaluation = CrossValidation(
        snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC), folds=6
    ).run(EngineConfig(inference_model=InferenceModel.CLASSIC))

    # Library mean of the rest: 6.4, 6.8, 7.2, 6, 6, 7.6 → errors 0.8, 0.4, 1.6, 2, 2, 2.8.
    assert evaluation.baseline(Baseline.LIBRARY_MEAN).mae == pytest.approx(9.6 / 6)
    # Album mean: 5, 6, 7, 10, 10, and Z has nothing left: the library mean 7.6.
    assert evaluation.baseline(Baseline.ALBUM_MEAN).mae == pytest.approx(5.8 / 6)
    assert evaluation.fallbacks(Baseline.ALBUM_MEAN) == 1
    # Artist mean: A's other tracks 7.5, 8, 8.5, 7, 7; B has nothing left: 7.6.
    assert evaluation.baseline(Baseline.ARTIST_MEAN).mae == pytest.approx(9.3 / 6)
    assert evaluation.fallbacks(Baseline.ARTIST_MEAN) == 1
    assert evaluation.fallbacks(Baseline.LIBRARY_MEAN) == 0
    # Per path, the baselines are measured on the same tracks.
    by_path = evaluation.by_path()
    assert list(by_path) == [FillPath.ALBUM_TRACKS, FillPath.PRIOR]
    prior, prior_baselines = by_path[FillPath.PRIOR]
    assert prior.mae == pytest.approx(2.8)
    assert prior_baselines[Baseline.LIBRARY_MEAN].mae == pytest.approx(2.8)


def test_calibration_table() -> None:
    snapshot = library().snapshot()
    evaluation = CrossValidation(
        snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC), folds=6
    ).run(EngineConfig(inference_model=InferenceModel.CLASSIC))

    rows = {row.bucket: row for row in evaluation.calibration()}

    assert sorted(rows) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert rows[10.0].count == 2
    assert rows[10.0].mean_predicted == pytest.approx(7.0)
    assert rows[2.0].mean_predicted == pytest.approx(7.6)
    assert rows[8.0].mae == pytest.approx(1.1)


def test_predictions_are_what_infer_gives_with_the_fold_hidden() -> None:
    snapshot = library().snapshot()
    config = replace(
        EngineConfig(inference_model=InferenceModel.CLASSIC), confidence_c=1.0, rating_step=1.0
    )
    cv = CrossValidation(snapshot, owned={}, config=config, folds=2, seed=5)

    evaluation = cv.run(config)

    for prediction in evaluation.predictions:
        hidden = cv.folds[prediction.fold]
        assert prediction.key in hidden
        alone = infer(snapshot, owned={}, config=config, hidden=hidden)
        assert prediction.predicted == alone.values[prediction.key]
    # Half-star steps: what would be written, not the exact formula.
    assert all(p.predicted is not None and p.predicted % 1.0 == 0 for p in evaluation.predictions)
    # The snapshot is untouched: the hidden ratings are still there.
    assert snapshot.tracks[100].rating == 8.0


def test_score_agrees_with_the_full_run() -> None:
    snapshot = library().snapshot()
    cv = CrossValidation(
        snapshot,
        owned={},
        config=EngineConfig(inference_model=InferenceModel.CLASSIC),
        folds=3,
        seed=2,
    )

    for config in (
        EngineConfig(inference_model=InferenceModel.CLASSIC),
        replace(EngineConfig(inference_model=InferenceModel.CLASSIC), confidence_c=0.5),
    ):
        full = cv.run(config).overall()
        fast = cv.score(config)
        assert (fast.count, fast.covered) == (full.count, full.covered)
        assert fast.mae == pytest.approx(full.mae)
        assert fast.rmse == pytest.approx(full.rmse)


def test_the_index_is_built_once_and_rebuilt_only_for_other_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snapshot = library().snapshot()
    built: list[object] = []
    original = LibraryIndex.build.__func__  # type: ignore[attr-defined]

    def counting(cls: type[LibraryIndex], snap: object, config: EngineConfig) -> LibraryIndex:
        built.append(config)
        return original(cls, snap, config)  # type: ignore[no-any-return]

    monkeypatch.setattr(LibraryIndex, "build", classmethod(counting))
    cv = CrossValidation(
        snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC), folds=3
    )
    cv.run(EngineConfig(inference_model=InferenceModel.CLASSIC))
    cv.score(
        replace(
            EngineConfig(inference_model=InferenceModel.CLASSIC),
            confidence_c=1.0,
            album_gravity=0.1,
        )
    )
    assert len(built) == 1

    other_rules = replace(
        EngineConfig(inference_model=InferenceModel.CLASSIC),
        twins=replace(EngineConfig(inference_model=InferenceModel.CLASSIC).twins, enabled=False),
    )
    cv.score(other_rules)
    cv.score(other_rules)
    assert len(built) == 2


def test_owned_ratings_are_not_evaluated_but_hijacked_ones_are() -> None:
    lib = library()
    snapshot = lib.snapshot()
    # 102 holds what plexrate wrote (inferred); 111 was changed by the person since (hijacked).
    owned = {
        102: OwnedItem(102, ItemType.TRACK, 4.0),
        111: OwnedItem(111, ItemType.TRACK, 6.0),
    }

    cv = CrossValidation(
        snapshot, owned=owned, config=EngineConfig(inference_model=InferenceModel.CLASSIC), folds=2
    )

    assert cv.manual == (100, 101, 110, 111, 200)


def test_filler_tracks_can_be_left_out_of_the_folds() -> None:
    lib = library()
    lib.track(104, 10, "Intro", rating=2.0)
    lib.track(105, 10, rating=3.0, seconds=30)
    snapshot = lib.snapshot()

    with_filler = CrossValidation(
        snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC), folds=2
    )
    without = CrossValidation(
        snapshot,
        owned={},
        config=EngineConfig(inference_model=InferenceModel.CLASSIC),
        folds=2,
        include_filler=False,
    )

    assert len(with_filler.evaluated) == 8
    assert without.evaluated == (100, 101, 102, 110, 111, 200)
    flagged = {
        p.key
        for p in with_filler.run(EngineConfig(inference_model=InferenceModel.CLASSIC)).predictions
        if p.filler
    }
    assert flagged == {104, 105}
    evaluation = without.run(EngineConfig(inference_model=InferenceModel.CLASSIC))
    assert {p.key for p in evaluation.predictions} == set(without.evaluated)
    assert list(evaluation.filler_split()) == [False]


def test_too_few_ratings_for_the_folds_is_a_usage_error() -> None:
    snapshot = library().snapshot()

    with pytest.raises(UsageError, match="6 manual track ratings; cross-validation with 7"):
        CrossValidation(
            snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC), folds=7
        )
    with pytest.raises(UsageError, match="at least 2 folds"):
        CrossValidation(
            snapshot, owned={}, config=EngineConfig(inference_model=InferenceModel.CLASSIC), folds=1
        )


def test_stratified_folds_balance_true_ratings() -> None:
    snapshot = library().snapshot()

    cv = CrossValidation(
        snapshot,
        owned={},
        config=EngineConfig(inference_model=InferenceModel.CLASSIC),
        folds=2,
        stratify=True,
    )

    for fold in cv.folds:
        # Two 10s, and one each of 2, 4, 6, 8: each fold gets one 10.
        assert sum(1 for k in fold if snapshot.tracks[k].rating == 10.0) == 1
    assert cv.run(EngineConfig(inference_model=InferenceModel.CLASSIC)).stratified
