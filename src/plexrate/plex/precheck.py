"""Check before write: is an item still what the plan was made from?

A plan is made from the snapshot read at the start; the writes go out seconds to hours later
(a first run on 300,000 tracks, a ``/:/rate`` fallback). Meanwhile the person may rate, clear or
re-rate items in Plex, and Plex keeps no history: a write made from the old picture would destroy
their value for good. So just before each write request the Applier reads that request's items
(one multi-id read) and compares them with the ``Baseline`` here; an item that differs is left to
the person and journaled with what Plex held at the check. The window left is one request.

The rating is compared at Plex's precision (``same_rating``); tags only where the snapshot knows
who carried them (the managed tags), case-insensitively as Plex compares them. ``lastRatedAt``
newer than the snapshot's also counts as the person's change, even where the value is the same
again (rated 6, then 8, then 6 once more): Plex sets it on every rating (plexapi's
``tests/test_mixins.py:edit_rating`` asserts it after ``rate()``). It is only compared where the
answer carries it and plexrate has not written the item in this run, since whether Plex sets it
for an edit-form rating is unknown (plex-api.md §7.9).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from plexrate.model import Change, LibrarySnapshot, ObservedItem, same_rating, stars

CHANGED_NOTE = "changed in Plex during the run"
"""Start of the journal note of an item left to the person at the check (``admin verify`` and
the next run read it)."""


@dataclass(frozen=True, slots=True)
class Expected:
    """What the plan assumed Plex holds for one item: its rating and, per known tag, presence."""

    rating: float | None
    tags: Mapping[str, bool] = field(default_factory=dict)
    rated_at: int | None = None
    check_rated_at: bool = True
    """False once plexrate wrote the item in this run (its own write may set ``lastRatedAt``)."""


class Baseline:
    """What a plan was made from: the snapshot, updated with what this run wrote since.

    The design writes each item at most once per run, but a command may still touch one item
    twice (a tag request after a rating request); the second check must expect the first write's
    result, not the snapshot's value, or plexrate would take its own write for the person's.
    """

    def __init__(
        self,
        ratings: Mapping[int, float | None],
        tagged: Mapping[str, frozenset[int]],
        rated_at: Mapping[int, int | None] | None = None,
    ) -> None:
        self._ratings = ratings
        self._rated_at = rated_at or {}
        self._tagged = {name.casefold(): members for name, members in tagged.items()}
        self._written: dict[int, Expected] = {}

    @classmethod
    def of(cls, snapshot: LibrarySnapshot) -> Baseline:
        ratings: dict[int, float | None] = {}
        rated_at: dict[int, int | None] = {}
        for item in snapshot.all_items():
            ratings[item.key] = item.rating
            rated_at[item.key] = item.rated_at
        return cls(ratings, snapshot.tagged, rated_at)

    def expected(self, change: Change) -> Expected:
        written = self._written.get(change.key)
        if written is not None:
            return written
        rating = self._ratings.get(change.key, change.before)
        tags = {
            tag.casefold(): change.key in members
            for tag in (*change.add_tags, *change.remove_tags)
            if (members := self._tagged.get(tag.casefold())) is not None
        }
        return Expected(rating, tags, self._rated_at.get(change.key), change.key in self._ratings)

    def wrote(self, changes: Iterable[Change]) -> None:
        """Record that ``changes`` landed: later checks of the same items expect their result."""
        for change in changes:
            before = self.expected(change)
            tags = dict(before.tags)
            for tag in change.remove_tags:
                tags[tag.casefold()] = False
            for tag in change.add_tags:
                tags[tag.casefold()] = True
            rating = change.after if change.set_rating else before.rating
            self._written[change.key] = Expected(rating, tags, None, check_rated_at=False)


def drift(expected: Expected, seen: ObservedItem) -> str | None:
    """None when Plex still holds what the plan assumed; else what changed, in words."""
    parts: list[str] = []
    if not same_rating(seen.rating, expected.rating):
        parts.append(
            f"Plex held {_rating(seen.rating)} where the plan was made from "
            f"{_rating(expected.rating)}"
        )
    if (
        not parts
        and expected.check_rated_at
        and seen.rated_at is not None
        and (
            seen.rated_at > expected.rated_at
            if expected.rated_at is not None
            # A rated item without lastRatedAt in the snapshot: the server's listings leave it
            # out, so there is nothing to compare with. An unrated one was rated and cleared.
            else expected.rating is None
        )
    ):
        parts.append("rated in Plex again after the snapshot")
    for tag, present in sorted(expected.tags.items()):
        if seen.has_tag(tag) != present:
            parts.append(f"the mood {tag!r} was {'removed' if present else 'added'}")
    if not parts:
        return None
    return f"{CHANGED_NOTE}: " + "; ".join(parts) + "; left to you"


def _rating(value: float | None) -> str:
    return "no rating" if value is None else f"{value:g} ({stars(value)})"
