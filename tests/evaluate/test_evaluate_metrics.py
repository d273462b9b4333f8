"""Error measures and the calibration table, against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from plexrate.evaluate import calibration, half_star_bucket, measure


def test_measure_reports_errors_in_stars() -> None:
    # (true, predicted) on 0-10: errors in stars are +0.5, -1.0, +0.25, 0 and one not predicted.
    pairs = [(6.0, 7.0), (8.0, 6.0), (4.0, 4.5), (10.0, 10.0), (2.0, None)]

    m = measure(pairs)

    assert m.count == 5
    assert m.covered == 4
    assert m.coverage == pytest.approx(0.8)
    assert m.mae == pytest.approx((0.5 + 1.0 + 0.25 + 0.0) / 4)
    assert m.rmse == pytest.approx(math.sqrt((0.25 + 1.0 + 0.0625 + 0.0) / 4))
    assert m.bias == pytest.approx((0.5 - 1.0 + 0.25 + 0.0) / 4)
    # Exactly half a star off counts as within half a star.
    assert m.within_half == pytest.approx(3 / 4)


def test_measure_of_nothing_predicted_has_no_errors() -> None:
    assert measure([(6.0, None)]) == measure([(8.0, None)])
    empty = measure([])
    assert (empty.count, empty.covered, empty.coverage, empty.mae) == (0, 0, None, None)
    none = measure([(6.0, None)])
    assert (none.coverage, none.mae, none.rmse, none.within_half) == (0.0, None, None, None)


def test_half_star_buckets_round_halves_up() -> None:
    assert [half_star_bucket(r) for r in (7.0, 7.3, 7.49, 7.5, 9.99, 0.4)] == [
        7.0,
        7.0,
        7.0,
        8.0,
        10.0,
        0.0,
    ]


def test_calibration_rows_per_true_half_star() -> None:
    pairs = [(8.0, 7.0), (8.0, 6.0), (7.6, 7.0), (2.0, 4.0), (2.0, None), (5.0, 5.5)]

    rows = calibration(pairs)

    assert [r.bucket for r in rows] == [2.0, 5.0, 8.0]
    low, middle, high = rows
    assert (low.count, low.covered, low.mean_true, low.mean_predicted) == (2, 1, 2.0, 4.0)
    assert low.mae == pytest.approx(1.0)
    assert (middle.count, middle.mean_true, middle.mean_predicted) == (1, 5.0, 5.5)
    assert high.count == 3
    assert high.mean_true == pytest.approx((8.0 + 8.0 + 7.6) / 3)
    assert high.mean_predicted == pytest.approx((7.0 + 6.0 + 7.0) / 3)
    assert high.mae == pytest.approx((0.5 + 1.0 + 0.3) / 3)


def test_calibration_of_a_bucket_without_predictions() -> None:
    (row,) = calibration([(6.0, None), (6.0, None)])

    assert (row.bucket, row.count, row.covered, row.mean_predicted, row.mae) == (
        6.0,
        2,
        0,
        None,
        None,
    )
