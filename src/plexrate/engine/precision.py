"""How precisely values are written, and when a small change is not worth a write."""

from __future__ import annotations

import math

from plexrate.model import RATING_MAX

BASE_EPSILON = 0.02
# Values are stored with two decimals, so differences are multiples of 0.01 plus binary noise;
# without this slack 7.02 - 7.00 = 0.0199999… would count as "less than 0.02".
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


def moved(new: float, old: float, eps: float) -> bool:
    """True when ``new`` differs from ``old`` by at least ``eps`` (the rewrite threshold)."""
    return abs(new - old) >= eps - FLOAT_SLACK


def quantise(value: float, step: float) -> float:
    """Round to ``step`` on the 0–10 scale (0 = two decimals) and clamp to the valid range.

    Halves round up, so 7.5 with whole-star steps (2.0) becomes 8.0 on every platform. The lower
    bound is one step, not 0: Plex and plexrate both read a stored 0 as "unrated", so writing it
    would make the item look cleared on the next run.
    """
    # Counting in hundredths keeps the result the float nearest the two-decimal value (7.57,
    # not 7.5700000000000003) without ``round(x, 2)``, which is slow on hot paths.
    unit = max(1, int(step * 100 + 0.5)) if step > 0 else 1
    hundredths = math.floor(value * 100.0 / unit + 0.5) * unit
    return min(max(hundredths, unit), _MAX_HUNDREDTHS) / 100.0


_MAX_HUNDREDTHS = int(RATING_MAX * 100)
