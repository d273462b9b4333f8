"""Ownership records for the report tests' hand-made libraries (``tests.support.library``)."""

from __future__ import annotations

from plexrate.model import ItemType, LibrarySnapshot, OwnedItem


def claims(snapshot: LibrarySnapshot, values: dict[int, float]) -> dict[int, OwnedItem]:
    """Ownership records; keys missing from the snapshot are kept as tracks (a stale record)."""
    owned: dict[int, OwnedItem] = {}
    for key, value in values.items():
        item = snapshot.item(key)
        item_type = item.item_type if item is not None else ItemType.TRACK
        owned[key] = OwnedItem(key=key, item_type=item_type, value=value)
    return owned
