"""``admin state import``: what importing an old ``plex_state.json`` would do (pure).

``StateStore.import_legacy`` does the import; this previews it for a dry run with the same rules:
keys the library does not have are skipped, entries of 0 are unrated in Plex (nothing to own), and
items the record already owns keep their newer record.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from plexrate.model import ItemType, LibrarySnapshot
from plexrate.state import LegacyState


@dataclass(frozen=True, slots=True)
class ImportPreview:
    imported: int
    not_in_library: tuple[int, ...]
    unrated: tuple[int, ...]
    already_owned: tuple[int, ...]


def item_types(snapshot: LibrarySnapshot) -> dict[int, ItemType]:
    """Every key of the library with its type (the old state file does not record types)."""
    return {key: item_type for item_type in ItemType for key in snapshot.items(item_type)}


def preview_legacy_import(
    legacy: LegacyState, types: Mapping[int, ItemType], *, owned: Set[int]
) -> ImportPreview:
    imported = 0
    missing: list[int] = []
    unrated: list[int] = []
    already: list[int] = []
    for key in sorted(legacy.entries):
        if key not in types:
            missing.append(key)
        elif legacy.entries[key].value <= 0:
            unrated.append(key)
        elif key in owned:
            already.append(key)
        else:
            imported += 1
    return ImportPreview(imported, tuple(missing), tuple(unrated), tuple(already))
