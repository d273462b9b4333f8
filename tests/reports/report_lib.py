"""Hand-made libraries for the report tests, built with the engine tests' ``Lib`` builder."""

from __future__ import annotations

from plexrate.model import ItemType, LibrarySnapshot, OwnedItem
from tests.engine.libbuilder import Lib

__all__ = ["Lib", "claims"]


def claims(snapshot: LibrarySnapshot, values: dict[int, float]) -> dict[int, OwnedItem]:
    """Ownership records; keys missing from the snapshot are kept as tracks (a stale record)."""
    owned: dict[int, OwnedItem] = {}
    for key, value in values.items():
        item = snapshot.item(key)
        item_type = item.item_type if item is not None else ItemType.TRACK
        owned[key] = OwnedItem(key=key, item_type=item_type, value=value)
    return owned
