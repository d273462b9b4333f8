"""Decide what became of an unconfirmed write, from the item as Plex shows it now.

An intent that was recorded but never confirmed belongs to a run that died between writing its
journal and hearing the server's answer. Reading the item back tells which side of the request
the kill fell on. The rating decides ownership: if Plex holds the value plexrate meant to write
(and not the value from before), that value is plexrate's, even if a tag edit sent in a separate
request did not land; otherwise nothing is owned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from plexrate.model import ObservedItem, normalise_rating, same_rating
from plexrate.state.records import EntryStatus, JournalEntry, Resolution

NOTES = {
    Resolution.LANDED: "reconciled: landed",
    Resolution.PARTIAL: "reconciled: the rating landed, a tag edit did not",
    Resolution.NOT_SENT: "reconciled: not sent",
    Resolution.TAGS_ONLY: "reconciled: tags changed but the rating was not written",
    Resolution.CHANGED: "reconciled: changed in Plex since; not owned",
    Resolution.VANISHED: "reconciled: the item no longer exists",
}
"""The journal note of an entry reconciliation settled."""


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


def settled_status(resolution: Resolution) -> EntryStatus:
    """Confirmed when the rating landed (its ownership effect then applies), failed otherwise."""
    if resolution in (Resolution.LANDED, Resolution.PARTIAL):
        return EntryStatus.CONFIRMED
    return EntryStatus.FAILED


def sort_out(
    pending: Iterable[JournalEntry], observed: Mapping[int, ObservedItem]
) -> dict[Resolution, list[JournalEntry]]:
    """The entries by what became of them (``classify``), each list in the given order; an item
    missing from ``observed`` is gone."""
    groups: dict[Resolution, list[JournalEntry]] = {r: [] for r in Resolution}
    for entry in pending:
        groups[classify(entry, observed.get(entry.key))].append(entry)
    return groups
