"""What the admin tools share: plexrate's tags as configured, and when two ratings are the same."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plexrate.engine.config import EngineConfig
from plexrate.engine.plan import tag_members
from plexrate.model import Item, ItemType, LibrarySnapshot

# The same slack the engine adds to the hijack tolerance, so both agree on what "changed" means.
_SLACK = 1e-9
TYPE_ORDER = {ItemType.ARTIST: 0, ItemType.ALBUM: 1, ItemType.TRACK: 2}


def same_rating(a: float | None, b: float | None, *, tolerance: float) -> bool:
    """Equal within ``tolerance`` (the hijack tolerance); unrated equals only unrated."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance + _SLACK


@dataclass(frozen=True, slots=True)
class ManagedTags:
    """plexrate's tags in one library, and which items carry them (from the snapshot).

    ``twin`` is "" when TWIN_TAG is unset or names the inferred tag (the planner does the same).
    A tag the snapshot was not asked about (a name plexrate used before the settings changed) is
    *unknown*: ``present`` answers None for it.
    """

    inferred: str
    twin: str
    inferred_members: frozenset[int]
    twin_members: frozenset[int]
    names: tuple[str, ...] = ()
    """The configured tags, inferred first."""

    @classmethod
    def of(cls, snapshot: LibrarySnapshot, config: EngineConfig) -> ManagedTags:
        inferred = config.inferred_tag
        twin = config.twins.twin_tag
        if twin and twin.casefold() == inferred.casefold():
            twin = ""
        return cls(
            inferred=inferred,
            twin=twin,
            inferred_members=tag_members(snapshot, inferred),
            twin_members=tag_members(snapshot, twin),
            names=tuple(t for t in (inferred, twin) if t),
        )

    def present(self, tag: str, key: int) -> bool | None:
        folded = tag.casefold()
        if self.inferred and folded == self.inferred.casefold():
            return key in self.inferred_members
        if self.twin and folded == self.twin.casefold():
            return key in self.twin_members
        return None

    def carried(self, key: int) -> tuple[str, ...]:
        """The configured plexrate tags this item carries."""
        return tuple(t for t in self.names if self.present(t, key))


def item_order(item: Item) -> tuple[int, int]:
    """Artists, then albums, then tracks, each by key: a stable order for admin plans."""
    return (TYPE_ORDER[item.item_type], item.key)


def casefold_union(*groups: Iterable[str]) -> tuple[str, ...]:
    """Tag names from several groups, once each (Plex compares them case-insensitively)."""
    seen: dict[str, str] = {}
    for group in groups:
        for tag in group:
            seen.setdefault(tag.casefold(), tag)
    return tuple(seen.values())
