"""Hand-made libraries for the report tests, built with the engine tests' ``Lib`` builder."""

from __future__ import annotations

import sys
from pathlib import Path

# The engine tests' builder is the one way tests make snapshots; reuse it rather than copy it.
_ENGINE_TESTS = str(Path(__file__).resolve().parents[1] / "engine")
if _ENGINE_TESTS not in sys.path:
    sys.path.insert(0, _ENGINE_TESTS)

from libbuilder import Lib  # noqa: E402

from plexrate.model import ItemType, LibrarySnapshot, OwnedItem  # noqa: E402

__all__ = ["Lib", "claims"]


def claims(snapshot: LibrarySnapshot, values: dict[int, float]) -> dict[int, OwnedItem]:
    """Ownership records; keys missing from the snapshot are kept as tracks (a stale record)."""
    owned: dict[int, OwnedItem] = {}
    for key, value in values.items():
        item = snapshot.item(key)
        item_type = item.item_type if item is not None else ItemType.TRACK
        owned[key] = OwnedItem(key=key, item_type=item_type, value=value)
    return owned
