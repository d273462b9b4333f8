"""The marks a change read lists from (``plex.changes.MarkTracker``): never after a change it
has not listed, and not stuck a read's length behind the last change either."""

from __future__ import annotations

import time
from xml.etree.ElementTree import Element

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexrate.model import Marks
from plexrate.plex.changes import SLACK_SECONDS, UPPER_DATE_FIELDS, MarkTracker


def _seen(tracker: MarkTracker, *stamps: int, attribute: str = "lastRatedAt") -> None:
    for stamp in stamps:
        tracker.see(Element("Track", {attribute: str(stamp)}))


def test_a_mark_moves_up_to_the_newest_time_an_earlier_read_saw() -> None:
    first = MarkTracker()
    _seen(first, 1_000, 1_500)
    marks = first.marks(None)
    assert marks.rated is not None and marks.rated <= 1_500 - SLACK_SECONDS
    assert marks.seen_rated == 1_500
    # The next read sees nothing newer: the change at 1,500 was answered before it began.
    again = MarkTracker().marks(marks)
    assert again.rated == 1_500 - SLACK_SECONDS
    # A read made afresh forgets what earlier reads saw.
    assert MarkTracker().marks(marks, afresh=True).rated is None


def test_each_tracker_moves_only_its_own_marks() -> None:
    upper = MarkTracker(UPPER_DATE_FIELDS)
    upper.see(Element("Directory", {"lastRatedAt": "700", "updatedAt": "900"}))
    before = Marks(rated=100, seen_rated=150, added=5)
    after = upper.marks(before)
    assert (after.rated, after.seen_rated, after.added) == (100, 150, 5)
    assert after.seen_upper_updated == 900 and after.upper_updated is not None


@given(
    earlier=st.lists(st.integers(1, 10_000), max_size=5),
    now=st.lists(st.integers(1, 10_000), max_size=5),
)
def test_a_mark_lists_the_newest_change_again_and_no_more_than_the_slack_before_it(
    earlier: list[int], now: list[int]
) -> None:
    """Times are whole seconds and "is after" is strict: a change in the same second as the
    newest one seen may not have been seen, so the mark stays below it; but no further below
    than the slack once an earlier read saw it."""
    first = MarkTracker()
    _seen(first, *earlier)
    second = MarkTracker()
    _seen(second, *now)
    marks = second.marks(first.marks(None))
    seen = [*earlier, *now]
    if not seen:
        assert marks.rated is None and marks.seen_rated is None
        return
    assert marks.seen_rated == max(seen)
    assert marks.rated is not None and marks.rated < max(seen)
    if earlier:
        assert marks.rated >= max(earlier) - SLACK_SECONDS


def test_a_mark_is_as_far_behind_the_newest_time_as_the_listings_took(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change made while the listings ran, after its page was answered, carries a time at
    least the server's when they began: the newest time seen less how long they took."""
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    tracker = MarkTracker()
    now[0] = 105.5  # the last page came 5.5 s after the first request
    _seen(tracker, 2_000)
    assert tracker.marks(None).rated == 2_000 - 6 - SLACK_SECONDS
    # An earlier read's newest time is a tighter bound once this read listed past it.
    earlier = Marks(rated=1_000, seen_rated=1_999)
    assert tracker.marks(earlier).rated == 1_999 - SLACK_SECONDS
