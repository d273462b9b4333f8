"""How numbers and ratings read in messages for people: plurals and star labels.

One home for these, so a count or a rating reads the same in every command, table and note.
Plain text only (no rich markup): the core's messages use it as much as the CLI's.
"""

from __future__ import annotations


def count(n: int, noun: str) -> str:
    """``1 item``, ``2 items``, ``1,234 items``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def stars(value: float | None, *, unrated: str = "—") -> str:
    """A 0–10 rating as people read it: 6.83 → ``3.42★``, 7.0 → ``3.5★``; ``unrated`` for None."""
    if value is None:
        return unrated
    text = f"{value / 2:.2f}".rstrip("0").rstrip(".")
    return f"{text}★"


def stars_or_unrated(rating: float | None) -> str:
    """A 0–10 rating in a sentence: "3.5★", or "unrated"."""
    return stars(rating, unrated="unrated")


def signed_stars(deviation: float) -> str:
    """A difference already in stars, with its sign: ``+0.5★``, ``-1.25★``, ``±0★``."""
    text = f"{abs(deviation):.2f}".rstrip("0").rstrip(".")
    sign = "+" if deviation > 0 else "-" if deviation < 0 else "±"
    return f"{sign}{text}★"
