"""The formulas, the rounding and ε, with numbers computed by hand."""

from __future__ import annotations

import pytest

from plexrate.engine.maths import album_prior, bayesian, clamp, critic_score, gravity
from plexrate.engine.precision import epsilon, moved, quantise, rewrite_threshold, worth_writing


def test_critic_score_maps_and_clamps() -> None:
    # (8 + 1.5) / 11.5 × 10 = 8.2608…
    assert critic_score(8.0, bias=1.5) == pytest.approx(8.260869565)
    # A critic 0 still counts: 1.5 / 11.5 × 10 = 1.3043…
    assert critic_score(0.0, bias=1.5) == pytest.approx(1.304347826)
    assert critic_score(10.0, bias=1.5) == pytest.approx(10.0)
    assert critic_score(12.0, bias=1.5) == 10.0
    # (1 − 2) / 8 × 10 = −1.25 → 0
    assert critic_score(1.0, bias=-2.0) == 0.0


def test_album_prior_blends_the_critic() -> None:
    # (7 × 1 + 8.2608… × 3) / 4 = 7.9456…
    assert album_prior(7.0, 8.0, bias=1.5, weight_critic=3.0, weight_global=1.0) == pytest.approx(
        7.945652174
    )
    assert album_prior(7.0, None, bias=1.5, weight_critic=3.0, weight_global=1.0) == 7.0
    assert album_prior(7.0, 8.0, bias=1.5, weight_critic=0.0, weight_global=1.0) == 7.0
    # WEIGHT_GLOBAL 0: the critic alone (bias 0 maps 6 to 6).
    assert album_prior(7.0, 6.0, bias=0.0, weight_critic=1.0, weight_global=0.0) == 6.0


def test_bayesian_average() -> None:
    # (3 × 7 + 9 + 7) / (3 + 2) = 7.4
    assert bayesian(7.0, 16.0, 2, confidence=3.0) == pytest.approx(7.4)
    # No confidence: the plain mean.
    assert bayesian(7.0, 16.0, 2, confidence=0.0) == pytest.approx(8.0)


def test_gravity_pulls_toward_the_prior() -> None:
    # 9 × 0.2 + 7 × 0.8 = 7.4
    assert gravity(9.0, 7.0, 0.8) == pytest.approx(7.4)
    assert gravity(9.0, 7.0, 0.0) == 9.0
    assert gravity(9.0, 7.0, 1.0) == 7.0


def test_clamp() -> None:
    assert clamp(-1.0) == 0.0
    assert clamp(11.0) == 10.0
    assert clamp(5.5) == 5.5


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        # 0 = as finely as Plex stores: one decimal
        (7.567391, 0.0, 7.6),
        (7.549, 0.0, 7.5),
        (6.85, 0.0, 6.9),
        (7.4, 1.0, 7.0),
        (7.5, 1.0, 8.0),
        (6.5, 2.0, 6.0),
        (7.0, 2.0, 8.0),
        (7.13, 0.2, 7.2),
        (7.09, 0.2, 7.0),
        (10.4, 0.0, 10.0),
        (10.0, 2.0, 10.0),
        (0.001, 0.0, 0.1),
        (0.4, 1.0, 1.0),
        (0.4, 2.0, 2.0),
    ],
)
def test_quantise(value: float, step: float, expected: float) -> None:
    assert quantise(value, step) == expected


def test_quantise_gives_the_plain_one_decimal_float() -> None:
    assert repr(quantise(7.57000001, 0.0)) == "7.6"
    assert repr(quantise(6.6, 0.2)) == "6.6"
    assert repr(quantise(0.7 + 0.1 + 0.1, 0.0)) == "0.9"


@pytest.mark.parametrize(
    ("exact", "current", "eps", "expected"),
    [
        (6.849, 6.9, 0.07, False),  # rounds to 6.8, but only 0.051 from what Plex holds
        (6.849, 6.9, 0.02, True),
        (6.82, 6.9, 0.07, True),
        (6.88, 6.9, 0.02, False),  # rounds to what Plex holds
    ],
)
def test_worth_writing_measures_epsilon_on_the_unrounded_value(
    exact: float, current: float, eps: float, expected: bool
) -> None:
    assert worth_writing(exact, quantise(exact, 0.0), current, eps) is expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0.02), (999, 0.02), (1_000, 0.02), (10_000, 0.04), (100_000, 0.06)],
)
def test_dynamic_epsilon(n: int, expected: float) -> None:
    assert epsilon(n, dynamic=True) == pytest.approx(expected)


def test_epsilon_at_300k_and_without_dynamic_precision() -> None:
    # 0.02 × (log10 300,000 − 2) = 0.02 × 3.4771 = 0.06954
    assert epsilon(300_000, dynamic=True) == pytest.approx(0.069542, abs=1e-6)
    assert epsilon(300_000, dynamic=False) == 0.02


@pytest.mark.parametrize(
    ("n", "dynamic", "step", "expected"),
    [
        (500, True, 0.0, 0.06),
        (10_000, True, 0.0, 0.06),
        (300_000, True, 0.0, 0.069542),
        (300_000, False, 0.0, 0.06),
        (500, True, 1.0, 0.6),
        (500, True, 2.0, 1.2),
    ],
)
def test_the_rewrite_threshold_is_epsilon_with_a_floor_of_six_tenths_of_a_step(
    n: int, dynamic: bool, step: float, expected: float
) -> None:
    assert rewrite_threshold(n, dynamic=dynamic, step=step) == pytest.approx(expected, abs=1e-6)


def test_moved_is_at_least_epsilon_despite_float_noise() -> None:
    assert 7.02 - 7.0 < 0.02  # binary floats: the reason ``moved`` exists
    assert moved(7.02, 7.0, 0.02)
    assert not moved(7.01, 7.0, 0.02)
    assert moved(6.98, 7.0, 0.02)
