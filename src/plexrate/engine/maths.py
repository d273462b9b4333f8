"""The formulas on Plex's 0–10 scale, apart from the bookkeeping so each is tested alone."""

from __future__ import annotations

from plexrate.model import RATING_MAX, RATING_MIN

DEFAULT_PRIOR = 6.0
"""μ when the library has no manual track ratings (three stars)."""


def clamp(value: float) -> float:
    return min(max(value, RATING_MIN), RATING_MAX)


def critic_score(critic: float, *, bias: float) -> float:
    """Map Plex's critic rating onto the person's scale: (critic + bias) / (10 + bias) × 10.

    The old tool clamped with ``min(0, …)``, which is always 0, so the critic never counted
    (original-tool.md §2, defect 1). The clamp here is to 0–10.
    """
    return clamp((critic + bias) / (10.0 + bias) * 10.0)


def album_prior(
    prior: float, critic: float | None, *, bias: float, weight_critic: float, weight_global: float
) -> float:
    """The album's own prior: μ blended with the critic score when Plex has one.

    A critic rating of 0 is a rating (``is not None``), unlike a user rating of 0.
    """
    if critic is None or weight_critic <= 0:
        return prior
    c = critic_score(critic, bias=bias)
    return (prior * weight_global + c * weight_critic) / (weight_global + weight_critic)


def bayesian(prior: float, total: float, n: int, *, confidence: float) -> float:
    """(C·p + Σ evidence) / (C + n): n ratings pull the value away from the prior p."""
    return (confidence * prior + total) / (confidence + n)


def gravity(parent: float, prior: float, g: float) -> float:
    """Inherit a manual parent's value, pulled toward μ by g: parent·(1 − g) + μ·g."""
    return parent * (1.0 - g) + prior * g
