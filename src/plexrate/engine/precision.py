"""How precisely values are written, and when a small change is not worth a write.

Plex keeps ratings to one decimal (``plexrate.model.PLEX_RATING_STEP``; docs/real-servers.md), so
every value is rounded to at least that before it is written, and the value plexrate owns is the
rounded one: what Plex will hand back.
"""

from __future__ import annotations

import math

from plexrate.model import PLEX_RATING_STEP, RATING_MAX

BASE_EPSILON = 0.02
# The rewrite threshold is at least this share of a rating step. Rounding to a step makes a value
# flip where the inference crosses the middle between two steps; a threshold below half a step
# lets the smallest drift across that middle rewrite the value (6.851 writes 6.9, then 6.849 is
# 0.051 from it and writes 6.8). Above half a step, a freshly written value (at most half a step
# from its inference) needs a real move, here a tenth of a step, before it is rewritten.
HYSTERESIS_STEPS = 0.6
# Differences of values at Plex's one decimal are multiples of 0.1 plus binary noise; without
# this slack 7.1 - 7.0 = 0.0999999… would count as "less than 0.1".
FLOAT_SLACK = 1e-9


def epsilon(n_items: int, *, dynamic: bool) -> float:
    """The smallest move that justifies rewriting a value plexrate already owns.

    Every write bumps Plex's ``lastRatedAt`` and costs a request, so on big libraries small drifts
    are left alone: 0.02 below 1,000 items, then 0.02 × (log10 N − 2), which grows slowly (0.02
    at 1,000 items, 0.04 at 10,000, 0.07 at 300,000). ``dynamic=False`` keeps 0.02 everywhere.
    """
    if not dynamic or n_items < 1000:
        return BASE_EPSILON
    return BASE_EPSILON * (math.log10(n_items) - 2.0)


def rewrite_threshold(n_items: int, *, dynamic: bool, step: float) -> float:
    """The threshold a run measures moves against: ``epsilon``, and at least
    ``HYSTERESIS_STEPS`` of the rating step (``step`` 0 is Plex's one decimal).

    Without the floor, one rating moves the prior μ a hair and every inference sitting near the
    middle between two steps crosses it: one rating on a 5,000-track library rewrote 69 values,
    12 with the floor (issue 23; docs/benchmarks.md, "Incremental runs").
    """
    unit = step if step > 0 else PLEX_RATING_STEP
    return max(epsilon(n_items, dynamic=dynamic), HYSTERESIS_STEPS * unit)


def moved(new: float, old: float, eps: float) -> bool:
    """True when ``new`` differs from ``old`` by at least ``eps`` (the rewrite threshold)."""
    return abs(new - old) >= eps - FLOAT_SLACK


def worth_writing(exact: float, value: float, current: float, eps: float) -> bool:
    """Whether an item Plex holds at ``current`` should be rewritten to ``value``.

    ``value`` is ``exact`` rounded as it would be written. Plex keeps one decimal, so a write
    is needed only when the rounded value differs; and ε is measured on the unrounded value, so
    an inference hovering at a rounding boundary (6.849 against a stored 6.9) does not flip the
    stored value back and forth from run to run.
    """
    return value != current and moved(exact, current, eps)


def quantise(value: float, step: float) -> float:
    """Round to ``step`` on the 0–10 scale and clamp to the valid range, as it will be written.

    ``step`` 0 means as finely as Plex stores ratings: one decimal (``PLEX_RATING_STEP``). Other
    steps are multiples of it (settings enforce that): 1.0 half stars, 2.0 whole stars. Halves
    round up, so 7.5 with whole-star steps becomes 8.0 on every platform. The lower bound is one
    step, not 0: Plex and plexrate both read a stored 0 as "unrated", so writing it would make
    the item look cleared on the next run.
    """
    # Counting in tenths keeps the result the float nearest the one-decimal value (7.6, not
    # 7.6000000000000005) without ``round(x, 1)``, which is slow on hot paths.
    unit = max(1, int(step * 10 + 0.5)) if step > 0 else 1
    tenths = math.floor(value * 10.0 / unit + 0.5 + FLOAT_SLACK) * unit
    return min(max(tenths, unit), _MAX_TENTHS) / 10.0


_MAX_TENTHS = int(RATING_MAX * 10)
