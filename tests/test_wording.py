"""The one home of plurals and star labels (``plexrate.wording``)."""

from __future__ import annotations

import pytest

from plexrate.wording import count, signed_stars, stars, stars_or_unrated


@pytest.mark.parametrize(("n", "text"), [(0, "0 items"), (1, "1 item"), (1234, "1,234 items")])
def test_count(n: int, text: str) -> None:
    assert count(n, "item") == text


@pytest.mark.parametrize(
    ("value", "text"), [(6.83, "3.42★"), (7.0, "3.5★"), (8.0, "4★"), (None, "—")]
)
def test_stars(value: float | None, text: str) -> None:
    assert stars(value) == text


def test_an_unrated_item_in_a_sentence() -> None:
    assert stars_or_unrated(None) == "unrated"
    assert stars_or_unrated(9.0) == "4.5★"


@pytest.mark.parametrize(("deviation", "text"), [(0.5, "+0.5★"), (-1.25, "-1.25★"), (0, "±0★")])
def test_signed_stars(deviation: float, text: str) -> None:
    assert signed_stars(deviation) == text
