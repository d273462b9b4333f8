"""``admin verify``: compare the ownership record with what Plex holds (pure, read-only).

Four kinds of disagreement, each a reason for ``verify`` to exit 1:

* **overrides**: an owned item whose Plex rating is no longer the value plexrate wrote (beyond
  the hijack tolerance): the person changed it, and the next run hands it back to them;
* **orphans**: owned keys the library no longer has; an item with the same guid under another
  key is a re-matched item, which the next writing command re-keys (``rekey.refind_orphans``);
* **tag mismatches**: an owned item without the inferred tag, or an item carrying it that
  plexrate does not own; the same for the twin tag on owned twins when TWIN_TAG is set;
* **unsettled state**: writes of an interrupted run still unconfirmed, or a damaged state file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from plexrate.admin.common import ManagedTags, same_rating
from plexrate.engine.config import EngineConfig
from plexrate.engine.infer import HijackRule, hijack_rule
from plexrate.model import ItemType, LibrarySnapshot, OwnedItem, label
from plexrate.rekey import refind_orphans


@dataclass(frozen=True, slots=True)
class Override:
    key: int
    item_type: ItemType
    title: str
    expected: float
    """The value plexrate wrote (0–10)."""
    found: float | None
    """What Plex holds now; None: the person cleared it."""
    rule: str = HijackRule.ANY_CHANGE.value
    """The hijack rule that makes it the person's change (``HijackRule``), or ``"drift"``:
    HIJACK_INTEGER_ONLY keeps it plexrate's, and the next run re-infers it."""


@dataclass(frozen=True, slots=True)
class Orphan:
    key: int
    item_type: ItemType
    guid: str
    value: float
    new_key: int | None = None
    """The key an item with the same guid has now (Plex re-matched it), if any."""


@dataclass(frozen=True, slots=True)
class TagMismatch:
    key: int
    item_type: ItemType
    title: str
    tag: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    owned: int
    inferred_tag: str
    twin_tag: str
    overrides: tuple[Override, ...] = ()
    orphans: tuple[Orphan, ...] = ()
    missing_tag: tuple[TagMismatch, ...] = ()
    """Owned, but without the inferred tag."""
    unowned_tag: tuple[TagMismatch, ...] = ()
    """Carrying the inferred tag, but not owned."""
    twin_missing: tuple[TagMismatch, ...] = ()
    """Owned twins without the twin tag."""
    twin_unowned: tuple[TagMismatch, ...] = ()
    """Carrying the twin tag, but not an owned twin."""
    pending: int = 0
    """Writes of an interrupted run not confirmed yet (the next ``--apply`` settles them)."""
    state_problems: tuple[str, ...] = ()
    ownership_built: bool = True

    def counts(self) -> dict[str, int]:
        return {
            "overrides": len(self.overrides),
            "orphans": len(self.orphans),
            "orphans_refound": sum(1 for o in self.orphans if o.new_key is not None),
            "missing_tag": len(self.missing_tag),
            "unowned_tag": len(self.unowned_tag),
            "twin_missing": len(self.twin_missing),
            "twin_unowned": len(self.twin_unowned),
            "pending": self.pending,
            "state_problems": len(self.state_problems),
        }

    @property
    def consistent(self) -> bool:
        counts = self.counts()
        counts.pop("orphans_refound")
        return not any(counts.values())


def verify(
    snapshot: LibrarySnapshot,
    *,
    owned: Mapping[int, OwnedItem],
    config: EngineConfig,
    pending: int = 0,
    state_problems: Sequence[str] = (),
    ownership_built: bool = True,
) -> VerifyReport:
    """Everything on which the ownership record and the library disagree, in key order."""
    tags = ManagedTags.of(snapshot, config)
    tolerance = config.hijack_tolerance
    overrides: list[Override] = []
    orphan_keys: list[int] = []
    missing: list[TagMismatch] = []
    twin_missing: list[TagMismatch] = []
    for key in sorted(owned):
        claim = owned[key]
        item = snapshot.item(key)
        if item is None:
            orphan_keys.append(key)
            continue
        if not same_rating(item.rating, claim.value, tolerance=tolerance):
            rule = (
                hijack_rule(
                    item.rating, item.rated_at, claim, integer_only=config.hijack_integer_only
                )
                if item.rating is not None
                else HijackRule.ANY_CHANGE
            )
            overrides.append(
                Override(
                    key,
                    item.item_type,
                    label(item),
                    claim.value,
                    item.rating,
                    rule.value if rule is not None else "drift",
                )
            )
        if tags.inferred and key not in tags.inferred_members:
            missing.append(TagMismatch(key, item.item_type, label(item), tags.inferred))
        if tags.twin and claim.twin and key not in tags.twin_members:
            twin_missing.append(TagMismatch(key, item.item_type, label(item), tags.twin))

    unowned = _unowned(snapshot, tags.inferred_members - owned.keys(), tags.inferred)
    twin_unowned = _unowned(
        snapshot,
        {k for k in tags.twin_members if not (k in owned and owned[k].twin)},
        tags.twin,
    )
    refound = refind_orphans(
        snapshot, {k: owned[k].guid for k in orphan_keys}, owned_keys=owned.keys()
    )
    orphans = tuple(
        Orphan(k, owned[k].item_type, owned[k].guid, owned[k].value, refound.get(k))
        for k in orphan_keys
    )
    return VerifyReport(
        owned=len(owned),
        inferred_tag=tags.inferred,
        twin_tag=tags.twin,
        overrides=tuple(overrides),
        orphans=orphans,
        missing_tag=tuple(missing),
        unowned_tag=unowned,
        twin_missing=tuple(twin_missing),
        twin_unowned=twin_unowned,
        pending=pending,
        state_problems=tuple(state_problems),
        ownership_built=ownership_built,
    )


def _unowned(snapshot: LibrarySnapshot, keys: Set[int], tag: str) -> tuple[TagMismatch, ...]:
    found: list[TagMismatch] = []
    for key in sorted(keys):
        item = snapshot.item(key)
        if item is not None:
            found.append(TagMismatch(key, item.item_type, label(item), tag))
    return tuple(found)
