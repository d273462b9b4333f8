"""Owned items Plex re-matched under a new ratingKey, found again by their guid.

Plex gives an item a new ratingKey when it re-matches it (a refreshed agent, a moved folder).
Without finding it again, plexrate's record would point at a key the library lacks, its inferred
rating would pass for the person's under the new key, and undo would skip it. The session moves
the records of a write; ``admin verify`` reports the moves a dry run would make.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from plexrate.model import LibrarySnapshot


def refind_orphans(
    snapshot: LibrarySnapshot, guids: Mapping[int, str], *, owned_keys: Set[int]
) -> dict[int, int]:
    """Owned keys the library lacks, mapped to the key their guid has now.

    ``guids`` maps owned keys to their guids (keys the snapshot has are ignored). A guid that
    several items share, or whose item plexrate already owns under its new key, is not a safe
    match and is left out.
    """
    lost = {key: guid for key, guid in guids.items() if guid and snapshot.item(key) is None}
    if not lost:
        return {}
    wanted = set(lost.values())
    found: dict[str, int | None] = {}
    for item in snapshot.all_items():
        if item.guid in wanted:
            # None marks a guid two items share: ambiguous, so no match.
            found[item.guid] = item.key if item.guid not in found else None
    moves: dict[int, int] = {}
    taken: set[int] = set()
    for old, guid in sorted(lost.items()):
        new = found.get(guid)
        if new is None or new in owned_keys or new in taken:
            continue
        moves[old] = new
        taken.add(new)
    return moves
