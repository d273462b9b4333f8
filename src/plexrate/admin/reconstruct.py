"""``admin reconstruct``: rebuild the ownership record from plexrate's tag (pure).

When the state file is lost, the inferred tag is the only record left of what plexrate wrote.
Every item of all three types (defect 6: the old tool looked at artists only) that carries the
tag *and* a rating becomes owned at its current value, a twin if it also carries TWIN_TAG. A
tagged item without a rating has nothing to own and is reported; an untagged item is never
owned. Items the record already owns keep their record: if Plex now holds another value, that
is the person's change, which the next run hands back to them, not a value to claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plexrate.admin.common import ManagedTags, item_order
from plexrate.engine.config import EngineConfig
from plexrate.engine.gc_pause import paused_gc
from plexrate.errors import UsageError
from plexrate.model import Item, ItemType, LibrarySnapshot, OwnedItem

SOURCE = "reconstruct"


@dataclass(frozen=True, slots=True)
class Reconstruction:
    tag: str
    claims: tuple[OwnedItem, ...]
    """New ownership records, artists then albums then tracks, each by key."""
    already_owned: tuple[int, ...]
    tagged_unrated: tuple[Item, ...]
    """Items carrying the tag but no rating: reported, not owned."""

    def counts(self) -> dict[str, int]:
        counts = {f"claims.{t.value}": 0 for t in ItemType}
        for claim in self.claims:
            counts[f"claims.{claim.item_type.value}"] += 1
        counts["claims"] = len(self.claims)
        counts["twins"] = sum(1 for c in self.claims if c.twin)
        counts["already_owned"] = len(self.already_owned)
        counts["tagged_unrated"] = len(self.tagged_unrated)
        return counts


def plan_reconstruct(
    snapshot: LibrarySnapshot, *, owned: Mapping[int, OwnedItem], config: EngineConfig
) -> Reconstruction:
    """The ownership records the inferred tag proves; raises ``UsageError`` without a tag."""
    tags = ManagedTags.of(snapshot, config)
    if not tags.inferred:
        raise UsageError(
            "INFERRED_TAG is empty, so plexrate marked nothing it wrote and there is nothing to "
            "rebuild ownership from",
            hint="reconstruct needs the tag plexrate wrote with; set INFERRED_TAG to it",
        )
    claims: list[OwnedItem] = []
    already: list[int] = []
    unrated: list[Item] = []
    with paused_gc():
        items = sorted(
            (item for key in tags.inferred_members if (item := snapshot.item(key)) is not None),
            key=item_order,
        )
        for item in items:
            if item.key in owned:
                already.append(item.key)
            elif item.rating is None:
                unrated.append(item)
            else:
                claims.append(
                    OwnedItem(
                        key=item.key,
                        item_type=item.item_type,
                        value=item.rating,
                        guid=item.guid,
                        phase=SOURCE,
                        twin=bool(tags.twin) and item.key in tags.twin_members,
                    )
                )
    return Reconstruction(
        tag=tags.inferred,
        claims=tuple(claims),
        already_owned=tuple(already),
        tagged_unrated=tuple(unrated),
    )
