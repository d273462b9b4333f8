"""Error measures of predicted against true ratings.

Inputs are pairs ``(true, predicted)`` on Plex's 0–10 scale, ``predicted`` None when nothing was
predicted. Errors are reported in stars (half the 0–10 difference), as people read ratings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

HALF_STAR = 0.5
# Ratings carry two decimals at most; the slack keeps an error of exactly half a star (1.0 on the
# 0–10 scale) inside the band despite binary rounding.
_SLACK = 1e-9

Pair = tuple[float, float | None]


@dataclass(frozen=True, slots=True)
class Metrics:
    """How close the predictions of one group of hidden ratings came to the truth.

    ``mae``, ``rmse`` and ``bias`` are in stars; ``bias`` is the mean of predicted − true, so a
    negative bias means predictions run low. ``within_half`` is the share of predictions at most
    half a star off. All four are None when nothing in the group was predicted.
    """

    count: int
    covered: int
    mae: float | None = None
    rmse: float | None = None
    bias: float | None = None
    within_half: float | None = None

    @property
    def coverage(self) -> float | None:
        """The share of the group that got a prediction (None for an empty group)."""
        return self.covered / self.count if self.count else None


def measure(pairs: Iterable[Pair]) -> Metrics:
    count = 0
    errors: list[float] = []
    for true, predicted in pairs:
        count += 1
        if predicted is not None:
            errors.append((predicted - true) / 2.0)
    if not errors:
        return Metrics(count=count, covered=0)
    n = len(errors)
    return Metrics(
        count=count,
        covered=n,
        mae=math.fsum(abs(e) for e in errors) / n,
        rmse=math.sqrt(math.fsum(e * e for e in errors) / n),
        bias=math.fsum(errors) / n,
        within_half=sum(1 for e in errors if abs(e) <= HALF_STAR + _SLACK) / n,
    )


def half_star_bucket(rating: float) -> float:
    """The rating rounded to the nearest half star (a whole number on the 0–10 scale), halves up."""
    return float(math.floor(rating + 0.5))


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """The hidden ratings whose true value rounds to ``bucket`` (0–10 scale: 7.0 is 3.5 stars)."""

    bucket: float
    count: int
    covered: int
    mean_true: float
    mean_predicted: float | None
    """Mean prediction of the covered ratings, on the 0–10 scale."""
    mae: float | None
    """In stars."""


def calibration(pairs: Iterable[Pair]) -> tuple[CalibrationRow, ...]:
    """Mean prediction next to mean truth per true half-star, lowest first; empty buckets left out.

    A calibrated predictor has the two means close in every row; shrinkage toward the prior
    shows as predictions above the truth in low rows and below it in high rows.
    """
    groups: dict[float, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(half_star_bucket(pair[0]), []).append(pair)
    rows = []
    for bucket in sorted(groups):
        members = groups[bucket]
        predicted = [p for _, p in members if p is not None]
        measured = measure(members)
        rows.append(
            CalibrationRow(
                bucket=bucket,
                count=len(members),
                covered=len(predicted),
                mean_true=math.fsum(t for t, _ in members) / len(members),
                mean_predicted=math.fsum(predicted) / len(predicted) if predicted else None,
                mae=measured.mae,
            )
        )
    return tuple(rows)
