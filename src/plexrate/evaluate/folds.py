"""Seeded k-fold splits of the manual track ratings."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping


def make_folds(
    keys: Iterable[int],
    *,
    folds: int,
    seed: int,
    strata: Mapping[int, float] | None = None,
) -> tuple[frozenset[int], ...]:
    """Split ``keys`` into ``folds`` disjoint sets that together cover them all.

    The keys are sorted, shuffled with ``random.Random(seed)`` and dealt out in turn, so the same
    keys and seed always give the same folds, whatever order the keys arrive in, and fold sizes
    differ by at most one. With ``strata`` (key → a class such as the true rating) the shuffled
    keys are first ordered by class, so every fold gets an equal share (±1) of each class.
    """
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    ordered = sorted(set(keys))
    if len(ordered) < folds:
        raise ValueError(f"{len(ordered)} keys cannot fill {folds} folds")
    random.Random(seed).shuffle(ordered)
    if strata is not None:
        # A stable sort keeps the shuffled order inside each class.
        ordered.sort(key=lambda key: strata[key])
    dealt: list[list[int]] = [[] for _ in range(folds)]
    for position, key in enumerate(ordered):
        dealt[position % folds].append(key)
    return tuple(frozenset(fold) for fold in dealt)
