"""Decide what became of an unconfirmed write, from the item as Plex shows it now.

An intent that was recorded but never confirmed belongs to a run that died between writing its
journal and hearing the server's answer. Reading the item back tells which side of the request
the kill fell on. The rating decides ownership: if Plex holds the value plexrate meant to write
(and not the value from before), that value is plexrate's, even if a tag edit sent in a separate
request did not land; otherwise nothing is owned.
"""

from __future__ import annotations

from plexrate.model import ObservedItem, normalise_rating, same_rating
from plexrate.state.records import JournalEntry, Resolution


def classify(entry: JournalEntry, seen: ObservedItem | None) -> Resolution:
    """Ratings are compared at Plex's precision (one decimal): what was sent as 6.58 by an older
    plexrate is stored as 6.6, and that is the value landing."""
    if seen is None:
        return Resolution.VANISHED
    rating = normalise_rating(seen.rating)
    carried = {tag.casefold() for tag in seen.tags}
    added = {tag.casefold() for tag in entry.add_tags}
    removed = {tag.casefold() for tag in entry.remove_tags}
    tags_after = added <= carried and not (removed & carried)
    tags_before = not (added & carried) and removed <= carried

    at_after = same_rating(rating, entry.after)
    at_before = same_rating(rating, entry.before)

    if not entry.set_rating:
        if entry.own is True and not (at_before or at_after):
            # Claiming the current value is only right if it is still the value planned on.
            return Resolution.CHANGED
        if tags_after:
            return Resolution.LANDED
        if tags_before:
            return Resolution.NOT_SENT
        return Resolution.PARTIAL

    if at_after and tags_after:
        return Resolution.LANDED
    if at_after and at_before:
        # The rating did not move, so only the tags can tell whether the request was sent.
        return Resolution.NOT_SENT if tags_before else Resolution.PARTIAL
    if at_after:
        return Resolution.PARTIAL
    if at_before:
        return Resolution.NOT_SENT if tags_before else Resolution.TAGS_ONLY
    return Resolution.CHANGED
