"""The ownership transitions: what confirmed journal entries do to plexrate's ownership record.

Pure (no database): the store reads the owned rows of the entries' items, asks
``ownership_after`` for the rows that change, and writes them in the transaction that settles
the entries (``docs/state.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plexrate.state.records import JournalEntry

OWNED_COLUMNS = "key, item_type, value, guid, phase, twin, run_id, written_at"
"""The columns of an owned row, in the order ``ownership_after`` reads and returns them."""

OwnedRow = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class OwnershipChange:
    rows: dict[int, OwnedRow | None]
    """Every item the entries touched: its new owned row, or None when plexrate no longer
    owns it."""
    claimed: bool
    """An entry claimed an item, so the ownership record is built from now on."""


def ownership_after(
    entries: Sequence[JournalEntry],
    current: Mapping[int, OwnedRow],
    readback: Mapping[int, float | None],
    now: float,
) -> OwnershipChange:
    """Apply, in journal order, what confirmed entries mean for ownership.

    own True claims the value written (read back if known); own False gives the item back;
    own None keeps ownership as it is but follows a new value written to an owned item. An
    item left unrated cannot be owned. ``current`` holds the owned rows of the entries' items.
    """
    state: dict[int, OwnedRow | None] = dict(current)
    touched: set[int] = set()
    claimed = False
    for e in entries:
        row = state.get(e.key)
        value: float | None
        if e.key in readback:
            value = readback[e.key]
        elif e.set_rating:
            value = e.after
        elif e.own is True and e.before is not None:
            # An ownership-only claim takes what Plex held when it was planned: after a
            # hijack (a bulk import handing the person's value back) the stored one is stale.
            value = e.before
        else:
            value = row[2] if row is not None else e.before
        if e.own is False or (e.own is not None and value is None):
            state[e.key] = None
        elif e.own is True and value is not None:
            guid = e.guid or (row[3] if row is not None else "")
            state[e.key] = (
                e.key,
                e.item_type.value,
                value,
                guid,
                e.phase,
                int(e.twin),
                e.run_id,
                now,
            )
            claimed = True
        elif e.set_rating and row is not None:
            if value is None:
                state[e.key] = None
            else:
                guid = e.guid or row[3]
                state[e.key] = (*row[:2], value, guid, *row[4:6], e.run_id, now)
        else:
            continue
        touched.add(e.key)
    return OwnershipChange({key: state.get(key) for key in touched}, claimed)
