"""``admin undo``: the plan that takes back what plexrate wrote, for everything or for one run.

Pure: the snapshot, the ownership record and the journal's ``OriginalValue``s in, a ``Plan`` of
``Phase.UNDO`` changes and an ``UndoReport`` out. The plan is written like any other (one
journaled run), so an interrupted undo carries on when rerun and an undo run can itself be
undone with ``--run``.

**Everything** (the default) covers every item plexrate owns. Each goes back to its value before
plexrate's first write: unrated, since inference only ever fills unrated items, and items owned
without a journal (imported from the old tool's ``plex_state.json``, or rebuilt by
``reconstruct``) were unrated before the old tool or plexrate rated them. Only a first write that
was not inference (a bulk import over the person's value) goes back to its recorded ``before``,
and an item the person handed over with their rating still on it (a bulk import marking it
inferred) goes back to that rating, whatever runs wrote since.
plexrate's tags come off and ownership is dropped.

**One run** covers the items that run changed. Each goes back to its value before that run
(``before`` of the run's first write), the tags the run added come off and the ones it removed
go back on, and ownership returns to what it was: plexrate's again where the run had rewritten
a value plexrate owned (an inference phase, or an undo), otherwise dropped.

Field locks: plexrate's edits lock the fields they set (``userRating``, ``mood``; plex-api.md
§7.6). Where undo gives an item up, it releases the locks plexrate's writes set and leaves those
that were there before plexrate's first write (``StateStore.field_locks``); the notes say how many
it left.

Left alone, and reported: items the person rated since plexrate last wrote them (their rating
stays; plexrate's tags come off and ownership is dropped; an item cleared since is, as for the
engine, still plexrate's), items a later run wrote again ("undo
that run first"), items already back where this undo would put them, items no longer in the
library, and items handed back to the person since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from plexrate.admin.common import (
    ManagedTags,
    casefold_union,
    item_order,
    same_rating,
)
from plexrate.engine.config import EngineConfig
from plexrate.engine.gc_pause import paused_gc
from plexrate.model import (
    INFERENCE_PHASES,
    Change,
    Item,
    ItemType,
    LibrarySnapshot,
    OwnedItem,
    Phase,
    Plan,
    label,
)
from plexrate.state import OriginalValue
from plexrate.wording import count, stars_or_unrated

# A ``before`` written by these phases was a value plexrate owned at the time.
OWNER_PHASES = frozenset({*(p.value for p in INFERENCE_PHASES), Phase.UNDO.value})
# Exactly equal, for deciding whether a rating needs writing at all.
_EXACT = 0.0


class LeftAlone(StrEnum):
    CHANGED = "changed"
    """The person changed the rating since plexrate wrote it: it stays (tags still come off)."""
    SUPERSEDED = "superseded"
    """A later run wrote the item again: undo that run first."""
    UNDONE = "undone"
    """Already back at the value this undo restores (an earlier undo got there)."""
    MISSING = "missing"
    """Not in the library any more; its ownership record is kept."""
    YOURS = "yours"
    """Handed back to the person since (or by the run itself): not plexrate's to revert."""


@dataclass(frozen=True, slots=True)
class Skip:
    key: int
    item_type: ItemType
    title: str
    why: LeftAlone
    written: float | None = None
    """What plexrate last wrote (0–10)."""
    found: float | None = None
    """What Plex holds now."""
    run: int | None = None
    """The later run that wrote the item again (``superseded``)."""


@dataclass(slots=True)
class UndoReport:
    run_id: int | None
    """The run undone, or None for everything."""
    left_alone: list[Skip] = field(default_factory=list)
    already_undone: int = 0
    locks_released: int = 0
    """Field locks plexrate's writes set that this undo releases."""
    locks_left: int = 0
    """Field locks on the items given up that were there before plexrate's first write."""

    def of(self, why: LeftAlone) -> list[Skip]:
        return [s for s in self.left_alone if s.why is why]

    def counts(self) -> dict[str, int]:
        counts = {why.value: len(self.of(why)) for why in LeftAlone}
        counts[LeftAlone.UNDONE.value] = self.already_undone
        return counts


def plan_undo(
    snapshot: LibrarySnapshot,
    *,
    owned: Mapping[int, OwnedItem],
    originals: Mapping[int, OriginalValue],
    config: EngineConfig,
    run_id: int | None = None,
    locks: Mapping[int, Mapping[str, bool]] | None = None,
) -> tuple[Plan, UndoReport]:
    """The undo of everything plexrate owns (``run_id`` None), or of one run.

    ``originals`` is ``StateStore.original_values(run_id=run_id)`` over the same scope.
    ``locks`` is ``StateStore.field_locks()``: per item, the fields plexrate's writes locked
    (True where the lock was there before plexrate's first write).
    """
    # Hundreds of thousands of changes and no reference cycles: see engine.gc_pause.
    with paused_gc():
        planner = _UndoPlanner(snapshot, owned, config, run_id, locks or {})
        if run_id is None:
            for key in sorted(owned):
                planner.everything(key, owned[key], originals.get(key))
        else:
            for key in sorted(originals):
                planner.one_run(key, originals[key], owned.get(key))
        return planner.finish()


class _UndoPlanner:
    def __init__(
        self,
        snapshot: LibrarySnapshot,
        owned: Mapping[int, OwnedItem],
        config: EngineConfig,
        run_id: int | None,
        locks: Mapping[int, Mapping[str, bool]],
    ) -> None:
        self.locks = locks
        self.snapshot = snapshot
        self.owned = owned
        self.tags = ManagedTags.of(snapshot, config)
        self.tolerance = config.hijack_tolerance
        self.run_id = run_id
        self.report = UndoReport(run_id)
        self.changes: list[tuple[tuple[int, int], Change]] = []

    # -- scopes --------------------------------------------------------------------------------

    def everything(self, key: int, claim: OwnedItem, original: OriginalValue | None) -> None:
        item = self.snapshot.item(key)
        if item is None:
            self.skip_missing(key, claim.item_type, claim.value)
            return
        remove = casefold_union(
            self.tags.carried(key), self.unknown(original.tags_added if original else ())
        )
        if self.changed_since(item.rating, claim.value, key=key):
            self.person_changed(item, written=claim.value, remove=remove, owned=True)
            return
        target: float | None = None
        why = "back to unrated: it was unrated before plexrate (or the old tool) rated it"
        if original is not None and original.handed_over is not None:
            target = original.handed_over
            why = f"back to {stars_or_unrated(target)}, your rating when you handed it over"
        elif (
            original is not None
            and original.wrote_rating
            and original.rating_phase not in OWNER_PHASES
        ):
            # A first write that was not inference (a bulk import) knows the value before it.
            target = original.before
            why = f"back to {stars_or_unrated(target)}, its value before plexrate's first write"
        self.add(
            item,
            reason=why,
            target=target,
            remove=remove,
            own=False,
            twin=claim.twin,
        )

    def one_run(self, key: int, original: OriginalValue, claim: OwnedItem | None) -> None:
        item = self.snapshot.item(key)
        if item is None:
            self.skip_missing(key, original.item_type, original.last_written)
            return
        current = item.rating
        if not original.wrote_rating:
            self.tags_only(item, original, claim)
            return
        if original.superseded_by is not None:
            if same_rating(current, original.before, tolerance=self.tolerance):
                self.report.already_undone += 1
            else:
                self.report.left_alone.append(
                    Skip(
                        key,
                        item.item_type,
                        label(item),
                        LeftAlone.SUPERSEDED,
                        written=original.last_written,
                        found=current,
                        run=original.superseded_by,
                    )
                )
            return
        if self.changed_since(current, original.last_written, key=key):
            self.person_changed(
                item,
                written=original.last_written,
                remove=self.tags.carried(key),
                owned=claim is not None,
            )
            return
        if original.own is True and claim is None:
            self.skip_yours(item, original.last_written)
            return
        target = original.before
        removed = {t.casefold() for t in original.tags_removed}
        owner_before = target is not None and (
            original.rating_phase in OWNER_PHASES
            or bool(self.tags.inferred and self.tags.inferred.casefold() in removed)
        )
        add = tuple(t for t in original.tags_removed if not self.tags.present(t, key))
        remove = tuple(t for t in original.tags_added if self.tags.present(t, key) is not False)
        twin = self.restored_twin(key, original, claim, add=add, remove=remove)
        self.add(
            item,
            reason=f"back to {stars_or_unrated(target)}, its value before run {self.run_id}",
            target=target,
            add=add,
            remove=remove,
            own=owner_before,
            twin=twin,
        )

    def tags_only(self, item: Item, original: OriginalValue, claim: OwnedItem | None) -> None:
        """The run changed tags or ownership but not the rating."""
        key = item.key
        if original.own is False:
            # A hijack, an undo of an item the person had changed, a bulk "manual" claim: the
            # value is the person's, and putting plexrate's tag back would mislabel it.
            self.skip_yours(item, None)
            return
        remove = tuple(t for t in original.tags_added if self.tags.present(t, key) is not False)
        add: tuple[str, ...] = ()
        own: bool | None = None
        if original.own is True:
            # Claimed without writing (a bulk import handing the item back to inference).
            own = False if claim is not None else None
        else:
            add = tuple(t for t in original.tags_removed if not self.tags.present(t, key))
        if not (add or remove or own is not None):
            self.report.already_undone += 1
            return
        self.add(
            item,
            reason=f"tags as they were before run {self.run_id}",
            target=item.rating,
            add=add,
            remove=remove,
            own=own,
            twin=claim.twin if claim is not None else False,
            set_rating=False,
        )

    # -- building blocks -----------------------------------------------------------------------

    def changed_since(self, current: float | None, written: float | None, *, key: int) -> bool:
        """The person rated the item since plexrate wrote ``written``: to another value, or to
        that same value (Plex dated a rating plexrate did not write, ``rated_again``).

        An item Plex shows unrated is not counted: like the engine (a *cleared* item), undo
        still treats it as plexrate's, and unrated is where it goes anyway.
        """
        if current is None:
            return False
        return key in self.snapshot.rated_again or not same_rating(
            current, written, tolerance=self.tolerance
        )

    def restored_twin(
        self,
        key: int,
        original: OriginalValue,
        claim: OwnedItem | None,
        *,
        add: tuple[str, ...],
        remove: tuple[str, ...],
    ) -> bool:
        """The twin flag ownership gets back: exact for an undone undo, else read off the twin
        tag the item will carry, else the current claim's."""
        if original.rating_phase == Phase.UNDO.value:
            return original.rating_twin
        twin_tag = self.tags.twin
        if twin_tag:
            folded = twin_tag.casefold()
            if any(t.casefold() == folded for t in add):
                return True
            if any(t.casefold() == folded for t in remove):
                return False
            return key in self.tags.twin_members
        if claim is not None:
            return claim.twin
        return original.rating_twin

    def person_changed(
        self, item: Item, *, written: float | None, remove: tuple[str, ...], owned: bool
    ) -> None:
        self.report.left_alone.append(
            Skip(
                item.key,
                item.item_type,
                label(item),
                LeftAlone.CHANGED,
                written=written,
                found=item.rating,
            )
        )
        if not remove and not owned:
            return
        self.add(
            item,
            reason=(
                f"you changed it since plexrate wrote {stars_or_unrated(written)} "
                f"(now {stars_or_unrated(item.rating)}): your rating stays"
            ),
            target=item.rating,
            remove=remove,
            own=False if owned else None,
            twin=False,
            set_rating=False,
        )

    def skip_missing(self, key: int, item_type: ItemType, written: float | None) -> None:
        self.report.left_alone.append(
            Skip(key, item_type, f"item {key}", LeftAlone.MISSING, written=written)
        )

    def skip_yours(self, item: Item, written: float | None) -> None:
        self.report.left_alone.append(
            Skip(
                item.key,
                item.item_type,
                label(item),
                LeftAlone.YOURS,
                written=written,
                found=item.rating,
            )
        )

    def unknown(self, tags: tuple[str, ...]) -> tuple[str, ...]:
        """Tags from the journal the snapshot knows nothing about (a renamed INFERRED_TAG):
        removing an absent tag is harmless, leaving a present one is not."""
        return tuple(t for t in tags if self.tags.present(t, 0) is None)

    def add(
        self,
        item: Item,
        *,
        reason: str,
        target: float | None,
        own: bool | None,
        twin: bool,
        add: tuple[str, ...] = (),
        remove: tuple[str, ...] = (),
        set_rating: bool = True,
    ) -> None:
        current = item.rating
        if set_rating and same_rating(current, target, tolerance=_EXACT):
            set_rating = False
        if not set_rating:
            target = current
        # Say nothing about ownership where it already is what this change would make it.
        owned = item.key in self.owned
        if (own is False and not owned) or (own is True and owned and not set_rating):
            own = None
        change = Change(
            key=item.key,
            item_type=item.item_type,
            title=label(item),
            phase=Phase.UNDO,
            reason=reason,
            before=current,
            after=target,
            set_rating=set_rating,
            add_tags=add,
            remove_tags=remove,
            own=own,
            twin=twin,
            guid=item.guid,
        )
        if own is False:
            # plexrate gives the item up: its locks go too, never one that was there before.
            fields = self.locks.get(item.key, {})
            unlock = tuple(sorted(name for name, before in fields.items() if not before))
            self.report.locks_left += sum(1 for before in fields.values() if before)
            if unlock:
                self.report.locks_released += len(unlock)
                change = replace(change, unlock=unlock)
        if not change.writes_anything and own is None:
            self.report.already_undone += 1
            return
        self.changes.append((item_order(item), change))

    def finish(self) -> tuple[Plan, UndoReport]:
        self.changes.sort(key=lambda entry: entry[0])
        changes = [c for _, c in self.changes]
        report = self.report
        stats: dict[str, float | int] = {
            "changes": len(changes),
            "rating_writes": sum(1 for c in changes if c.set_rating),
            "cleared": sum(1 for c in changes if c.set_rating and c.after is None),
            "tag_only": sum(
                1 for c in changes if not c.set_rating and (c.add_tags or c.remove_tags)
            ),
            "ownership_dropped": sum(1 for c in changes if c.own is False),
            "ownership_restored": sum(1 for c in changes if c.own is True),
        }
        stats.update({f"left_alone.{k}": v for k, v in report.counts().items()})
        notes = undo_notes(report)
        if not changes and not notes:
            notes.append("Nothing to undo: plexrate owns nothing here.")
        return Plan(changes=changes, stats=stats, notes=notes), report


def undo_notes(report: UndoReport, *, sample: int = 10) -> list[str]:
    """What the person should know about the items undo leaves alone, a few named of each."""
    notes: list[str] = []

    def named(skips: list[Skip], line: str) -> None:
        if not skips:
            return
        notes.append(line)
        for skip in skips[:sample]:
            detail = ""
            if skip.why is LeftAlone.CHANGED:
                written, found = stars_or_unrated(skip.written), stars_or_unrated(skip.found)
                detail = f": plexrate wrote {written}, now {found}"
            elif skip.why is LeftAlone.SUPERSEDED:
                detail = f": written again by run {skip.run}"
            notes.append(f"  {skip.title}{detail}")
        if len(skips) > sample:
            notes.append(f"  … and {len(skips) - sample:,} more (--json lists them all)")

    changed = report.of(LeftAlone.CHANGED)
    named(
        changed,
        f"Your rating stays on {count(len(changed), 'item')} you changed after plexrate's write; "
        "plexrate's tags come off and it gives up its claim:",
    )
    superseded = report.of(LeftAlone.SUPERSEDED)
    if superseded:
        runs = sorted({s.run for s in superseded if s.run is not None})
        named(
            superseded,
            f"Left alone: {count(len(superseded), 'item')} a later run wrote again; undo run "
            f"{', '.join(str(r) for r in runs)} first, or this undo would take that run back too:",
        )
    missing = report.of(LeftAlone.MISSING)
    named(
        missing,
        f"Left alone: {count(len(missing), 'item')} no longer in the library (the records are "
        "kept):",
    )
    yours = report.of(LeftAlone.YOURS)
    named(yours, f"Left alone: {count(len(yours), 'item')} handed back to you since:")
    if report.already_undone:
        notes.append(f"Already undone: {count(report.already_undone, 'item')}.")
    if report.locks_released or report.locks_left:
        notes.append(
            f"Field locks: releasing {count(report.locks_released, 'lock')} plexrate's writes "
            f"set; left {count(report.locks_left, 'lock')} that were there before plexrate's "
            "first write."
        )
    return notes
