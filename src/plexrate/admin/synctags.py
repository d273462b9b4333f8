"""``admin sync-tags``: make plexrate's tags match the ownership record (pure).

The inferred tag goes on every item plexrate owns and comes off every item it does not; the twin
tag (TWIN_TAG, when set) goes on owned twins and comes off everything else. Ratings are never
touched and ownership never changes: these are tag-only ``Phase.SYNC_TAGS`` changes.

Owned items whose value the person changed since (hijacks) are left as they are: the next run
hands them back and takes the tag off then. Owned items the library no longer has are skipped.

Removing a tag is refused while the ownership record is empty or was never built for this
library (``removal_refusal``): the tags may then be the only record of what plexrate wrote, and
stripping them would lose it for good (defect 13).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plexrate.admin.common import ManagedTags, item_order, same_rating
from plexrate.engine.config import EngineConfig
from plexrate.engine.gc_pause import paused_gc
from plexrate.model import Change, Item, LibrarySnapshot, OwnedItem, Phase, Plan, label
from plexrate.wording import count


@dataclass(frozen=True, slots=True)
class Refusal:
    message: str
    hint: str


def plan_sync_tags(
    snapshot: LibrarySnapshot, *, owned: Mapping[int, OwnedItem], config: EngineConfig
) -> Plan:
    # Hundreds of thousands of items and no reference cycles: see engine.gc_pause.
    with paused_gc():
        return _plan_sync_tags(snapshot, owned, config)


def _plan_sync_tags(
    snapshot: LibrarySnapshot, owned: Mapping[int, OwnedItem], config: EngineConfig
) -> Plan:
    tags = ManagedTags.of(snapshot, config)
    tolerance = config.hijack_tolerance
    keys = set(owned) | tags.inferred_members | tags.twin_members
    items = sorted(
        (item for key in keys if (item := snapshot.item(key)) is not None), key=item_order
    )
    changes: list[Change] = []
    hijacked = 0
    for item in items:
        key = item.key
        claim = owned.get(key)
        # An owned item Plex shows unrated is still plexrate's (the next run fills it again).
        if (
            claim is not None
            and item.rating is not None
            and not same_rating(item.rating, claim.value, tolerance=tolerance)
        ):
            hijacked += 1
            continue
        add: list[str] = []
        remove: list[str] = []
        reasons: list[str] = []
        if tags.inferred:
            has = key in tags.inferred_members
            if claim is not None and not has:
                add.append(tags.inferred)
                reasons.append("owned by plexrate, tag missing")
            elif claim is None and has:
                remove.append(tags.inferred)
                reasons.append("tagged, but not plexrate's")
        if tags.twin:
            has = key in tags.twin_members
            want = claim is not None and claim.twin
            if want and not has:
                add.append(tags.twin)
                reasons.append("an owned twin, twin tag missing")
            elif has and not want:
                remove.append(tags.twin)
                reasons.append("twin tag, but not an owned twin")
        if add or remove:
            changes.append(_change(item, claim, tuple(add), tuple(remove), "; ".join(reasons)))
    stats: dict[str, float | int] = {
        "changes": len(changes),
        "add": sum(1 for c in changes if c.add_tags),
        "remove": sum(1 for c in changes if c.remove_tags),
        "hijacked": hijacked,
        "owned": len(owned),
    }
    notes: list[str] = []
    if hijacked:
        notes.append(
            f"Left alone: {count(hijacked, 'owned item')} changed in Plex after plexrate's "
            "write; the next run hands such items back to you, tags and all."
        )
    if not tags.names:
        notes.append("INFERRED_TAG and TWIN_TAG are both empty: plexrate manages no tags.")
    return Plan(changes=changes, stats=stats, notes=notes)


def _change(
    item: Item,
    claim: OwnedItem | None,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    reason: str,
) -> Change:
    return Change(
        key=item.key,
        item_type=item.item_type,
        title=label(item),
        phase=Phase.SYNC_TAGS,
        reason=reason,
        before=item.rating,
        after=item.rating,
        set_rating=False,
        add_tags=add,
        remove_tags=remove,
        own=None,
        twin=claim.twin if claim is not None else False,
        guid=item.guid,
    )


def removal_refusal(plan: Plan, *, owned_count: int, ownership_built: bool) -> Refusal | None:
    """Why tags must not come off now, or None when it is safe (defect 13)."""
    removals = sum(1 for c in plan.changes if c.remove_tags)
    if not removals:
        return None
    if not ownership_built:
        why = "was never built for this library"
    elif owned_count == 0:
        why = "is empty"
    else:
        return None
    return Refusal(
        message=(
            f"sync-tags would take plexrate's tags off {count(removals, 'item')}, but the "
            f"ownership record {why}: the tags may be the only record left of what plexrate wrote"
        ),
        hint="run `plexrate admin reconstruct` to rebuild ownership from the tags first, or "
        "pass --force if these items really are not plexrate's",
    )
